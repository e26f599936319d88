"""fclairamb.dbbat.helm_chart_publish against a real OCI registry (docker-registry), with real
ansible-playbook runs and the pinned Helm 3 and Helm 4 binaries.

Each playbook run does several steps (ignore_errors + register) and dumps the results as JSON,
so that one ansible start-up serves many assertions.
"""
import json
import shutil
from pathlib import Path

import pytest
import yaml

from testkit.env import ansible_tmp, helm_registry_config, isolated_env, keychain_calls
from testkit.paths import CHART_DIR, ROOT
from testkit.proc import run
from testkit.registry import publish_with_module

TESTDATA = Path(__file__).resolve().parent / "testdata"
FIXTURE_CHART = TESTDATA / "publishme"
MODULE = "fclairamb.dbbat.helm_chart_publish"
PASSWORD_ENV = "PUBLISH_TEST_PASSWORD"
WRONG_PASSWORD = "not-the-password-7f3a"


class Runner:
    """Runs generated playbooks in the test's isolated environment (testkit.env)."""

    def __init__(self, workdir, registry=None):
        self.workdir = Path(workdir)
        password = {PASSWORD_ENV: registry.password} if registry is not None and registry.password else {}
        self.env = isolated_env(self.workdir, extra=password)
        self.runs = 0

    def play(self, steps, verbosity=0, playbook=None, extra_args=()):
        """Run ``steps`` ([(name, module_args, task_options)]); returns (results by name, process)."""
        self.runs += 1
        results_file = self.workdir / ("results-%d.json" % self.runs)
        tasks = []
        for name, args, options in steps:
            task = {"name": name, MODULE: args, "register": name, "ignore_errors": True}
            task.update(options or {})
            tasks.append(task)
        dump = "{{ {%s} | to_json }}" % ", ".join("'%s': %s" % (name, name) for name, _a, _o in steps)
        tasks.append({"name": "dump results", "ansible.builtin.copy": {"content": dump, "dest": str(results_file),
                                                                        "mode": "0600"},
                      "check_mode": False})
        path = self.workdir / ("playbook-%d.yml" % self.runs)
        path.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                         "tasks": tasks}], sort_keys=False))
        proc = self.ansible_playbook(path, verbosity, extra_args).check()
        return json.loads(results_file.read_text()), proc

    def ansible_playbook(self, playbook, verbosity=0, extra_args=()):
        argv = ["ansible-playbook", "-i", "localhost,", str(playbook), *extra_args]
        if verbosity:
            argv.append("-" + "v" * verbosity)
        return run(argv, env=self.env, timeout=300)

    def assert_clean(self):
        """No temporary file left behind, and the user's helm registry config never written."""
        left = [str(p) for p in ansible_tmp(self.workdir).rglob("*") if p.is_file()]
        assert left == [], "temporary files left behind: %s" % left
        assert not helm_registry_config(self.workdir).exists()
        # Reading it is how an existing login is found (no credentials given); writing is never allowed.
        calls = keychain_calls(self.workdir)
        assert not [call for call in calls if call.endswith((" store", " erase"))], calls


def password_arg(registry):
    return "{{ lookup('ansible.builtin.env', '%s') }}" % PASSWORD_ENV


def connection_args(registry):
    """Module connection options for a registry; the password comes from the environment."""
    args = {"plain_http": registry.plain_http}
    if registry.ca_file:
        args["ca_file"] = registry.ca_file
    if registry.username:
        args["username"] = registry.username
        args["password"] = password_arg(registry)
    return args


def copy_chart(tmp_path, name, greeting=None):
    dest = tmp_path / name / "publishme"
    shutil.copytree(FIXTURE_CHART, dest)
    if greeting is not None:
        values = dest / "values.yaml"
        values.write_text(values.read_text().replace("greeting: hello", "greeting: %s" % greeting))
        template = dest / "templates" / "configmap.yaml"
        template.write_text(template.read_text() + "  changed: \"yes\"\n")
    return dest


