"""Signed publishing with fclairamb.dbbat.helm_chart_publish (sign, key, keyring, passphrase) against
the real TLS registry, Helm 3.19 and 4.3, with throwaway GnuPG keys (tests/publish/conftest.py).

What is checked: the provenance file is pushed with the chart and `helm pull --verify` accepts it with
the public keys, with either Helm major; an unchanged signed re-publish pushes nothing; the passphrase
never shows; each signing mistake has a message that names the option to fix.
"""
import json

from tests.publish.test_publish import Runner, connection_args, copy_chart, other_helm
from tests.publish.test_publish import _helm_name as helm_name

from testkit.proc import run

PASSPHRASE_ENV = "PUBLISH_TEST_PASSPHRASE"
PROVENANCE_LAYER = "application/vnd.cncf.helm.chart.provenance.v1.prov"


def pull_verified(helm_bin, reg, ref, version, pubring, workdir, env):
    """`helm pull --verify --keyring PUBRING` of a published version (a private login for the registry)."""
    config = workdir / "verify-registry.json"
    config.write_text(json.dumps({"auths": {reg.host: {}}}))
    run([helm_bin, "registry", "login", reg.host, "--username", reg.username, "--password-stdin",
         "--registry-config", config, "--ca-file", reg.ca_file], input=reg.password, env=env).check()
    destination = workdir / ("verified-%s" % helm_name(helm_bin))
    destination.mkdir(exist_ok=True)
    return run([helm_bin, "pull", ref, "--version", version, "--verify", "--keyring", pubring, "--destination",
                destination, "--registry-config", config, "--ca-file", reg.ca_file], env=env)


def manifest_layers(reg, repository, tag):
    """The media types of the layers of a stored manifest, read from the registry's storage."""
    digest = reg.tag_digest(repository, tag)
    algorithm, hexa = digest.split(":")
    blob = reg.storage_dir + "/docker/registry/v2/blobs/%s/%s/%s/data" % (algorithm, hexa[:2], hexa)
    with open(blob) as handle:
        return [layer["mediaType"] for layer in json.load(handle)["layers"]]


def test_signed_publish_verifies_and_republishes_unchanged(helm_any, oci_registry_tls, signing_keys, tmp_path):
    reg, keys = oci_registry_tls, signing_keys
    runner = Runner(tmp_path, reg)
    repository = "signed/%s" % helm_name(helm_any)
    base = dict(connection_args(reg), registry="%s/%s" % (reg.url, repository), binary_path=helm_any,
                chart_path=str(copy_chart(tmp_path, "signed")), version="1.0.0", sign=True, key="signer@example.test",
                keyring=keys.secring)

    results, _ = runner.play([("signed", base, None)])
    signed = results["signed"]
    assert signed.get("failed") is not True, signed["msg"]
    assert signed["pushed"] is True
    assert any("--sign" in command for command in signed["commands"])
    assert PROVENANCE_LAYER in manifest_layers(reg, "%s/publishme" % repository, "1.0.0")
    counts = reg.counts()

    # consumers verify it with the public keys, whichever Helm major they run
    for helm_bin in (helm_any, other_helm(helm_any)):
        verified = pull_verified(helm_bin, reg, "%s/%s/publishme" % (reg.url, repository), "1.0.0", keys.pubring,
                                 tmp_path, runner.env)
        assert verified.ok, verified.tail()
        assert "Signed by: %s" % keys.signer in verified.out

    # a signature records its time, yet re-publishing the same chart signed by the same key is a no-op,
    # also with the other Helm major, in check mode, and without signing
    results, _ = runner.play([
        ("again", base, None),
        ("again_other_helm", dict(base, binary_path=other_helm(helm_any)), None),
        ("plan", base, {"check_mode": True}),
        ("unsigned", {k: v for k, v in base.items() if k not in ("sign", "key", "keyring")}, None),
    ])
    for name in ("again", "again_other_helm", "plan", "unsigned"):
        assert results[name].get("failed") is not True, (name, results[name]["msg"])
        assert results[name]["changed"] is False, (name, results[name])
        assert results[name]["digest"] == signed["digest"]
    assert not any("--sign" in command for command in results["again"]["commands"]), "nothing is signed again"
    assert any(" verify " in command for command in results["again"]["commands"])
    assert reg.counts() == counts
    runner.assert_clean()


