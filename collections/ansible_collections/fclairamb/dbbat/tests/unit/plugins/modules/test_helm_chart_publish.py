# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of helm_chart_publish with scripted stand-ins for helm (run_command) and for the
registry (RegistryClient).

They check the decisions (read, package, push or not, fail or not) and what reaches helm: argv
lists in which the password and the passphrase never appear, the password on stdin of the login
only, the passphrase on stdin of the signing package only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import itertools
import json
import os
import tarfile
import time

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.fclairamb.dbbat.plugins.module_utils import oci_registry
from ansible_collections.fclairamb.dbbat.plugins.module_utils.oci_registry import (
    CHART_LAYER,
    PROVENANCE_LAYER,
    RegistryError,
)
from ansible_collections.fclairamb.dbbat.plugins.modules import helm_chart_publish

PASSWORD = "s3cr3t-Pa55word"
PASSPHRASE = "correct horse battery"
CHART_YAML = 'apiVersion: v2\nname: mychart\nversion: 0.1.0\nappVersion: "1.0"\n'
SIGNER = "Chart Signer <signer@example.test>"
# helm stamps archives with the time; each fake packaging happens one second after the previous one
CLOCK = itertools.count(int(time.time()))


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def _exit_json(self, **kwargs):
    raise Exit(kwargs)


def _fail_json(self, **kwargs):
    raise Fail(kwargs)


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def helm_archive(chart_dir, version, app_version, extra_files=None):
    """What `helm package` writes: the chart's files (*.swp ignored, as a .helmignore would) with the
    version overrides applied, stamped with the current time (helm 3 is not reproducible)."""
    files = {}
    for root, _dirs, names in os.walk(chart_dir):
        for name in names:
            if name.endswith(".swp"):
                continue
            full = os.path.join(root, name)
            with open(full, "rb") as handle:
                files[os.path.relpath(full, chart_dir)] = handle.read()
    files["Chart.yaml"] = ("apiVersion: v2\nname: mychart\nversion: %s\nappVersion: %s\n"
                           % (version, app_version)).encode()
    files.update(extra_files or {})
    buf = io.BytesIO()
    stamp = next(CLOCK)
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel, content in sorted(files.items(), reverse=True):
            info = tarfile.TarInfo("mychart/" + rel)
            info.size, info.mtime = len(content), stamp
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


class FakeRegistry(object):
    """Stands in for RegistryClient: manifests and blobs in memory, failures on demand."""

    def __init__(self, error=None):
        self.error = error
        self.manifests = {}
        self.blobs = {}
        self.calls = []
        self.connections = []

    def client(self, host, **options):
        self.connections.append(dict(options, host=host))
        return self

    def put(self, repository, tag, archive, provenance=None):
        layers = []
        if provenance is not None:
            self.blobs[digest_of(provenance)] = provenance
            layers.append({"mediaType": PROVENANCE_LAYER, "digest": digest_of(provenance), "size": len(provenance)})
        self.blobs[digest_of(archive)] = archive
        layers.append({"mediaType": CHART_LAYER, "digest": digest_of(archive), "size": len(archive)})
        # As helm push: Chart.yaml's annotations become the manifest's.
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            chart_yaml = [m for m in tar.getmembers() if m.name.endswith("/Chart.yaml")][0]
            annotations = yaml.safe_load(tar.extractfile(chart_yaml).read()).get("annotations") or {}
        manifest = json.dumps({"schemaVersion": 2, "layers": layers, "annotations": annotations}).encode()
        self.manifests[(repository, tag)] = manifest
        return digest_of(manifest)

    def manifest(self, repository, tag):
        self.calls.append(("manifest", repository, tag))
        if self.error:
            raise self.error
        if (repository, tag) not in self.manifests:
            raise RegistryError("not_found", "GET .../manifests/%s: response status code 404" % tag)
        body = self.manifests[(repository, tag)]
        return digest_of(body), body

    def blob(self, repository, digest):
        self.calls.append(("blob", repository, digest))
        return self.blobs[digest]

    def reads(self, kind):
        return [call for call in self.calls if call[0] == kind]


