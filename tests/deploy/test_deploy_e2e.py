"""End to end: real ansible-playbook + kubernetes.core + helm against the Kubernetes API test
double, the chart pulled from a real OCI registry (TLS, basic auth).

Each test is one story on a fresh double, its steps in order (robust under pytest -n 2)."""
import base64
import urllib.parse

import pytest
import yaml

from tests.conftest import keychain_calls

from .conftest import OTHER_KEY, TEST_KEY, TEST_PASSWORD, Deployer, helm_release_blobs, helm_releases, make_env

pytestmark = pytest.mark.slow

NS = "dbbat"
SECRET = "dbbat-secrets"


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _secret_values():
    """Every form a secret of these tests could take in output or stored objects."""
    quoted = urllib.parse.quote(TEST_PASSWORD, safe="")
    return [TEST_KEY, _b64(TEST_KEY), TEST_PASSWORD, quoted, OTHER_KEY, _b64(OTHER_KEY)]


def _assert_no_secret(text, where):
    for value in _secret_values():
        assert value not in text, f"a secret value leaked into {where}"


def _resource_versions(api, namespace):
    versions = {}
    for api_version, kind in [("v1", "Namespace"), ("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "Service"),
                              ("v1", "ServiceAccount"), ("apps/v1", "Deployment")]:
        items = api.list(api_version, kind, None if kind == "Namespace" else namespace)
        for obj in items:
            versions[(kind, obj["metadata"]["name"])] = obj["metadata"]["resourceVersion"]
    return versions


def _deployment(api):
    return api.get("apps/v1", "Deployment", "dbbat", NS)


def test_first_deploy_noop_check_upgrade_and_release_history(kube_api, deployer):
    api = kube_api

    # 1. First deploy, at -vvv: namespace, Secret and release exist with the expected values.
    values_file = deployer.workdir / "rendered-values.yml"
    deployer.vars["dbbat_values_file"] = str(values_file)
    run = deployer.run("-vvv")
    assert run.rc == 0, run.out[-4000:]
    assert run.recap["failed"] == 0 and run.recap["changed"] >= 3, run.recap
    _assert_no_secret(run.out, "ansible-playbook -vvv output")
    calls = keychain_calls(deployer.workdir)
    assert not calls.exists(), "the registry login must stay in the role's temporary config:\n" + calls.read_text()

    ns = api.get("v1", "Namespace", NS)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    secret = api.get("v1", "Secret", SECRET, NS)
    assert base64.b64decode(secret["data"]["DBB_KEY"]).decode() == TEST_KEY
    dsn = base64.b64decode(secret["data"]["DBB_DSN"]).decode()
    parsed = urllib.parse.urlsplit(dsn)
    assert (parsed.scheme, parsed.hostname, parsed.port, parsed.path) == ("postgres", "postgres.storage.svc",
                                                                          5432, "/dbbat")
    assert urllib.parse.unquote(parsed.password) == TEST_PASSWORD, "the password must survive URL-escaping"
    assert parsed.query == "sslmode=require"

    releases = helm_releases(api, NS)
    assert [r["version"] for r in releases] == [1]
    values = releases[0]["config"]
    assert values["secrets"] == {"existingSecret": SECRET}
    assert values["replicaCount"] == 1 and values["service"]["proxy"]["type"] == "ClusterIP"
    assert "postgresql" not in values, "the DSN comes from the Secret, not from values"
    assert yaml.safe_load(values_file.read_text()) == values, "dbbat_values_file holds the values deployed"
    deployment = _deployment(api)
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])}
    assert env["DBB_KEY"]["valueFrom"]["secretKeyRef"]["name"] == SECRET
    assert env["DBB_DSN"]["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": "DBB_DSN"}
    assert "port-forward svc/dbbat 8080:8080" in run.out, "the role tells how to reach the API/UI"
    assert "dbbat-pg.dbbat.svc:5432" in run.out, "the role tells how to reach the proxy"

    # 2. Second run with the same inventory: changed=0 for the whole play.
    run = deployer.run()
    assert run.rc == 0, run.out[-4000:]
    assert run.recap["changed"] == 0, f"second run changed: {run.changed_tasks()}"

    # 3. --check with a changed variable: reports the change, writes nothing.
    before = _resource_versions(api, NS)
    run = deployer.run("--check", "--diff", dbbat_replicas=3)
    assert run.rc == 0, run.out[-4000:]
    assert any("helm release" in t for t in run.changed_tasks()), run.changed_tasks()
    assert _resource_versions(api, NS) == before, "--check wrote to the cluster"
    assert len(helm_releases(api, NS)) == 1
    assert "replicaCount:" in run.out and "after: 3" in run.out, "--diff shows the change to the values"

    # 4. Changed variables upgrade the release and roll the pods: an image tag, replicas (a string,
    #    as from an AWX survey) and a new database password (the Secret changes: checksum annotation).
    template_before = _deployment(api)["spec"]["template"]
    run = deployer.run(dbbat_image_tag="0.25.3", dbbat_replicas="2", dbbat_db_password="another-password")
    assert run.rc == 0, run.out[-4000:]
    releases = helm_releases(api, NS)
    assert releases[-1]["version"] == 2 and releases[-1]["config"]["replicaCount"] == 2
    deployment = _deployment(api)
    assert deployment["spec"]["replicas"] == 2
    template = deployment["spec"]["template"]
    assert template["spec"]["containers"][0]["image"].endswith(":0.25.3")
    key = "dbbat.fclairamb.github.io/secret-sha256"
    assert template["metadata"]["annotations"][key] != template_before["metadata"]["annotations"][key], \
        "a Secret change must roll the pods"
    secret = api.get("v1", "Secret", SECRET, NS)
    assert "another-password" in base64.b64decode(secret["data"]["DBB_DSN"]).decode()

    # 5. Helm's release history holds no secret value, in any revision.
    blobs = helm_release_blobs(api, NS)
    assert len(blobs) == 2
    for blob in blobs:
        _assert_no_secret(blob, "Helm release history")
        assert "another-password" not in blob
    for cm in api.list("v1", "ConfigMap", NS):
        _assert_no_secret(str(cm.get("data", {})), f"ConfigMap {cm['metadata']['name']}")


