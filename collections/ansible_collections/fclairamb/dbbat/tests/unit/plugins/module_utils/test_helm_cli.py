# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of the helm command wrapper: pure functions, no helm binary needed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.helm_cli import (
    BackgroundCall,
    HelmError,
    chart_ref,
    classify_registry_error,
    classify_signing_error,
    last_error_line,
    lint_argv,
    lint_problems,
    login_argv,
    package_argv,
    parse_digest,
    parse_helm_version,
    parse_registry,
    parse_signers,
    private_registry_config,
    pull_argv,
    push_argv,
    registry_flags,
    signing_error_message,
    verify_argv,
)

HELM3 = (3, 19, 0)
HELM4 = (4, 3, 1)
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("output, expected", [
    ("v3.19.0", (3, 19, 0)),
    ("v3.19.0+g3d8990f", (3, 19, 0)),
    ("v4.3.1", (4, 3, 1)),
    ('version.BuildInfo{Version:"v4.3.1", GitCommit:"c0d08d0", GoVersion:"go1.27.2"}', (4, 3, 1)),
    ('version.BuildInfo{Version:"v3.8.0", GitCommit:"d14138609"}', (3, 8, 0)),
    ("v4.0.0-rc.1\n", (4, 0, 0)),
])
def test_parse_helm_version(output, expected):
    assert parse_helm_version(output) == expected


@pytest.mark.parametrize("output", ["", "helm: command not found", "vX.Y"])
def test_parse_helm_version_refuses_garbage(output):
    with pytest.raises(ValueError):
        parse_helm_version(output)


@pytest.mark.parametrize("registry, expected", [
    ("oci://ghcr.io/fclairamb/charts", ("ghcr.io", "fclairamb/charts")),
    ("ghcr.io/fclairamb/charts/", ("ghcr.io", "fclairamb/charts")),
    ("oci://127.0.0.1:5000", ("127.0.0.1:5000", "")),
    ("oci://registry.example.internal:443/a/b-c/d_e", ("registry.example.internal:443", "a/b-c/d_e")),
])
def test_parse_registry(registry, expected):
    assert parse_registry(registry) == expected


@pytest.mark.parametrize("registry", ["https://ghcr.io/charts", "oci://", "oci://ghcr.io/Charts",
                                      "oci://bad host/charts", "oci://ghcr.io/a//b", "oci://ghcr.io\n/charts"])
def test_parse_registry_refuses(registry):
    with pytest.raises(ValueError):
        parse_registry(registry)


def test_chart_ref_uses_the_tag_helm_stores():
    assert chart_ref("ghcr.io", "fclairamb/charts", "dbbat", "1.0.0+build.1") == \
        "oci://ghcr.io/fclairamb/charts/dbbat:1.0.0_build.1"
    assert chart_ref("127.0.0.1:5000", "", "dbbat", "1.0.0") == "oci://127.0.0.1:5000/dbbat:1.0.0"


def test_login_argv_never_carries_the_password():
    argv = login_argv("/bin/helm", HELM4, "ghcr.io", "me", ca_file="/ca.pem", registry_config="/tmp/x/reg.json")
    assert argv == ["/bin/helm", "registry", "login", "ghcr.io", "--username", "me", "--password-stdin",
                    "--ca-file", "/ca.pem", "--registry-config", "/tmp/x/reg.json"]
    assert not any(arg.startswith("--password") and arg != "--password-stdin" for arg in argv)
    assert "-p" not in argv


@pytest.mark.parametrize("version", [HELM3, HELM4])
def test_insecure_flag_is_named_per_command(version):
    assert registry_flags("login", version, insecure_skip_tls_verify=True) == ["--insecure"]
    assert registry_flags("push", version, insecure_skip_tls_verify=True) == ["--insecure-skip-tls-verify"]
    assert registry_flags("pull", version, insecure_skip_tls_verify=True) == ["--insecure-skip-tls-verify"]


def test_plain_http_flags_per_version():
    assert registry_flags("login", HELM3, plain_http=True) == ["--plain-http"]
    assert registry_flags("push", HELM4, plain_http=True) == ["--plain-http"]
    # before 3.18, login has no --plain-http and --insecure lets it fall back to HTTP
    assert registry_flags("login", (3, 17, 2), plain_http=True) == ["--insecure"]
    assert registry_flags("pull", (3, 13, 0), plain_http=True) == ["--plain-http"]
    with pytest.raises(HelmError) as err:
        registry_flags("push", (3, 12, 3), plain_http=True)
    assert err.value.kind == "unsupported"
    assert "plain_http needs Helm >= 3.13.0, found 3.12.3" in err.value.message