class FakeHelm(object):
    """Answers run_command like helm would, pushing into a FakeRegistry."""

    def __init__(self, chart_dir, registry, version="v4.3.1", login_error=None, pull_error=None, sign_error=None,
                 signer=SIGNER, verify_error=None):
        self.chart_dir = chart_dir
        self.registry = registry
        self.version = version
        self.login_error = login_error
        self.pull_error = pull_error
        self.sign_error = sign_error
        self.signer = signer
        self.verify_error = verify_error
        self.calls = []
        self.pushed = []

    def __call__(self, module, argv, data=None, **kwargs):
        assert isinstance(argv, list), "helm must get an argv list"
        assert kwargs.get("use_unsafe_shell") is False
        self.calls.append((argv, data))
        command = argv[1]
        if command == "version":
            return 0, self.version, ""
        if command == "package":
            dest = argv[argv.index("--destination") + 1]
            version = argv[argv.index("--version") + 1]
            app_version = argv[argv.index("--app-version") + 1] if "--app-version" in argv else "1.0"
            if "--sign" in argv and self.sign_error:
                return 1, "", self.sign_error
            path = os.path.join(dest, "mychart-%s.tgz" % version)
            with open(path, "wb") as handle:
                handle.write(helm_archive(argv[2], version, app_version))
            if "--sign" in argv:
                with open(path + ".prov", "w") as handle:
                    handle.write("-----BEGIN PGP SIGNED MESSAGE-----\nsigned by %s\n" % self.signer)
            return 0, "Successfully packaged chart", ""
        if command == "dependency":
            self.dependency_dir = argv[3]
            return 0, "Saving 0 charts", ""
        if command == "lint":
            return 0, "1 chart(s) linted, 0 chart(s) failed", ""
        if command == "registry":
            config = argv[argv.index("--registry-config") + 1]
            with open(config) as handle:
                self.login_config_seed = handle.read()
            self.login_config_mode = os.stat(config).st_mode & 0o777
            if self.login_error:
                return 1, "", self.login_error
            return 0, "", "Login Succeeded\n"
        if command == "pull":
            if self.pull_error:
                return 1, "", self.pull_error
            repository, _sep, name = argv[2][len("oci://"):].partition("/")[2].rpartition("/")
            key = ("%s/%s" % (repository, name) if repository else name, argv[argv.index("--version") + 1])
            if key not in self.registry.manifests:
                return 1, "", 'Error: failed to perform "FetchReference" on source: %s: not found' % argv[2]
            layers = json.loads(self.registry.manifests[key])["layers"]
            dest = argv[argv.index("--destination") + 1]
            path = os.path.join(dest, "mychart-%s.tgz" % key[1])
            for layer in layers:
                suffix = ".prov" if layer["mediaType"] == PROVENANCE_LAYER else ""
                if suffix and "--prov" not in argv:
                    continue
                with open(path + suffix, "wb") as handle:
                    handle.write(self.registry.blobs[layer["digest"]])
            return 0, "Pulled: %s\nDigest: %s\n" % (key, digest_of(self.registry.manifests[key])), ""
        if command == "verify":
            if self.verify_error:
                return 1, "", self.verify_error
            return 0, "Signed by: %s\nUsing Key With Fingerprint: ABC\nChart Hash Verified: sha256:x\n" % self.signer, ""
        if command == "push":
            archive, remote = argv[2], argv[3]
            with open(archive, "rb") as handle:
                data = handle.read()
            provenance = None
            if os.path.exists(archive + ".prov"):
                with open(archive + ".prov", "rb") as handle:
                    provenance = handle.read()
            path = remote[len("oci://"):].partition("/")[2]
            name, version = os.path.basename(archive)[:-len(".tgz")].split("-", 1)
            repository = "%s/%s" % (path, name) if path else name
            digest = self.registry.put(repository, version.replace("+", "_"), data, provenance)
            self.pushed.append((archive, data, provenance))
            return 0, "", "Pushed: %s:%s\nDigest: %s\n" % (repository, version, digest)
        raise AssertionError("unexpected helm call %r" % (argv,))

    def commands(self, name):
        return [argv for argv, _data in self.calls if argv[1] == name]

    def names(self):
        return [argv[1] for argv, _data in self.calls]


FAKE_HELM = "/bin/true"  # an executable for binary_path; run_command is replaced, so it never runs


