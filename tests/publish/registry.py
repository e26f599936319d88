"""A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1.

Two flavours, each a session fixture (one registry per pytest-xdist worker):

- ``oci_registry_plain``: plain HTTP, no authentication;
- ``oci_registry_tls``: HTTPS with a CA generated for the test session, htpasswd basic auth.

``oci_registry_factory`` starts fresh ones (function scope) when a test needs an empty registry.
Every registry exposes ``host``, ``url``, ``plain_http``, ``ca_file``, ``username``, ``password``,
``storage_dir``, ``stop()``, ``start()``, plus ``blob_count()``/``manifest_count()`` for
idempotence checks.

``publish_with_module()`` publishes a chart with fclairamb.dbbat.helm_chart_publish through a
real ansible-playbook run, and the session fixture ``published_dbbat_chart`` uses it to put
charts/dbbat into the TLS registry (for the deploy tests). The module also runs on its own for manual work:
``python tests/publish/registry.py [--tls]`` starts one and prints how to reach it.
"""
import datetime
import ipaddress
import json
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REGISTRY_BIN = "docker-registry"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_certificates(directory):
    """A CA, a server certificate for IP 127.0.0.1 and a client certificate, both signed by it.

    Returns ``{"ca": path, "server_cert": ..., "server_key": ..., "client_cert": ..., "client_key": ...}``.
    Key identifiers are set: Python 3.13's strict verification wants them.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)
    directory = Path(directory)

    def write_key(key, path):
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbbat test registry CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
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
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1" if role == "server"
                                                        else "dbbat-test-client")]))
            .issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if role == "server":
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        paths[role + "_cert"], paths[role + "_key"] = directory / (role + ".crt"), directory / (role + ".key")
        paths[role + "_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        write_key(key, paths[role + "_key"])
    return {name: str(path) for name, path in paths.items()}


class Registry:
    """One docker-registry process; its storage survives stop()/start()."""

    def __init__(self, workdir, tls=False, auth=False, client_auth=False, username="dbbat-publisher"):
        if not shutil.which(REGISTRY_BIN):
            pytest.skip("docker-registry is not installed: run `make setup` (Debian package docker-registry)")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_dir = str(self.workdir / "storage")
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"oci://{self.host}"
        self.plain_http = not tls
        self.ca_file = self.cert_file = self.key_file = None
        # with client_auth, the registry wants a client certificate signed by its CA (mutual TLS)
        self.client_cert_file = self.client_key_file = None
        self.username = self.password = None
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": self.storage_dir}, "delete": {"enabled": True}},
            "http": {"addr": self.host, "secret": secrets.token_hex(16)},
        }
        if tls or client_auth:
            certs = _write_certificates(self.workdir)
            self.ca_file, self.cert_file, self.key_file = certs["ca"], certs["server_cert"], certs["server_key"]
            config["http"]["tls"] = {"certificate": self.cert_file, "key": self.key_file}
            self.plain_http = False
        if client_auth:
            self.client_cert_file, self.client_key_file = certs["client_cert"], certs["client_key"]
            config["http"]["tls"]["clientcas"] = [self.ca_file]
        if auth:
            self.username, self.password = username, "pw-" + secrets.token_urlsafe(18)
            htpasswd = subprocess.run(["htpasswd", "-Bbn", self.username, self.password],
                                      check=True, capture_output=True, text=True).stdout
            (self.workdir / "htpasswd").write_text(htpasswd)
            config["auth"] = {"htpasswd": {"realm": "dbbat-test", "path": str(self.workdir / "htpasswd")}}
        self.config_file = self.workdir / "config.yml"
        self.config_file.write_text(yaml.safe_dump(config))
        self.log_file = self.workdir / "registry.log"
        self._proc = None

    # -- lifecycle -------------------------------------------------------------
    def start(self, timeout=20):
        if self._proc is not None and self._proc.poll() is None:
            return self
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen([REGISTRY_BIN, "serve", str(self.config_file)],
                                          stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited ({self._proc.returncode}): "
                                   f"{self.log_file.read_text(errors='replace')[-2000:]}")
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry on {self.host} not ready after {timeout}s")

    def stop(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def _ready(self):
        scheme = "http" if self.plain_http else "https"
        context = None if self.plain_http else ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert_file:
            context.load_cert_chain(self.client_cert_file, self.client_key_file)
        try:
            urllib.request.urlopen(f"{scheme}://{self.host}/v2/", timeout=1, context=context)
            return True
        except urllib.error.HTTPError as err:
            return err.code == 401  # up, and asking for credentials
        except OSError:
            return False

    # -- what is stored --------------------------------------------------------
    def _v2(self):
        return Path(self.storage_dir) / "docker" / "registry" / "v2"

    def blob_count(self):
        """Blobs stored (config, layers, manifests), all repositories together."""
        return sum(1 for _ in (self._v2() / "blobs").glob("sha256/*/*/data"))

    def manifest_count(self):
        """Manifest revisions linked into repositories."""
        return sum(1 for _ in (self._v2() / "repositories").glob("**/_manifests/revisions/sha256/*/link"))

    def counts(self):
        return {"blobs": self.blob_count(), "manifests": self.manifest_count()}

    def tag_digest(self, repository, tag):
        """The manifest digest a tag points to, read from storage (None if absent)."""
        link = self._v2() / "repositories" / repository / "_manifests" / "tags" / tag / "current" / "link"
        return link.read_text().strip() if link.exists() else None

    # -- what clients need -----------------------------------------------------
    def helm_flags(self):
        """TLS flags for `helm pull/push/template` against this registry (no credentials)."""
        if self.plain_http:
            return ["--plain-http"]
        flags = ["--ca-file", self.ca_file]
        if self.client_cert_file:
            flags += ["--cert-file", self.client_cert_file, "--key-file", self.client_key_file]
        return flags

    def module_args(self):
        """Connection options of fclairamb.dbbat.helm_chart_publish for this registry."""
        args = {"plain_http": self.plain_http}
        if self.ca_file:
            args["ca_file"] = self.ca_file
        if self.client_cert_file:
            args["cert_file"], args["key_file"] = self.client_cert_file, self.client_key_file
        if self.username:
            args["username"], args["password"] = self.username, self.password
        return args


ROOT = Path(__file__).resolve().parents[2]


def publish_with_module(registry, chart_dir, env, workdir, version=None, app_version=None, repository="charts",
                        binary_path=None):
    """Publish ``chart_dir`` to ``registry`` with fclairamb.dbbat.helm_chart_publish; returns the module result.

    ``env`` is the environment of ansible-playbook (the ``tool_env`` fixture); the registry
    password reaches the module through an environment variable, never the playbook file.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args = {"chart_path": str(chart_dir), "registry": "%s/%s" % (registry.url, repository),
            "plain_http": registry.plain_http}
    for key, value in (("version", version), ("app_version", app_version), ("binary_path", binary_path),
                       ("ca_file", registry.ca_file), ("username", registry.username)):
        if value:
            args[key] = value
    if registry.password:
        args["password"] = "{{ lookup('ansible.builtin.env', 'PUBLISH_REGISTRY_PASSWORD') }}"
    results = workdir / "publish-result.json"
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": [{"fclairamb.dbbat.helm_chart_publish": args, "register": "published"},
                       {"ansible.builtin.copy": {"content": "{{ published | to_json }}", "dest": str(results),
                                                 "mode": "0600"}}]}]
    playbook = workdir / "publish.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run_env = dict(env, PUBLISH_REGISTRY_PASSWORD=registry.password or "",
                   XDG_CONFIG_HOME=str(workdir / "xdg-config"), XDG_CACHE_HOME=str(workdir / "xdg-cache"))
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook)], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError("publishing %s with helm_chart_publish failed:\n%s%s" % (chart_dir, proc.stdout,
                                                                                    proc.stderr))
    return json.loads(results.read_text())