def test_tls_flags_need_helm_3_11_for_push_and_pull():
    with pytest.raises(HelmError, match="needs Helm >= 3.11.0, found 3.10.0"):
        registry_flags("pull", (3, 10, 0), ca_file="/ca.pem")
    assert registry_flags("login", (3, 8, 0), ca_file="/ca.pem") == ["--ca-file", "/ca.pem"]


def test_push_pull_argv():
    tls = dict(ca_file="/ca.pem", cert_file="/c.pem", key_file="/k.pem", registry_config="/r.json")
    assert push_argv("helm", HELM3, "/p/dbbat-1.0.0.tgz", "oci://h/charts", **tls) == [
        "helm", "push", "/p/dbbat-1.0.0.tgz", "oci://h/charts", "--ca-file", "/ca.pem", "--cert-file", "/c.pem",
        "--key-file", "/k.pem", "--registry-config", "/r.json"]
    assert pull_argv("helm", HELM4, "oci://h/charts/dbbat", "1.0.0", "/d", plain_http=True) == [
        "helm", "pull", "oci://h/charts/dbbat", "--version", "1.0.0", "--destination", "/d", "--plain-http"]
    assert registry_flags("push", HELM4) == []


def test_package_and_lint_argv():
    assert package_argv("helm", "/src", "/out", "1.2.3", "9.9") == [
        "helm", "package", "/src", "--destination", "/out", "--version", "1.2.3", "--app-version", "9.9"]
    assert package_argv("helm", "/src", "/out") == ["helm", "package", "/src", "--destination", "/out"]
    assert package_argv("helm", "/src", "/out", "1.2.3", sign=True, key="Chart Signer", keyring="/k/secring.gpg",
                        passphrase_on_stdin=True) == [
        "helm", "package", "/src", "--destination", "/out", "--version", "1.2.3", "--sign", "--key", "Chart Signer",
        "--keyring", "/k/secring.gpg", "--passphrase-file", "-"]
    assert "--passphrase-file" not in package_argv("helm", "/s", "/o", sign=True, key="k", keyring="/r")
    assert verify_argv("helm", "/d/x-1.0.0.tgz", "/k/secring.gpg") == [
        "helm", "verify", "/d/x-1.0.0.tgz", "--keyring", "/k/secring.gpg"]
    assert lint_argv("helm", "/out/x.tgz", values=["/v.yaml"]) == [
        "helm", "lint", "/out/x.tgz", "--strict", "--values", "/v.yaml"]


def test_argv_builders_return_lists_of_strings():
    for argv in (login_argv("helm", HELM3, "h", "u"), push_argv("helm", HELM3, "a", "r"),
                 pull_argv("helm", HELM3, "r", "1.0.0", "/d"), package_argv("helm", "/s", "/d")):
        assert isinstance(argv, list) and all(isinstance(arg, str) for arg in argv)


@pytest.mark.parametrize("stderr, kind", [
    ('Error: failed to perform "FetchReference" on source: 127.0.0.1:5000/charts/x:0.1.0: not found', "not_found"),
    ("Error: GET https://ghcr.io/v2/x/manifests/1.0.0: MANIFEST_UNKNOWN: manifest unknown", "not_found"),
    ('Error: failed to perform "FetchReference" on source: Get "http://127.0.0.1:1/v2/x/manifests/0.1.0": '
     "dial tcp 127.0.0.1:1: connect: connection refused", "unreachable"),
    ('Error: Get "https://nowhere.invalid/v2/": dial tcp: lookup nowhere.invalid: no such host', "unreachable"),
    ('Error: Get "https://127.0.0.1:5000/v2/x": tls: failed to verify certificate: x509: certificate signed by '
     "unknown authority", "tls"),
    ('Error: Get "https://127.0.0.1:5000/v2/x/manifests/0.1.0": remote error: tls: bad certificate',
     "client_certificate"),
    ('Error: authenticating to "127.0.0.1:5000": GET "https://127.0.0.1:5000/v2/": response status code 401: '
     "unauthorized: authentication required", "unauthorized"),
    ('Error: GET "https://127.0.0.1:5000/v2/x/manifests/1": basic credential not found', "unauthorized"),
    ('Error: failed to perform "FetchReference" on source: GET "https://ghcr.io/v2/o/charts/x/manifests/1.0.0": '
     'GET "https://ghcr.io/token?scope=repository%3Ao%2Fcharts%2Fx%3Apull&service=ghcr.io": response status '
     "code 403: denied: requested access to the resource is denied", "denied"),
    ('Error: Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client', "plain_http_mismatch"),
    ('Error: authenticating to "h": GET "http://127.0.0.1:5000/v2/": response status code 400: Bad Request',
     "https_mismatch"),
    ("Error: something else entirely", "other"),
])
def test_classify_registry_error(stderr, kind):
    assert classify_registry_error(stderr) == kind