def helm_render(helm_bin, registry, ref, version, workdir, env, command="template", args=("rel",)):
    """``helm template`` (or ``helm show ...``) straight from the registry, with a private login if needed."""
    argv_extra = registry.helm_flags()
    if registry.username:
        config = str(Path(workdir) / "render-registry.json")
        # seeded, or helm would store the password in the (stand-in) keychain
        Path(config).write_text(json.dumps({"auths": {registry.host: {}}}))
        login = [helm_bin, "registry", "login", registry.host, "--username", registry.username, "--password-stdin",
                 "--registry-config", config] + (["--ca-file", registry.ca_file] if registry.ca_file else [])
        run(login, input=registry.password, env=env).check()
        argv_extra += ["--registry-config", config]
    proc = run([helm_bin, command, *args, ref, "--version", version] + argv_extra, env=env).check()
    # Helm 4 prints Pulled:/Digest: lines on stdout ahead of the output
    output = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith(("Pulled:", "Digest:")))
    return [doc for doc in yaml.safe_load_all(output) if doc]


def _helm_name(helm_bin):
    return Path(helm_bin).name


def other_helm(helm_bin):
    """The pinned binary of the other Helm major (helm3 <-> helm4), next to this one."""
    return str(Path(helm_bin).with_name("helm4" if _helm_name(helm_bin) == "helm3" else "helm3"))


@pytest.mark.parametrize("flavour", ["plain", "tls"])
def test_publish_republish_conflict_force(request, flavour, helm_any, tmp_path):
    """Publish; unchanged re-publish and check mode upload nothing; changed content at the same
    version is refused; force overwrites; the result pulls and renders with helm template."""
    reg = request.getfixturevalue("oci_registry_%s" % flavour)
    runner = Runner(tmp_path, reg)
    repository = "lifecycle/%s" % _helm_name(helm_any)
    chart = copy_chart(tmp_path, "v1")
    changed_chart = copy_chart(tmp_path, "v1-changed", greeting="bonjour")
    base = dict(connection_args(reg), registry="%s/%s" % (reg.url, repository), binary_path=helm_any,
                version="1.0.0", app_version="2.0.0")
    expected_ref = "%s/%s/publishme:1.0.0" % (reg.url, repository)

    # 1. first publish
    results, _ = runner.play([("first", dict(base, chart_path=str(chart)), None)])
    first = results["first"]
    assert first.get("failed") is not True, first["msg"]
    assert first["changed"] is True and first["pushed"] is True
    assert first["ref"] == expected_ref
    assert first["version"] == "1.0.0" and first["app_version"] == "2.0.0"
    assert first["digest"].startswith("sha256:")
    assert reg.tag_digest("%s/publishme" % repository, "1.0.0") == first["digest"]
    assert first["helm_version"].split(".")[0] == ("3" if _helm_name(helm_any) == "helm3" else "4")
    # the source Chart.yaml is untouched by the version overrides
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["version"] == "0.1.0"
    counts = reg.counts()

    # 2. re-publish unchanged, check mode for a new version, changed content at the same version
    results, _ = runner.play([
        ("again", dict(base, chart_path=str(chart)), None),
        # a CI that moved to the other Helm major, same source: still the same chart
        ("again_other_helm", dict(base, chart_path=str(chart), binary_path=other_helm(helm_any)), None),
        ("plan_new", dict(base, chart_path=str(chart), version="1.0.1"), {"check_mode": True}),
        ("plan_same", dict(base, chart_path=str(chart)), {"check_mode": True}),
        ("conflict", dict(base, chart_path=str(changed_chart)), None),
    ])
    again, plan_new, plan_same, conflict = (results[k] for k in ("again", "plan_new", "plan_same", "conflict"))
    assert again.get("failed") is not True, again["msg"]
    assert again["changed"] is False and again["pushed"] is False
    assert again["digest"] == first["digest"] and again["chart_digest"] == first["chart_digest"]
    assert "already published with the same content" in again["msg"]
    # recognised from the manifest and the archive's source fingerprint: no helm process at all
    assert again["commands"] == [] and again["helm_version"] is None, again["commands"]
    assert results["again_other_helm"].get("failed") is not True, results["again_other_helm"]["msg"]
    assert results["again_other_helm"]["changed"] is False
    assert results["again_other_helm"]["commands"] == []
    assert plan_new["changed"] is True and plan_new["pushed"] is False and plan_new["digest"] is None
    assert plan_new["ref"] == "%s/%s/publishme:1.0.1" % (reg.url, repository)
    assert "would push" in plan_new["msg"]
    assert plan_same["changed"] is False and plan_same["digest"] == first["digest"]
    assert conflict["failed"] is True
    assert not [c for c in conflict["commands"] if c.split()[1] == "pull"], "the layer is read over the registry API"
    assert "already published with different content" in conflict["msg"]
    assert "changed: templates/configmap.yaml" in conflict["msg"]
    assert "changed: values.yaml" in conflict["msg"]
    assert "force" in conflict["msg"]
    assert reg.counts() == counts, "nothing may be uploaded by re-publish, check mode or a refused conflict"
    assert reg.tag_digest("%s/publishme" % repository, "1.0.1") is None

    # 3. force overwrites the published version
    results, _ = runner.play([("forced", dict(base, chart_path=str(changed_chart), force=True), None)])
    forced = results["forced"]
    assert forced.get("failed") is not True, forced["msg"]
    assert forced["changed"] is True and forced["pushed"] is True
    assert forced["digest"].startswith("sha256:") and forced["digest"] != first["digest"]
    assert sorted(forced["differences"]) == ["changed: templates/configmap.yaml", "changed: values.yaml"]
    assert reg.tag_digest("%s/publishme" % repository, "1.0.0") == forced["digest"]
    runner.assert_clean()

    # 4. what the registry serves is the forced content, and it renders
    docs = helm_render(helm_any, reg, "%s/%s/publishme" % (reg.url, repository), "1.0.0", tmp_path, runner.env)
    (configmap,) = docs
    assert configmap["data"] == {"greeting": "bonjour", "changed": "yes"}
    assert configmap["metadata"]["labels"]["app.kubernetes.io/version"] == "2.0.0"


