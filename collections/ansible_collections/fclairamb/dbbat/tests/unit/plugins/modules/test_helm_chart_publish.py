# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of helm_chart_publish with a scripted stand-in for helm's run_command.

They check the decisions (push or not, fail or not) and what reaches helm: argv lists in
which the password never appears, the password on stdin of the login only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import tarfile

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.fclairamb.dbbat.plugins.modules import helm_chart_publish

PASSWORD = "s3cr3t-Pa55word"
DIGEST_OLD = "sha256:" + "0" * 64
DIGEST_NEW = "sha256:" + "1" * 64
CHART_YAML = 'apiVersion: v2\nname: mychart\nversion: 0.1.0\nappVersion: "1.0"\n'


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def _exit_json(self, **kwargs):
    raise Exit(kwargs)


def _fail_json(self, **kwargs):
    raise Fail(kwargs)


def write_archive(path, chart_dir, version, app_version, extra_files=None):
    """What `helm package` would write: the chart's files with the version overrides applied."""
    files = {}
    for root, _dirs, names in os.walk(chart_dir):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as handle:
                files[os.path.relpath(full, chart_dir)] = handle.read()
    files["Chart.yaml"] = ("apiVersion: v2\nname: mychart\nversion: %s\nappVersion: %s\n"
                           % (version, app_version)).encode()
    files.update(extra_files or {})
    with tarfile.open(path, "w:gz") as tar:
        for rel, content in sorted(files.items()):
            info = tarfile.TarInfo("mychart/" + rel)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


class FakeHelm(object):
    """Answers run_command like helm would; ``published`` is None or extra files of the published chart."""

    def __init__(self, chart_dir, version="v4.3.1", published=None, login_error=None, pull_error=None):
        self.chart_dir = chart_dir
        self.version = version
        self.published = published
        self.login_error = login_error
        self.pull_error = pull_error
        self.calls = []

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
            write_archive(os.path.join(dest, "mychart-%s.tgz" % version), self.chart_dir, version, app_version)
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
            if self.published is None:
                return 1, "", 'Error: failed to perform "FetchReference" on source: h/charts/mychart:0.1.0: not found'
            dest = argv[argv.index("--destination") + 1]
            version = argv[argv.index("--version") + 1]
            write_archive(os.path.join(dest, "mychart-%s.tgz" % version), self.chart_dir, version, "1.0",
                          extra_files=self.published)
            return 0, "Pulled: h/charts/mychart:%s\nDigest: %s\n" % (version, DIGEST_OLD), ""
        if command == "push":
            return 0, "", "Pushed: h/charts/mychart:0.1.0\nDigest: %s\n" % DIGEST_NEW
        raise AssertionError("unexpected helm call %r" % (argv,))

    def commands(self, name):
        return [argv for argv, _data in self.calls if argv[1] == name]


FAKE_HELM = "/bin/true"  # an executable for binary_path; run_command is replaced, so it never runs