def test_parse_digest_from_helm3_stderr_and_helm4_stdout():
    assert parse_digest("Pushed: h/charts/x:1.0.0\nDigest: %s\n" % DIGEST) == DIGEST
    assert parse_digest("\nPulled: h/x:1\nDigest: %s" % DIGEST) == DIGEST
    assert parse_digest("Pushed: h/x:1\n") is None


def test_last_error_line_and_lint_problems():
    assert last_error_line("WARNING: x\nError: boom\n") == "boom"
    assert last_error_line("only line") == "only line"
    helm4 = ("==> Linting x.tgz\n[INFO] Chart.yaml: icon is recommended\n[ERROR] templates/: x/templates/b.yaml:1:10\n"
             "  executing \"x/templates/b.yaml\" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b\n\n"
             "[WARNING] values.yaml: odd\n")
    assert lint_problems(helm4) == [
        '[ERROR] templates/: x/templates/b.yaml:1:10 executing "x/templates/b.yaml" at <.Values.a.b>: '
        "nil pointer evaluating interface {}.b",
        "[WARNING] values.yaml: odd"]


def test_helm_cli_runs_argv_lists_only():
    class Module(object):
        def get_bin_path(self, name, required=False):
            return "/usr/bin/helm"

        def run_command(self, argv, **kwargs):
            self.last = (argv, kwargs)
            return 0, "v3.19.0", ""

    module = Module()
    helm = helm_cli.HelmCli(module)
    assert helm.version == (3, 19, 0) and helm.major == 3
    helm.run(["/usr/bin/helm", "lint", "x.tgz"])
    assert module.last[1]["use_unsafe_shell"] is False
    assert module.last[1]["environ_update"] == {"LC_ALL": "C", "HELM_DEBUG": "false"}
    with pytest.raises(TypeError):
        helm.run("helm version")


def _fake_helm(tmp_path):
    path = tmp_path / "helm"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_helm_cli_refuses_old_helm(tmp_path):
    class Module(object):
        def run_command(self, argv, **kwargs):
            return 0, "v3.7.2", ""

    with pytest.raises(HelmError, match=r"Helm >= 3\.8\.0 is needed"):
        helm_cli.HelmCli(Module(), _fake_helm(tmp_path)).version


def test_helm_cli_refuses_a_binary_path_that_cannot_run(tmp_path):
    not_executable = tmp_path / "helm.txt"
    not_executable.write_text("")
    for path in (str(tmp_path / "missing"), str(not_executable), str(tmp_path)):
        with pytest.raises(HelmError, match="binary_path .* is not an executable file"):
            helm_cli.HelmCli(object(), path)


def test_private_registry_config_names_the_host_so_no_keychain_is_detected():
    import json

    assert json.loads(private_registry_config("ghcr.io")) == {"auths": {"ghcr.io": {}}}


@pytest.mark.parametrize("stderr, kind", [
    # what Helm 3.19 and 4.3 print (checked with a throwaway GnuPG key)
    ("Error: inappropriate ioctl for device", "passphrase_required"),
    ('Password for key "Protected Signer <p@example.test>" >  \nError: inappropriate ioctl for device',
     "passphrase_required"),
    ("Error: openpgp: invalid data: private key checksum failure", "wrong_passphrase"),
    ('Error: more than one key contain the id "Signer"', "ambiguous_key"),
    ("Error: provided key is not a private key. Try providing a keyring with secret keys", "not_secret_keyring"),
    ("Error: private key not found", "key_not_found"),
    ("Error: openpgp: invalid argument: no armored data found", "keyring_unreadable"),
    ("Error: something else", "other"),
])
def test_classify_signing_error(stderr, kind):
    assert classify_signing_error(stderr) == kind


