"""A throwaway certificate authority for the tests' TLS servers and clients."""
import datetime
import ipaddress
from pathlib import Path


def write_certificates(directory, ca_name="dbbat test CA", server_ip="127.0.0.1", server_names=()):
    """A CA, a server certificate for ``server_ip`` (and the DNS ``server_names``) and a client
    certificate, both signed by it,
    valid for two days. Returns the paths: ``{"ca", "server_cert", "server_key", "client_cert",
    "client_key"}`` (keys 0600). Key identifiers are set: Python 3.13's strict verification wants them.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def write_key(key, path):
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(issuer).issuer_name(issuer)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": directory / "ca.crt"}
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    for role, usage in (("server", ExtendedKeyUsageOID.SERVER_AUTH), ("client", ExtendedKeyUsageOID.CLIENT_AUTH)):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = server_ip if role == "server" else "dbbat-test-client"
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if role == "server":
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(server_ip)),
                                             *(x509.DNSName(name) for name in server_names)]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        paths[role + "_cert"], paths[role + "_key"] = directory / (role + ".crt"), directory / (role + ".key")
        paths[role + "_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        write_key(key, paths[role + "_key"])
    return {name: str(path) for name, path in paths.items()}