@pytest.fixture
def chart(tmp_path):
    chart_dir = tmp_path / "mychart"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text(CHART_YAML)
    (chart_dir / "values.yaml").write_text("a: 1\n")
    (chart_dir / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    return str(chart_dir)


@pytest.fixture
def registry(monkeypatch):
    fake = FakeRegistry()
    monkeypatch.setattr(oci_registry, "RegistryClient", fake.client)
    return fake


@pytest.fixture
def keyring(tmp_path):
    path = tmp_path / "secring.gpg"
    path.write_bytes(b"not really a keyring")
    return str(path)


@pytest.fixture(autouse=True)
def module_exits(monkeypatch, tmp_path):
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    workdirs = tmp_path / "module-tmp"
    workdirs.mkdir()
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", property(lambda self: str(workdirs)))


@pytest.fixture
def warnings(monkeypatch):
    found = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: found.append(msg))
    return found


def run_module(monkeypatch, helm, expect=Exit, check_mode=False, **args):
    def run_command(module, argv, **kwargs):
        return helm(module, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    args.setdefault("binary_path", FAKE_HELM)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args):
        with pytest.raises(expect) as raised:
            helm_chart_publish.main()
    return raised.value.args[0]


def assert_secrets_only_on_stdin(helm, result):
    for argv, data in helm.calls:
        assert not any(PASSWORD in arg or PASSPHRASE in arg for arg in argv), argv
        if argv[1:3] == ["registry", "login"]:
            assert data == PASSWORD and "--password-stdin" in argv
        elif argv[1] == "package" and "--sign" in argv and data is not None:
            assert data == PASSPHRASE and argv[argv.index("--passphrase-file") + 1] == "-"
        else:
            assert data is None, argv
    assert PASSWORD not in json.dumps(result) and PASSPHRASE not in json.dumps(result)


# -- publishing ---------------------------------------------------------------------

def test_first_publish_pushes_the_reproducible_archive_with_a_private_login(monkeypatch, chart, registry, tmp_path):
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://ghcr.io/fclairamb/charts",
                        version="1.2.3", app_version="4.5.6", username="me", password=PASSWORD)
    assert result["changed"] is True and result["pushed"] is True and result["registry_checked"] is True
    assert result["ref"] == "oci://ghcr.io/fclairamb/charts/mychart:1.2.3"
    assert result["version"] == "1.2.3" and result["app_version"] == "4.5.6"
    assert sorted(helm.names()) == sorted(["version", "package", "lint", "registry", "push"])
    assert helm.names()[-2:] == ["registry", "push"]
    # the registry was read with the module's credentials, not through helm
    assert registry.connections[0]["username"] == "me" and registry.connections[0]["password"] == PASSWORD
    assert registry.reads("manifest") == [("manifest", "fclairamb/charts/mychart", "1.2.3")]
    (login,) = helm.commands("registry")
    (push,) = helm.commands("push")
    config = login[login.index("--registry-config") + 1]
    assert helm.login_config_seed == '{"auths": {"ghcr.io": {}}}' and helm.login_config_mode == 0o600
    assert push[push.index("--registry-config") + 1] == config
    assert "/reproducible/" in push[2] and push[3] == "oci://ghcr.io/fclairamb/charts"
    (_archive, pushed, provenance), = helm.pushed
    assert provenance is None
    assert result["digest"] == digest_of(registry.manifests[("fclairamb/charts/mychart", "1.2.3")])
    assert result["chart_digest"] == digest_of(pushed)
    assert "--strict" in helm.commands("lint")[0]
    assert_secrets_only_on_stdin(helm, result)
    # the source chart is untouched and the private work directory is gone
    with open(os.path.join(chart, "Chart.yaml")) as handle:
        assert handle.read() == CHART_YAML
    assert os.listdir(str(tmp_path / "module-tmp")) == []


def test_the_pushed_archive_is_reproducible(monkeypatch, chart, registry):
    """Two packagings at different times (helm stamps the time) give the same bytes."""
    digests = []
    for repository in ("a", "b"):
        helm = FakeHelm(chart, registry)
        result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/%s" % repository)
        digests.append(result["chart_digest"])
    assert digests[0] == digests[1]