@pytest.fixture
def chart(tmp_path):
    chart_dir = tmp_path / "mychart"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text(CHART_YAML)
    (chart_dir / "values.yaml").write_text("a: 1\n")
    (chart_dir / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    return str(chart_dir)


@pytest.fixture(autouse=True)
def module_exits(monkeypatch, tmp_path):
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", property(lambda self: str(tmp_path)))


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


def assert_password_only_on_stdin(helm):
    for argv, data in helm.calls:
        assert not any(PASSWORD in arg for arg in argv), argv
        if argv[1:3] == ["registry", "login"]:
            assert data == PASSWORD and "--password-stdin" in argv
        else:
            assert data is None


def test_first_publish_pushes_with_a_private_registry_config(monkeypatch, chart):
    helm = FakeHelm(chart)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://ghcr.io/fclairamb/charts",
                        version="1.2.3", app_version="4.5.6", username="me", password=PASSWORD)
    assert result["changed"] is True and result["pushed"] is True and result["registry_checked"] is True
    assert result["ref"] == "oci://ghcr.io/fclairamb/charts/mychart:1.2.3"
    assert result["digest"] == DIGEST_NEW
    assert result["version"] == "1.2.3" and result["app_version"] == "4.5.6"
    assert_password_only_on_stdin(helm)
    assert [argv[1] for argv, _d in helm.calls] == ["version", "package", "lint", "registry", "pull", "push"]
    (login,) = helm.commands("registry")
    (push,) = helm.commands("push")
    (pull,) = helm.commands("pull")
    config = login[login.index("--registry-config") + 1]
    assert helm.login_config_seed == '{"auths": {"ghcr.io": {}}}' and helm.login_config_mode == 0o600
    assert push[push.index("--registry-config") + 1] == config == pull[pull.index("--registry-config") + 1]
    assert push[2].endswith("mychart-1.2.3.tgz") and push[3] == "oci://ghcr.io/fclairamb/charts"
    assert "--strict" in helm.commands("lint")[0]
    assert not any(PASSWORD in command for command in result["commands"])
    # the source chart is untouched and the private work directory is gone
    with open(os.path.join(chart, "Chart.yaml")) as handle:
        assert handle.read() == CHART_YAML
    assert not os.path.exists(os.path.dirname(config))


def test_without_credentials_the_existing_login_is_used(monkeypatch, chart):
    helm = FakeHelm(chart)
    run_module(monkeypatch, helm, chart_path=chart, registry="ghcr.io/fclairamb/charts")
    assert helm.commands("registry") == []
    assert "--registry-config" not in helm.commands("push")[0]


@pytest.mark.parametrize("helm_version", ["v3.19.0", "v4.3.1"])
def test_plain_http_flags(monkeypatch, chart, helm_version):
    helm = FakeHelm(chart, version=helm_version)
    run_module(monkeypatch, helm, chart_path=chart, registry="oci://127.0.0.1:5000/charts", plain_http=True,
               username="me", password=PASSWORD)
    for command in ("registry", "pull", "push"):
        assert "--plain-http" in helm.commands(command)[0]


def test_same_content_is_not_pushed_again(monkeypatch, chart):
    helm = FakeHelm(chart, published={})
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts")
    assert result["changed"] is False and result["pushed"] is False
    assert result["digest"] == DIGEST_OLD
    assert helm.commands("push") == []


def test_different_content_fails_unless_forced(monkeypatch, chart):
    helm = FakeHelm(chart, published={"templates/cm.yaml": b"kind: ConfigMap\ndata: {}\n"})
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/charts")
    assert "already published with different content (changed: templates/cm.yaml)" in result["msg"]
    assert "force: true" in result["msg"]
    assert helm.commands("push") == []

    helm = FakeHelm(chart, published={"templates/cm.yaml": b"kind: ConfigMap\ndata: {}\n"})
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/charts", force=True)
    assert result["pushed"] is True and result["digest"] == DIGEST_NEW
    assert result["differences"] == ["changed: templates/cm.yaml"]


def test_check_mode_reports_but_pushes_nothing(monkeypatch, chart):
    helm = FakeHelm(chart)
    result = run_module(monkeypatch, helm, check_mode=True, chart_path=chart, registry="oci://h/charts",
                        username="me", password=PASSWORD)
    assert result["changed"] is True and result["pushed"] is False and result["digest"] is None
    assert result["msg"] == "would push oci://h/charts/mychart:0.1.0 (check mode)"
    assert helm.commands("push") == []
    assert_password_only_on_stdin(helm)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0.0"])
def test_bad_version_fails_before_helm_runs(monkeypatch, chart, version):
    helm = FakeHelm(chart)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/charts", version=version)
    assert "version '%s' is not a Semantic Versioning 2 version" % version in result["msg"]
    assert helm.calls == []


def test_missing_chart_dir(monkeypatch, tmp_path):
    helm = FakeHelm(str(tmp_path))
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=str(tmp_path / "nope"), registry="oci://h/c")
    assert result["msg"] == "chart_path %s is not a directory" % (tmp_path / "nope")