def test_unchanged_republish_per_registry_log_uploads_nothing_reads_only_the_manifest(oci_registry_tls, helm, tmp_path):
    """The registry's own access log: a re-publish of an unchanged chart (TLS and a login) makes no
    upload and no helm request, and reads the manifest only (its annotations carry the source
    fingerprint, from the chart's Chart.yaml): no blob."""
    reg = oci_registry_tls
    chart = copy_chart(tmp_path, "logged")
    mark = reg.access_mark()
    first = publish_with_module(reg, chart, tmp_path / "first", version="3.0.0", repository="logged", binary_path=helm)
    assert first["pushed"] is True
    first_requests = reg.requests_since(mark)
    # the log sees a push: this test can tell one from a no-op
    assert [r for r in first_requests if r.is_write and "/manifests/3.0.0" in r.path], first_requests

    mark = reg.access_mark()
    again = publish_with_module(reg, chart, tmp_path / "again", version="3.0.0", repository="logged", binary_path=helm)
    assert again["changed"] is False and again["digest"] == first["digest"]
    requests = reg.requests_since(mark)
    assert [r for r in requests if r.is_write] == [], requests
    assert [r for r in requests if not r.agent.startswith("fclairamb.dbbat")] == [], "helm talked to the registry"
    manifest = "/v2/logged/publishme/manifests/3.0.0"
    assert [r.status for r in requests if r.path == manifest][-1] == 200, requests
    assert [r for r in requests if r.is_blob_read] == [], "an unchanged re-publish fetched a blob"
    assert [r for r in requests if r.path != manifest] == [], requests