def test_without_credentials_the_existing_login_is_used(monkeypatch, chart, registry):
    helm = FakeHelm(chart, registry)
    run_module(monkeypatch, helm, chart_path=chart, registry="ghcr.io/fclairamb/charts")
    assert helm.commands("registry") == []
    assert "--registry-config" not in helm.commands("push")[0]
    assert registry.connections[0]["username"] is None


@pytest.mark.parametrize("helm_version", ["v3.19.0", "v4.3.1"])
def test_plain_http_flags(monkeypatch, chart, registry, helm_version):
    helm = FakeHelm(chart, registry, version=helm_version)
    run_module(monkeypatch, helm, chart_path=chart, registry="oci://127.0.0.1:5000/charts", plain_http=True,
               username="me", password=PASSWORD)
    for command in ("registry", "push"):
        assert "--plain-http" in helm.commands(command)[0]
    assert registry.connections[0]["plain_http"] is True


@pytest.mark.parametrize("names", [("ca_file", "plain_http"), ("registry_ca_file", "registry_plain_http")])
def test_registry_connection_options_take_both_names(monkeypatch, chart, registry, tmp_path, names):
    """ca_file and plain_http (kubernetes.core's names) or their aliases, release_plan's names before 1.1.0."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("x")
    ca_name, plain_name = names
    helm = FakeHelm(chart, registry)
    run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts", **{ca_name: str(ca_file)})
    push = helm.commands("push")[0]
    assert push[push.index("--ca-file") + 1] == str(ca_file)
    assert registry.connections[0]["ca_file"] == str(ca_file)
    helm = FakeHelm(chart, registry)
    run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/other", **{plain_name: True})
    assert "--plain-http" in helm.commands("push")[0]
    assert registry.connections[1]["plain_http"] is True


# -- re-publishing -------------------------------------------------------------------

def publish_once(monkeypatch, chart, registry, **args):
    run_module(monkeypatch, FakeHelm(chart, registry), chart_path=chart, registry="oci://h/charts", **args)
    registry.calls = []


def test_unchanged_source_is_recognised_without_any_helm_command(monkeypatch, chart, registry):
    """The manifest's fingerprint matches the source: no helm process at all (not even helm version),
    and nothing read from the registry but the manifest."""
    publish_once(monkeypatch, chart, registry)
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts")
    assert result["changed"] is False and result["pushed"] is False
    assert "already published with the same content" in result["msg"]
    assert helm.names() == [] and result["commands"] == []
    assert [call[0] for call in registry.calls] == ["manifest"]
    assert result["digest"] == digest_of(registry.manifests[("charts/mychart", "0.1.0")])
    assert result["helm_version"] is None


def test_a_missing_binary_path_fails_even_when_nothing_would_run_helm(monkeypatch, chart, registry, tmp_path):
    publish_once(monkeypatch, chart, registry)
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/charts",
                        binary_path=str(tmp_path / "no-helm"))
    assert "binary_path %s is not an executable file" % (tmp_path / "no-helm") in result["msg"]


def test_a_file_helm_ignores_changes_the_fingerprint_not_the_chart(monkeypatch, chart, registry):
    """Another source, same chart: packaged, then compared file by file (one read of the layer)."""
    publish_once(monkeypatch, chart, registry)
    with open(os.path.join(chart, "values.yaml.swp"), "w") as handle:
        handle.write("editor state\n")
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts")
    assert result["changed"] is False and result["differences"] == []
    assert helm.names() == ["version", "package"]
    assert len(registry.reads("blob")) == 1


def test_without_fingerprint_the_reproducible_archive_is_compared_by_digest(monkeypatch, chart, registry):
    """dependency_update: no fingerprint, but the same files give the same archive, so the manifest's
    layer digest is enough: nothing downloaded."""
    publish_once(monkeypatch, chart, registry, dependency_update=True)
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts", dependency_update=True)
    assert result["changed"] is False
    assert helm.names() == ["version", "dependency", "package"]
    assert [call[0] for call in registry.calls] == ["manifest"]


def test_same_files_pushed_by_another_tool_compare_by_files(monkeypatch, chart, registry):
    registry.put("charts/mychart", "0.1.0", helm_archive(chart, "0.1.0", "1.0"))
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts")
    assert result["changed"] is False and result["differences"] == []
    assert len(registry.reads("blob")) == 1
    assert helm.commands("push") == []


def test_different_content_fails_unless_forced(monkeypatch, chart, registry):
    changed = {"templates/cm.yaml": b"kind: ConfigMap\ndata: {}\n"}
    registry.put("charts/mychart", "0.1.0", helm_archive(chart, "0.1.0", "1.0", extra_files=changed))
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/charts")
    assert "already published with different content (changed: templates/cm.yaml)" in result["msg"]
    assert "force: true" in result["msg"]
    assert helm.commands("push") == [] and helm.commands("lint") == []

    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts", force=True)
    assert result["pushed"] is True
    assert result["differences"] == ["changed: templates/cm.yaml"]


def test_check_mode_reports_but_pushes_nothing(monkeypatch, chart, registry):
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, check_mode=True, chart_path=chart, registry="oci://h/charts",
                        username="me", password=PASSWORD)
    assert result["changed"] is True and result["pushed"] is False and result["digest"] is None
    assert result["msg"] == "would push oci://h/charts/mychart:0.1.0 (check mode)"
    assert result["chart_digest"].startswith("sha256:")
    # linted like a real run; no login (nothing is written, not even a private config), no push
    assert helm.names() == ["version", "package", "lint"]
    assert registry.manifests == {}
    assert_secrets_only_on_stdin(helm, result)


def test_check_mode_of_an_unchanged_version(monkeypatch, chart, registry):
    publish_once(monkeypatch, chart, registry)
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, check_mode=True, chart_path=chart, registry="oci://h/charts")
    assert result["changed"] is False and result["digest"].startswith("sha256:")


# -- inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0.0"])
def test_bad_version_fails_before_helm_runs(monkeypatch, chart, registry, version):
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/charts", version=version)
    assert "version '%s' is not a Semantic Versioning 2 version" % version in result["msg"]
    assert helm.calls == [] and registry.calls == []


def test_missing_chart_dir(monkeypatch, tmp_path, registry):
    helm = FakeHelm(str(tmp_path), registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=str(tmp_path / "nope"), registry="oci://h/c")
    assert result["msg"] == "chart_path %s is not a directory" % (tmp_path / "nope")


def test_bad_repository_path_names_the_rule(monkeypatch, chart, registry):
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart,
                        registry="oci://ghcr.io/FClairamb/charts")
    assert "registry path 'FClairamb/charts' is not a valid OCI repository path" in result["msg"]


def test_plain_http_refuses_tls_options(monkeypatch, chart, registry, tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("x")
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c",
                        plain_http=True, ca_file=str(ca_file))
    assert "plain_http: true" in result["msg"] and "ca_file cannot apply" in result["msg"]


def test_old_helm_fails_naming_the_option(monkeypatch, chart, registry):
    helm = FakeHelm(chart, registry, version="v3.12.3")
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c", plain_http=True)
    assert result["msg"] == "plain_http needs Helm >= 3.13.0, found 3.12.3"
    assert helm.commands("push") == [] and helm.commands("lint") == []


def test_dependency_update_works_on_a_private_copy(monkeypatch, chart, registry, tmp_path):
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/c", dependency_update=True)
    assert result["pushed"] is True
    copy = helm.dependency_dir
    assert copy != chart and copy.startswith(str(tmp_path)) and os.path.basename(copy) == "mychart"
    assert helm.commands("package")[0][2] == copy
    assert not os.path.exists(copy)
    assert sorted(os.listdir(chart)) == ["Chart.yaml", "templates", "values.yaml"]


# -- registry failures -----------------------------------------------------------------

def test_registry_errors_get_their_own_message(monkeypatch, chart, registry):
    registry.error = RegistryError("unauthorized", "GET https://h/v2/c/mychart/manifests/0.1.0: response status "
                                                   "code 401 Unauthorized")
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c",
                        username="me", password=PASSWORD)
    assert "registry h refused the credentials of user 'me' (401 unauthorized)" in result["msg"]
    assert PASSWORD not in str(result)

    registry.error = RegistryError("tls", "GET https://h/v2/: x509: certificate signed by unknown authority")
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c")
    assert result["msg"].startswith("TLS verification of registry h failed")
    assert "set ca_file" in result["msg"]
    assert helm.commands("push") == []


def test_a_tls_file_that_cannot_be_loaded_is_named(monkeypatch, chart, registry):
    registry.error = RegistryError("options", "ca_file /ca.pem cannot be loaded as PEM certificates: bad")
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c")
    assert result["msg"] == "ca_file /ca.pem cannot be loaded as PEM certificates: bad"


def test_check_mode_without_registry_access_warns_and_plans_a_push(monkeypatch, chart, registry, warnings):
    registry.error = RegistryError("unreachable", "GET https://h/v2/c/mychart/manifests/0.1.0: connection refused")
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, check_mode=True, chart_path=chart, registry="oci://h/c")
    assert result["changed"] is True and result["pushed"] is False and result["registry_checked"] is False
    assert warnings == ["check mode: cannot tell whether oci://h/c/mychart:0.1.0 is already published: "
                        "registry h is unreachable (checking oci://h/c/mychart:0.1.0: GET "
                        "https://h/v2/c/mychart/manifests/0.1.0: connection refused): check the registry host "
                        "and port and that it is up"]
    assert helm.commands("push") == []


def test_an_existing_helm_login_is_used_when_the_registry_wants_credentials(monkeypatch, chart, registry):
    """No credentials given, the registry asks for some: helm reads it with the user's own login."""
    registry.put("c/mychart", "0.1.0", helm_archive(chart, "0.1.0", "1.0"))
    registry.error = RegistryError("unauthorized", "GET https://h/v2/c/mychart/manifests/0.1.0: 401")
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/c")
    assert result["changed"] is False and result["registry_checked"] is True
    (pull,) = helm.commands("pull")
    assert "--registry-config" not in pull and "--prov" not in pull