def test_plain_http_refuses_tls_options(monkeypatch, chart, tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("x")
    result = run_module(monkeypatch, FakeHelm(chart), expect=Fail, chart_path=chart, registry="oci://h/c",
                        plain_http=True, ca_file=str(ca_file))
    assert "plain_http: true" in result["msg"] and "ca_file cannot apply" in result["msg"]


def test_old_helm_fails_naming_the_option(monkeypatch, chart):
    helm = FakeHelm(chart, version="v3.12.3")
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c", plain_http=True)
    assert result["msg"] == "plain_http needs Helm >= 3.13.0, found 3.12.3"
    assert helm.commands("package") == []


def test_registry_errors_get_their_own_message(monkeypatch, chart):
    helm = FakeHelm(chart, login_error='Error: authenticating to "h": GET "https://h/v2/": response status code '
                                       '401: unauthorized: authentication required')
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c",
                        username="me", password=PASSWORD)
    assert "registry h refused the credentials of user 'me'" in result["msg"]
    assert PASSWORD not in str(result)

    helm = FakeHelm(chart, pull_error='Error: Get "https://h/v2/c/mychart/manifests/0.1.0": tls: failed to verify '
                                      "certificate: x509: certificate signed by unknown authority")
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://h/c")
    assert result["msg"].startswith("TLS verification of registry h failed")
    assert helm.commands("push") == []


def test_check_mode_without_registry_access_warns_and_plans_a_push(monkeypatch, chart):
    helm = FakeHelm(chart, pull_error='Error: failed to perform "FetchReference" on source: Get "https://h/v2/": '
                                      "dial tcp 10.0.0.1:443: connect: connection refused")
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    result = run_module(monkeypatch, helm, check_mode=True, chart_path=chart, registry="oci://h/c")
    assert result["changed"] is True and result["pushed"] is False and result["registry_checked"] is False
    assert warnings == ["check mode: cannot tell whether oci://h/c/mychart:0.1.0 is already published: "
                        "registry h is unreachable (checking oci://h/c/mychart:0.1.0: failed to perform "
                        '"FetchReference" on source: Get "https://h/v2/": dial tcp 10.0.0.1:443: connect: '
                        "connection refused): check the registry host and port and that it is up"]
    assert helm.commands("push") == []


def test_dependency_update_works_on_a_private_copy(monkeypatch, chart, tmp_path):
    helm = FakeHelm(chart)
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://h/c", dependency_update=True)
    assert result["pushed"] is True
    copy = helm.dependency_dir
    assert copy != chart and copy.startswith(str(tmp_path)) and os.path.basename(copy) == "mychart"
    assert helm.commands("package")[0][2] == copy
    assert not os.path.exists(copy)
    assert sorted(os.listdir(chart)) == ["Chart.yaml", "templates", "values.yaml"]


DENIED = ('Error: failed to perform "FetchReference" on source: GET "https://ghcr.io/v2/o/c/mychart/manifests/0.1.0": '
          "response status code 403: denied: requested access to the resource is denied")


def test_logged_in_but_denied_read_is_treated_as_not_published(monkeypatch, chart):
    helm = FakeHelm(chart, pull_error=DENIED)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    result = run_module(monkeypatch, helm, chart_path=chart, registry="oci://ghcr.io/o/c", username="me",
                        password=PASSWORD)
    assert result["pushed"] is True and result["registry_checked"] is False
    assert len(warnings) == 1 and "treating it as not published yet" in warnings[0]


def test_denied_without_credentials_fails(monkeypatch, chart):
    helm = FakeHelm(chart, pull_error=DENIED)
    result = run_module(monkeypatch, helm, expect=Fail, chart_path=chart, registry="oci://ghcr.io/o/c")
    assert result["msg"].startswith("registry ghcr.io denied access (403)")
    assert helm.commands("push") == []