def test_failures_have_clear_messages(helm_any, oci_registry_tls, oci_registry_factory, tmp_path):
    """Each failure names its cause; the password never shows, even at -vvv."""
    reg = oci_registry_tls
    runner = Runner(tmp_path, reg)
    runner.env["PUBLISH_TEST_WRONG_PASSWORD"] = WRONG_PASSWORD
    stopped = oci_registry_factory()
    stopped.stop()
    chart = copy_chart(tmp_path, "ok")
    broken = copy_chart(tmp_path, "broken")
    (broken / "templates" / "broken.yaml").write_text("value: {{ .Values.missing.key }}\n")
    no_chart_yaml = tmp_path / "not-a-chart"
    no_chart_yaml.mkdir()
    repository = "failures/%s" % _helm_name(helm_any)
    good = dict(connection_args(reg), registry="%s/%s" % (reg.url, repository), binary_path=helm_any,
                chart_path=str(chart))
    steps = [
        ("wrong_password", dict(good, password="{{ lookup('ansible.builtin.env', 'PUBLISH_TEST_WRONG_PASSWORD') }}"),
         None),
        ("unknown_ca", {k: v for k, v in good.items() if k != "ca_file"}, None),
        ("no_credentials", {k: v for k, v in good.items() if k not in ("username", "password")}, None),
        ("plain_http_to_tls", dict({k: v for k, v in good.items() if k != "ca_file"}, plain_http=True), None),
        ("stopped", dict({k: v for k, v in good.items() if k != "ca_file"}, registry="%s/charts" % stopped.url,
                         plain_http=True), None),
        ("plain_http_with_ca", dict(good, plain_http=True), None),
        ("bad_semver", dict(good, version="1.0"), None),
        ("missing_dir", dict(good, chart_path=str(tmp_path / "nope")), None),
        ("no_chart_yaml", dict(good, chart_path=str(no_chart_yaml)), None),
        ("lint", dict(good, chart_path=str(broken)), None),
        ("bad_registry", dict(good, registry="https://%s/charts" % reg.host), None),
        ("ok", good, None),
        ("insecure_ok", dict({k: v for k, v in good.items() if k != "ca_file"}, insecure_skip_tls_verify=True), None),
    ]
    before = reg.counts()
    results, proc = runner.play(steps, verbosity=3)
    output = proc.stdout + proc.stderr
    assert reg.password not in output and WRONG_PASSWORD not in output

    def failed_with(name, *fragments):
        result = results[name]
        assert result.get("failed") is True, "%s: %s" % (name, result)
        for fragment in fragments:
            assert fragment in result["msg"], "%s: %r not in %r" % (name, fragment, result["msg"])
        return result

    failed_with("wrong_password", "refused the credentials of user '%s'" % reg.username, "401")
    failed_with("unknown_ca", "TLS verification of registry %s failed" % reg.host, "set ca_file",
                "unknown authority")
    failed_with("no_credentials", "requires authentication", "set username and password")
    failed_with("plain_http_to_tls", "serves HTTPS", "plain_http: false")
    failed_with("stopped", "registry %s is unreachable" % stopped.host, "connection refused")
    failed_with("plain_http_with_ca", "plain_http: true", "ca_file cannot apply")
    failed_with("bad_semver", "version '1.0' is not a Semantic Versioning 2 version")
    failed_with("missing_dir", "chart_path %s is not a directory" % (tmp_path / "nope"))
    failed_with("no_chart_yaml", "is not a chart: it has no Chart.yaml")
    lint = failed_with("lint", "helm lint --strict failed for publishme 0.1.0, nothing was pushed", "[ERROR]",
                       "broken.yaml")
    assert lint["pushed"] is False
    failed_with("bad_registry", "registry must be oci://HOST[:PORT]/PATH")
    assert results["ok"]["pushed"] is True, results["ok"]
    # without the CA but told to skip verification: reads the registry, finds the same chart
    assert results["insecure_ok"].get("failed") is not True, results["insecure_ok"]["msg"]
    assert results["insecure_ok"]["changed"] is False and results["insecure_ok"]["registry_checked"] is True
    after = reg.counts()
    # only the successful publish uploaded something: one manifest
    assert after["manifests"] == before["manifests"] + 1
    runner.assert_clean()


def test_module_documentation_renders(env):
    """ansible-doc renders the module, with the shared registry options of the doc fragment."""
    proc = run(["ansible-doc", "--json", MODULE], env=env).check()
    doc = json.loads(proc.stdout)[MODULE]
    assert doc["doc"]["version_added"] == "1.0.0"
    options = doc["doc"]["options"]
    for option in ("chart_path", "registry", "version", "app_version", "force", "dependency_update",
                   "username", "password", "ca_file", "cert_file", "key_file", "plain_http",
                   "insecure_skip_tls_verify", "binary_path", "sign", "key", "keyring", "passphrase"):
        assert option in options, option
    for option in ("sign", "key", "keyring", "passphrase"):
        assert options[option]["version_added"] == "1.1.0", option
    assert {"ref", "digest", "chart_digest", "version", "app_version", "pushed"} <= set(doc["return"])
    assert doc["return"]["chart_digest"]["version_added"] == "1.1.0"
    assert doc["examples"].strip()
    text = run(["ansible-doc", MODULE], env=env).check()
    assert "helm_chart_publish" in text.stdout