def test_without_credentials_nor_login_the_message_says_what_to_set(monkeypatch, chart, registry):
    registry.error = RegistryError("unauthorized", "GET https://h/v2/c/mychart/manifests/0.1.0: 401")
    helm = FakeHelm(chart, registry,
                    pull_error='Error: GET "https://h/v2/c/mychart/manifests/0.1.0": basic credential not found')
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c")
    assert result["msg"].startswith("registry h requires authentication (401 unauthorized): set username and "
                                    "password, or log in with 'helm registry login' first")


DENIED = RegistryError("denied", 'GET "https://ghcr.io/v2/o/c/mychart/manifests/0.1.0": response status code 403')


def test_logged_in_but_denied_read_is_treated_as_not_published(monkeypatch, chart, registry, warnings):
    registry.error = DENIED
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://ghcr.io/o/c", username="me",
                        password=PASSWORD)
    assert result["pushed"] is True and result["registry_checked"] is False
    assert len(warnings) == 1 and "treating it as not published yet" in warnings[0]


def test_denied_without_credentials_fails(monkeypatch, chart, registry):
    registry.error = DENIED
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://ghcr.io/o/c")
    assert result["msg"].startswith("registry ghcr.io denied access (403)")
    assert helm.commands("push") == []


def test_a_tag_that_is_not_a_chart_is_refused(monkeypatch, chart, registry):
    registry.manifests[("c/mychart", "0.1.0")] = json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "0" * 64}]}).encode()
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c")
    assert "exists in the registry but it is not a Helm chart" in result["msg"]