def test_signing_messages_name_the_option_to_fix():
    assert "set passphrase" in signing_error_message("passphrase_required", "k", "/r", "d")
    assert "gpg --export-secret-keys > secring.gpg" in signing_error_message("not_secret_keyring", "k", "/r", "d")
    assert "set key to" in signing_error_message("key_not_found", "k", "/r", "d")
    assert signing_error_message("other", "k", "/r", "boom") == "signing with key 'k' failed: boom"


def test_parse_signers():
    out = ("Signed by: Chart Signer <signer@example.test>\nSigned by: Chart Signer (ci)\n"
           "Using Key With Fingerprint: 58EA\nChart Hash Verified: sha256:46\n")
    assert parse_signers(out) == ["Chart Signer <signer@example.test>", "Chart Signer (ci)"]
    assert parse_signers("") == []


def test_background_call_returns_or_raises_in_the_caller():
    started = threading.Event()

    def work():
        started.set()
        return 42

    assert BackgroundCall(work).result() == 42 and started.is_set()

    def boom():
        raise HelmError("no helm")

    call = BackgroundCall(boom)
    call.wait()
    with pytest.raises(HelmError, match="no helm"):
        call.result()


def test_helm_version_runs_once_in_the_background_and_before_any_other_command(tmp_path):
    release = threading.Event()

    class Module(object):
        calls = []

        def run_command(self, argv, **kwargs):
            if argv[1] == "version":
                release.wait(5)
            self.calls.append(argv[1])
            return 0, "v4.3.1", ""

    module = Module()
    helm = helm_cli.HelmCli(module, _fake_helm(tmp_path))
    helm.start_version()
    helm.start_version()
    threading.Timer(0.2, release.set).start()
    helm.run([helm.binary, "lint", "x.tgz"])
    assert module.calls == ["version", "lint"], "lint waited for helm version to end"
    assert helm.version == (4, 3, 1) and helm.version == (4, 3, 1)
    assert module.calls == ["version", "lint"]
    assert helm.commands == ["%s version --template {{.Version}}" % helm.binary, "%s lint x.tgz" % helm.binary]


def test_upgrade_argv_takes_values_on_stdin_and_dry_runs_on_the_server():
    argv = helm_cli.upgrade_argv("helm", (3, 19, 0), "dbbat", "oci://r/charts/dbbat", "ns", chart_version="1.0.0",
                                 dry_run=True, plain_http=True, registry_config="/tmp/x/config.json")
    assert argv == ["helm", "upgrade", "dbbat", "oci://r/charts/dbbat", "--install", "--namespace", "ns",
                    "--values", "-", "--version", "1.0.0", "--dry-run=server", "--plain-http",
                    "--registry-config", "/tmp/x/config.json"]


def test_kube_env_passes_the_cluster_through_variables_never_argv():
    auth = {"host": "https://127.0.0.1:6443", "api_key": "tok", "ssl_ca_cert": "/ca.crt", "verify_ssl": False,
            "kubeconfig": "~/kc", "context": "c"}
    env = helm_cli.kube_env(auth)
    assert env["HELM_KUBEAPISERVER"] == "https://127.0.0.1:6443" and env["HELM_KUBETOKEN"] == "tok"
    assert env["HELM_KUBECAFILE"] == "/ca.crt" and env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] == "true"
    assert env["HELM_KUBECONTEXT"] == "c" and not env["KUBECONFIG"].startswith("~")
    assert helm_cli.kube_env({}) == {}


def test_release_commands_wait_and_name_the_namespace():
    assert helm_cli.rollback_argv("helm", "dbbat", 3, "prod", 300) == [
        "helm", "rollback", "dbbat", "3", "--namespace", "prod", "--wait", "--timeout", "300s"]
    assert helm_cli.uninstall_argv("helm", "dbbat", "prod", 60) == [
        "helm", "uninstall", "dbbat", "--namespace", "prod", "--wait", "--timeout", "60s"]
    assert helm_cli.test_argv("helm", "dbbat", "prod", 120) == [
        "helm", "test", "dbbat", "--namespace", "prod", "--timeout", "120s"]