def test_check_on_empty_cluster_key_guard_rotation_and_removal(kube_api, deployer):
    api = kube_api
    # 0. --check on an empty cluster: says what would be created, creates nothing.
    run = deployer.run("--check")
    assert run.rc == 0, run.out[-4000:]
    changed = run.changed_tasks()
    assert any("Namespace" in t for t in changed) and any("helm release" in t for t in changed), changed
    assert "Secret dbbat/dbbat-secrets would be created" in run.out
    assert api.get("v1", "Namespace", NS) is None and api.list("v1", "Secret", NS) == []

    # 1. Deploy.
    run = deployer.run()
    assert run.rc == 0, run.out[-4000:]

    # 2. Another encryption key is refused (key-loss guard), before anything is written.
    before = _resource_versions(api, NS)
    run = deployer.run(dbbat_encryption_key=OTHER_KEY)
    assert run.rc != 0
    assert "Refusing to replace DBB_KEY" in run.out and "unreadable" in run.out, run.out[-3000:]
    assert "dbbat_allow_key_rotation" in run.out
    _assert_no_secret(run.out, "the key-loss guard's output")
    assert _resource_versions(api, NS) == before
    assert base64.b64decode(api.get("v1", "Secret", SECRET, NS)["data"]["DBB_KEY"]).decode() == TEST_KEY

    # 3. Rotation on purpose: allowed with dbbat_allow_key_rotation, and the pods roll.
    annotations_before = _deployment(api)["spec"]["template"]["metadata"]["annotations"]
    run = deployer.run(dbbat_encryption_key=OTHER_KEY, dbbat_allow_key_rotation="true")
    assert run.rc == 0, run.out[-4000:]
    assert base64.b64decode(api.get("v1", "Secret", SECRET, NS)["data"]["DBB_KEY"]).decode() == OTHER_KEY
    key = "dbbat.fclairamb.github.io/secret-sha256"
    assert _deployment(api)["spec"]["template"]["metadata"]["annotations"][key] != annotations_before[key]

    # 4. state: absent removes the release; the Secret and the namespace stay.
    run = deployer.run(dbbat_state="absent")
    assert run.rc == 0, run.out[-4000:]
    assert helm_releases(api, NS) == []
    assert _deployment(api) is None
    assert api.get("v1", "Secret", SECRET, NS) is not None, "the Secret holds the key: it must be kept"
    assert api.get("v1", "Namespace", NS) is not None

    # 5. Asked explicitly, removal also deletes the Secret and the namespace.
    run = deployer.run(dbbat_state="absent", dbbat_remove_secret=True, dbbat_remove_namespace=True)
    assert run.rc == 0, run.out[-4000:]
    assert api.get("v1", "Secret", SECRET, NS) is None and api.get("v1", "Namespace", NS) is None