# -- signing ----------------------------------------------------------------------------

def test_signed_publish_pushes_the_provenance_with_the_passphrase_on_stdin(monkeypatch, chart, registry, keyring):
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/c", sign=True, key="Chart Signer",
                        keyring=keyring, passphrase=PASSPHRASE, username="me", password=PASSWORD)
    assert result["pushed"] is True
    signed = [argv for argv in helm.commands("package") if "--sign" in argv]
    assert len(signed) == 1
    assert signed[0][signed[0].index("--key") + 1] == "Chart Signer"
    assert signed[0][signed[0].index("--keyring") + 1] == keyring
    (archive, data, provenance), = helm.pushed
    assert "/signed/" in archive and provenance is not None
    assert result["chart_digest"] == digest_of(data)
    assert_secrets_only_on_stdin(helm, result)


def test_signing_without_passphrase_gives_none_to_helm(monkeypatch, chart, registry, keyring):
    helm = FakeHelm(chart, registry)
    run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/c", sign=True, key="Chart Signer",
               keyring=keyring)
    signed = [(argv, data) for argv, data in helm.calls if argv[1] == "package" and "--sign" in argv]
    assert "--passphrase-file" not in signed[0][0] and signed[0][1] is None


@pytest.mark.parametrize("stderr, expected", [
    ("Error: inappropriate ioctl for device", "the signing key 'Chart Signer' is protected by a passphrase: "
                                              "set passphrase"),
    ("Error: openpgp: invalid data: private key checksum failure", "passphrase does not unlock the signing key"),
    ("Error: private key not found", "key 'Chart Signer' is not in keyring"),
    ("Error: provided key is not a private key. Try providing a keyring with secret keys",
     "holds no secret key for 'Chart Signer'"),
    ('Error: more than one key contain the id "Chart Signer"', "matches more than one key of keyring"),
])
def test_signing_failures_say_what_to_fix(monkeypatch, chart, registry, keyring, stderr, expected):
    helm = FakeHelm(chart, registry, sign_error=stderr)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c", sign=True,
                        key="Chart Signer", keyring=keyring, passphrase=PASSPHRASE)
    assert result["msg"].startswith("sign: ") and expected in result["msg"]
    assert helm.commands("push") == []
    assert PASSPHRASE not in json.dumps(result)