def test_signing_with_a_protected_key(helm_any, oci_registry_tls, signing_keys, tmp_path):
    """The passphrase reaches helm on stdin only; a missing or wrong one is named."""
    reg, keys = oci_registry_tls, signing_keys
    runner = Runner(tmp_path, reg)
    runner.env[PASSPHRASE_ENV] = keys.passphrase
    runner.env["PUBLISH_TEST_WRONG_PASSPHRASE"] = "not the passphrase"
    repository = "protected/%s" % helm_name(helm_any)
    base = dict(connection_args(reg), registry="%s/%s" % (reg.url, repository), binary_path=helm_any,
                chart_path=str(copy_chart(tmp_path, "protected")), sign=True, key="Protected Signer",
                keyring=keys.secring)
    passphrase = "{{ lookup('ansible.builtin.env', '%s') }}" % PASSPHRASE_ENV
    wrong = "{{ lookup('ansible.builtin.env', 'PUBLISH_TEST_WRONG_PASSPHRASE') }}"
    results, proc = runner.play([
        ("no_passphrase", base, None),
        ("wrong_passphrase", dict(base, passphrase=wrong), None),
        ("ambiguous_key", dict(base, key="Signer", passphrase=passphrase), None),
        ("unknown_key", dict(base, key="nobody@example.test", passphrase=passphrase), None),
        ("public_keyring", dict(base, keyring=keys.pubring, passphrase=passphrase), None),
        ("without_sign", {k: v for k, v in base.items() if k != "sign"}, None),
        ("with_passphrase", dict(base, passphrase=passphrase), None),
    ], verbosity=3)
    output = proc.stdout + proc.stderr
    assert keys.passphrase not in output and "not the passphrase" not in output

    def failed_with(name, *fragments):
        result = results[name]
        assert result.get("failed") is True, "%s: %s" % (name, result)
        for fragment in fragments:
            assert fragment in result["msg"], "%s: %r not in %r" % (name, fragment, result["msg"])
        assert result["pushed"] is False

    failed_with("no_passphrase", "the signing key 'Protected Signer' is protected by a passphrase: set passphrase")
    failed_with("wrong_passphrase", "passphrase does not unlock the signing key 'Protected Signer'")
    failed_with("ambiguous_key", "key 'Signer' matches more than one key of keyring")
    failed_with("unknown_key", "key 'nobody@example.test' is not in keyring %s" % keys.secring)
    failed_with("public_keyring", "holds no secret key", "gpg --export-secret-keys")
    failed_with("without_sign", "key, keyring only apply when signing: set sign: true")
    published = results["with_passphrase"]
    assert published.get("failed") is not True, published["msg"]
    assert published["pushed"] is True
    verified = pull_verified(helm_any, reg, "%s/%s/publishme" % (reg.url, repository), "0.1.0", keys.pubring,
                             tmp_path, runner.env)
    assert verified.ok and "Signed by: %s" % keys.protected in verified.out, verified.tail()
    runner.assert_clean()


def test_signed_republish_of_a_version_not_signed_by_the_key(helm, oci_registry_tls, signing_keys, tmp_path):
    """Unsigned, or signed by another key: a difference, refused unless forced."""
    reg, keys = oci_registry_tls, signing_keys
    runner = Runner(tmp_path, reg)
    runner.env[PASSPHRASE_ENV] = keys.passphrase
    chart = str(copy_chart(tmp_path, "resign"))
    base = dict(connection_args(reg), registry="%s/resign" % reg.url, binary_path=helm, chart_path=chart)
    signing = dict(base, sign=True, key="Chart Signer", keyring=keys.secring)
    results, _ = runner.play([
        ("unsigned", base, None),
        ("signed_refused", signing, None),
        ("signed_forced", dict(signing, force=True), None),
        ("other_key", dict(signing, key="Protected Signer",
                           passphrase="{{ lookup('ansible.builtin.env', '%s') }}" % PASSPHRASE_ENV), None),
    ])
    assert results["unsigned"]["pushed"] is True
    refused = results["signed_refused"]
    assert refused["failed"] is True and refused["differences"] == ["provenance: missing"]
    assert "already published with the same files but not signed as asked (provenance: missing)" in refused["msg"]
    assert "force: true" in refused["msg"]
    assert results["signed_forced"].get("failed") is not True, results["signed_forced"]["msg"]
    assert results["signed_forced"]["pushed"] is True
    other = results["other_key"]
    assert other["failed"] is True
    assert other["differences"] == ["provenance: signed by %s, not by key 'Protected Signer'" % keys.signer]
    runner.assert_clean()