def test_publish_playbook_publishes_dbbat_chart(oci_registry_tls, helm, tmp_path):
    """playbooks/publish.yml publishes charts/dbbat end to end with credentials from the environment;
    a second run is a no-op and never shows the password; bad input is refused naming the variable."""
    reg = oci_registry_tls
    runner = Runner(tmp_path, reg)
    runner.env.update(HELM_REGISTRY_USERNAME=reg.username, HELM_REGISTRY_PASSWORD=reg.password)
    extra = ["-e", "dbbat_publish_registry=%s" % reg.host, "-e", "dbbat_publish_repository=e2e/charts",
             "-e", "dbbat_publish_version=v0.0.1-e2e.1", "-e", "dbbat_publish_app_version=0.25.2",
             "-e", "dbbat_publish_ca_file=%s" % reg.ca_file, "-e", "dbbat_publish_helm_binary=%s" % helm]
    playbook = ROOT / "playbooks" / "publish.yml"
    first = runner.ansible_playbook(playbook, extra_args=extra).check()
    assert "changed=1" in first.stdout
    second = runner.ansible_playbook(playbook, verbosity=3, extra_args=extra).check()
    assert "changed=0" in second.stdout
    assert "already published with the same content" in " ".join(second.stdout.split())
    assert reg.password not in second.stdout + second.stderr
    bad = runner.ansible_playbook(playbook, extra_args=extra + ["-e", "dbbat_publish_version=1.0"])
    assert bad.rc != 0
    assert "dbbat_publish_version: must be a SemVer 2 version" in " ".join(bad.stdout.split())
    docs = helm_render(helm, reg, "%s/e2e/charts/dbbat" % reg.url, "0.0.1-e2e.1", tmp_path, runner.env,
                       command="show", args=["chart"])
    (meta,) = docs
    assert meta["name"] == "dbbat" and meta["version"] == "0.0.1-e2e.1" and str(meta["appVersion"]) == "0.25.2"
    # the chart in the checkout is untouched
    assert yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["version"] != "0.0.1-e2e.1"
    runner.assert_clean()


def test_published_dbbat_chart_fixture(published_dbbat_chart):
    """The shared fixture (used by the deploy tests) really published charts/dbbat with the module."""
    chart = published_dbbat_chart
    reg = chart.registry
    assert chart.ref == "%s/charts/dbbat" % reg.url
    assert chart.version == yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["version"]
    assert chart.digest and reg.tag_digest("charts/dbbat", chart.version.replace("+", "_")) == chart.digest


def test_the_published_archive_is_reproducible(oci_registry_plain, helm3, helm4, tmp_path):
    """The same chart packaged by Helm 3 and by Helm 4, at different times, is the same archive: one
    chart digest, the layer digest of both manifests."""
    reg = oci_registry_plain
    runner = Runner(tmp_path, reg)
    chart = str(copy_chart(tmp_path, "repro"))
    results, _ = runner.play([
        ("helm3", dict(connection_args(reg), registry="%s/repro/a" % reg.url, binary_path=helm3, chart_path=chart), None),
        ("helm4", dict(connection_args(reg), registry="%s/repro/b" % reg.url, binary_path=helm4, chart_path=chart), None),
    ])
    assert results["helm3"]["pushed"] is True and results["helm4"]["pushed"] is True
    assert results["helm3"]["chart_digest"] == results["helm4"]["chart_digest"]
    runner.assert_clean()


def test_mutual_tls_with_client_certificate(helm_any, oci_registry_factory, tmp_path):
    """cert_file/key_file reach helm: a registry that wants a client certificate accepts the publish,
    and refuses it, with the TLS message, without one."""
    reg = oci_registry_factory(client_auth=True)
    runner = Runner(tmp_path, reg)
    good = dict(reg.module_args(), registry="%s/mtls" % reg.url, binary_path=helm_any,
                chart_path=str(copy_chart(tmp_path, "mtls")))
    results, _ = runner.play([
        ("no_client_cert", {k: v for k, v in good.items() if k not in ("cert_file", "key_file")}, None),
        ("with_client_cert", good, None),
    ])
    assert results["no_client_cert"]["failed"] is True
    assert "registry %s refused the TLS client certificate" % reg.host in results["no_client_cert"]["msg"]
    assert "set cert_file and key_file" in results["no_client_cert"]["msg"]
    assert results["with_client_cert"].get("failed") is not True, results["with_client_cert"]["msg"]
    assert results["with_client_cert"]["pushed"] is True
    assert reg.tag_digest("mtls/publishme", "0.1.0") == results["with_client_cert"]["digest"]
    runner.assert_clean()