def test_signing_options_are_checked(monkeypatch, chart, registry, keyring, tmp_path):
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c",
                        sign=True, key="Chart Signer")
    assert "sign is True but all of the following are missing: keyring" in result["msg"]
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c",
                        key="Chart Signer", keyring=keyring)
    assert result["msg"] == "key, keyring only apply when signing: set sign: true, or remove key and keyring"
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c",
                        sign=True, key="Chart Signer", keyring=str(tmp_path / "missing.gpg"))
    assert result["msg"].startswith("keyring %s does not exist or is not a file" % (tmp_path / "missing.gpg"))
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, chart_path=chart, registry="oci://h/c",
                        sign=True, key="Chart Signer", keyring=keyring, passphrase="two\nlines")
    assert result["msg"] == "passphrase must be one line: helm reads the first line only"


def test_signed_republish_is_unchanged_when_the_provenance_verifies(monkeypatch, chart, registry, keyring):
    args = dict(chart_path=chart, registry="oci://h/c", sign=True, key="signer@example.test", keyring=keyring)
    run_module(monkeypatch, FakeHelm(chart, registry), **args)
    helm = FakeHelm(chart, registry)
    result = run_module(monkeypatch, helm, **args)
    assert result["changed"] is False, result
    assert "package" in helm.names() and "verify" in helm.names()
    assert not [argv for argv in helm.commands("package") if "--sign" in argv], "nothing is signed again"
    (verify,) = helm.commands("verify")
    assert verify[verify.index("--keyring") + 1] == keyring and verify[2].endswith("/mychart-0.1.0.tgz")


def test_signed_republish_of_an_unsigned_version_is_a_difference(monkeypatch, chart, registry, keyring):
    publish_once(monkeypatch, chart, registry)
    args = dict(chart_path=chart, registry="oci://h/c", sign=True, key="Chart Signer", keyring=keyring)
    args["registry"] = "oci://h/charts"
    result = run_module(monkeypatch, FakeHelm(chart, registry), expect=Fail, **args)
    assert result["differences"] == ["provenance: missing"]
    assert "already published with the same files but not signed as asked (provenance: missing)" in result["msg"]
    result = run_module(monkeypatch, FakeHelm(chart, registry), force=True, **args)
    assert result["pushed"] is True


@pytest.mark.parametrize("helm_args, expected", [
    (dict(signer="Someone Else <else@example.test>"),
     "provenance: signed by Someone Else <else@example.test>, not by key 'Chart Signer'"),
    (dict(verify_error="Error: openpgp: signature made by unknown entity"),
     "provenance: does not verify with keyring"),
])
def test_signed_republish_checks_who_signed(monkeypatch, chart, registry, keyring, helm_args, expected):
    args = dict(chart_path=chart, registry="oci://h/c", sign=True, key="Chart Signer", keyring=keyring)
    run_module(monkeypatch, FakeHelm(chart, registry), **args)
    result = run_module(monkeypatch, FakeHelm(chart, registry, **helm_args), expect=Fail, **args)
    assert result["differences"][0].startswith(expected)
    assert "not signed as asked" in result["msg"]