def test_awx_credential_environment_and_wrong_token(kube_api, published_chart, tool_env, tmp_path, helm3):
    """AWX's Kubernetes bearer-token credential sets K8S_AUTH_* and no kubeconfig. Helm 3 here
    (the other tests use the default helm, Helm 4)."""
    env = make_env(tool_env, kube_api.awx_env(), tmp_path)
    assert "KUBECONFIG" not in env
    deployer = Deployer(tmp_path, env, published_chart, dbbat_namespace="dbbat-awx", dbbat_helm_binary=helm3)

    run = deployer.run()
    assert run.rc == 0, run.out[-4000:]
    assert [r["version"] for r in helm_releases(kube_api, "dbbat-awx")] == [1]
    assert kube_api.get("v1", "Secret", SECRET, "dbbat-awx") is not None
    run = deployer.run()
    assert run.rc == 0 and run.recap["changed"] == 0, run.changed_tasks()

    # An inventory's kube context next to the credential: refused before anything runs, clearly.
    run = deployer.run(dbbat_kube_context="prod-eu")
    assert run.rc != 0 and "Set dbbat_kube_context to \"\" for this job" in run.out, run.out[-3000:]

    bad = dict(env, K8S_AUTH_API_KEY="not-the-token")
    run = deployer.run(env=bad)
    assert run.rc != 0
    assert "Cannot read Secret dbbat-awx/dbbat-secrets from the Kubernetes API" in run.out, run.out[-3000:]
    assert "401" in run.out or "Unauthorized" in run.out, run.out[-3000:]
    assert "not-the-token" not in run.out


def test_secret_managed_elsewhere_missing_a_key_fails_in_preflight(kube_api, deployer):
    api = kube_api
    api.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    api.put_object({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": SECRET, "namespace": NS}, "data": {"DBB_KEY": _b64(TEST_KEY)}})
    before = _resource_versions(api, NS)

    run = deployer.run(dbbat_secret_managed=False, dbbat_encryption_key="", dbbat_db_password="")
    assert run.rc != 0
    assert "lacks the key(s) DBB_DSN" in run.out, run.out[-3000:]
    assert "TASK [fclairamb.dbbat.deploy : Preflight" in run.out
    assert "Deploy | helm release" not in run.out, "helm must not run"
    assert helm_releases(api, NS) == [] and _deployment(api) is None
    assert _resource_versions(api, NS) == before

    # Once the Secret is complete, the same inventory deploys, and the role leaves the Secret alone.
    api.put_object({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": SECRET, "namespace": NS},
                    "data": {"DBB_KEY": _b64(TEST_KEY), "DBB_DSN": _b64("postgres://u:p@db:5432/dbbat")}})
    secret_version = api.get("v1", "Secret", SECRET, NS)["metadata"]["resourceVersion"]
    run = deployer.run(dbbat_secret_managed=False, dbbat_encryption_key="", dbbat_db_password="")
    assert run.rc == 0, run.out[-4000:]
    assert [r["version"] for r in helm_releases(api, NS)] == [1]
    assert api.get("v1", "Secret", SECRET, NS)["metadata"]["resourceVersion"] == secret_version