class PublishedChart:
    """A chart version published by the module: ``ref`` (without version), ``version``, ``registry``."""

    def __init__(self, ref, version, registry, digest):
        self.ref, self.version, self.registry, self.digest = ref, version, registry, digest


@pytest.fixture(scope="session")
def published_dbbat_chart(oci_registry_tls, tool_env, tmp_path_factory):
    """charts/dbbat at its Chart.yaml version, published by helm_chart_publish to the TLS registry."""
    chart_dir = ROOT / "charts" / "dbbat"
    if not (chart_dir / "Chart.yaml").exists():
        pytest.skip("charts/dbbat is not there yet")
    result = publish_with_module(oci_registry_tls, chart_dir, tool_env, tmp_path_factory.mktemp("publish-dbbat"))
    return PublishedChart(ref="%s/charts/dbbat" % oci_registry_tls.url, version=result["version"],
                          registry=oci_registry_tls, digest=result["digest"])


def _started(workdir, **kwargs):
    return Registry(workdir, **kwargs).start()


@pytest.fixture(scope="session")
def oci_registry_plain(tmp_path_factory):
    """Session registry over plain HTTP, no authentication."""
    reg = _started(tmp_path_factory.mktemp("oci-plain"))
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def oci_registry_tls(tmp_path_factory):
    """Session registry over HTTPS (test CA in ``ca_file``) with htpasswd basic auth."""
    reg = _started(tmp_path_factory.mktemp("oci-tls"), tls=True, auth=True)
    yield reg
    reg.stop()


@pytest.fixture(scope="session", params=["plain", "tls"])
def oci_registry(request):
    """Each session registry flavour in turn."""
    return request.getfixturevalue(f"oci_registry_{request.param}")


@pytest.fixture
def oci_registry_factory(tmp_path):
    """Start fresh registries for one test: ``factory(tls=False, auth=False, client_auth=False)``."""
    started = []

    def factory(tls=False, auth=False, client_auth=False):
        reg = _started(Path(tempfile.mkdtemp(dir=tmp_path, prefix="oci-")), tls=tls, auth=auth,
                       client_auth=client_auth)
        started.append(reg)
        return reg

    yield factory
    for reg in started:
        reg.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run a local OCI registry until Ctrl-C.")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a generated CA and basic auth")
    opts = parser.parse_args()
    reg = _started(tempfile.mkdtemp(prefix="oci-registry-"), tls=opts.tls, auth=opts.tls)
    print(f"registry: {reg.url}  storage: {reg.storage_dir}")
    if opts.tls:
        print(f"ca_file: {reg.ca_file}  username: {reg.username}  password: {reg.password}")
    try:
        while reg.running:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        reg.stop()
