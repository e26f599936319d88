"""End to end: real ansible-playbook + kubernetes.core + helm against the local cluster (a real
Kubernetes 1.37 control plane, kwok nodes), the chart pulled from a real OCI registry (TLS,
basic auth).

Each test is one story in a namespace of its own, its steps in order (robust under pytest -n 2).
"Nothing was written" is read from the API server's audit log (testkit.cluster.writes): on a real
cluster, controllers keep updating status, so resourceVersions prove nothing.

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import base64
import urllib.parse

import pytest
import yaml

from testkit.env import isolated_env, keychain_calls

from .conftest import OTHER_KEY, SECRET, TEST_KEY, TEST_PASSWORD, Deployer, helm_release_blobs, helm_releases

pytestmark = pytest.mark.slow


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _secret_values():
    """Every form a secret of these tests could take in output or stored objects."""
    quoted = urllib.parse.quote(TEST_PASSWORD, safe="")
    return [TEST_KEY, _b64(TEST_KEY), TEST_PASSWORD, quoted, OTHER_KEY, _b64(OTHER_KEY)]


def _assert_no_secret(text, where):
    for value in _secret_values():
        assert value not in text, f"a secret value leaked into {where}"


def _deployment(cluster, namespace):
    return cluster.get("apps/v1", "Deployment", "dbbat", namespace)


def _replica_sets(cluster, namespace):
    """{name: ready replicas} of the release's ReplicaSets."""
    return {rs["metadata"]["name"]: (rs.get("status") or {}).get("readyReplicas") or 0
            for rs in cluster.list("apps/v1", "ReplicaSet", namespace,
                                   label_selector="app.kubernetes.io/instance=dbbat")}


def test_first_deploy_noop_check_upgrade_and_release_history(cluster, deployer):
    ns = deployer.namespace

    # 1. First deploy, at -vvv: namespace, Secret and release exist with the expected values, and
    #    the chart's pods pass the namespace's real PodSecurity admission ("restricted").
    values_file = deployer.workdir / "rendered-values.yml"
    deployer.vars["dbbat_values_file"] = str(values_file)
    run = deployer.run("-vvv")
    assert run.rc == 0, run.tail()
    assert run.recap["failed"] == 0 and run.recap["changed"] >= 3, run.recap
    _assert_no_secret(run.out, "ansible-playbook -vvv output")
    assert keychain_calls(deployer.workdir) == [], "the registry login must stay in the role's temporary config"

    namespace = cluster.get("v1", "Namespace", ns)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    secret = cluster.secret_data(SECRET, ns)
    assert secret["DBB_KEY"] == TEST_KEY
    parsed = urllib.parse.urlsplit(secret["DBB_DSN"])
    assert (parsed.scheme, parsed.hostname, parsed.port, parsed.path) == ("postgres", "postgres.storage.svc",
                                                                          5432, "/dbbat")
    assert urllib.parse.unquote(parsed.password) == TEST_PASSWORD, "the password must survive URL-escaping"
    assert parsed.query == "sslmode=require"
    pods = cluster.list("v1", "Pod", ns, label_selector="app.kubernetes.io/instance=dbbat")
    assert [p["status"]["phase"] for p in pods] == ["Running"], "the chart's pod was admitted and scheduled"

    releases = helm_releases(cluster, ns)
    assert [r["version"] for r in releases] == [1]
    values = releases[0]["config"]
    assert values["secrets"] == {"existingSecret": SECRET}
    assert values["replicaCount"] == 1 and values["service"]["proxy"]["type"] == "ClusterIP"
    assert "postgresql" not in values, "the DSN comes from the Secret, not from values"
    assert yaml.safe_load(values_file.read_text()) == values, "dbbat_values_file holds the values deployed"
    deployment = _deployment(cluster, ns)
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])}
    assert env["DBB_KEY"]["valueFrom"]["secretKeyRef"]["name"] == SECRET
    assert env["DBB_DSN"]["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": "DBB_DSN"}
    assert f"kubectl -n {ns} port-forward svc/dbbat 8080:8080" in run.out, "the role tells how to reach the API/UI"
    assert f"dbbat-pg.{ns}.svc:5432" in run.out, "the role tells how to reach the proxy"

    # 2. Second run with the same inventory: changed=0 for the whole play, and no new ReplicaSet.
    replica_sets = _replica_sets(cluster, ns)
    run = deployer.run()
    assert run.rc == 0, run.tail()
    assert run.recap["changed"] == 0, f"second run changed: {run.changed_tasks()}"
    assert _replica_sets(cluster, ns).keys() == replica_sets.keys(), "an unchanged run must not roll the pods"

    # 3. --check with a changed variable: reports the change, writes nothing.
    mark = cluster.audit_mark()
    run = deployer.run("--check", "--diff", dbbat_replicas=3)
    assert run.rc == 0, run.tail()
    assert any("helm release" in t for t in run.changed_tasks()), run.changed_tasks()
    assert cluster.writes(mark) == [], "--check wrote to the cluster"
    assert len(helm_releases(cluster, ns)) == 1
    assert "replicaCount:" in run.out and "after: 3" in run.out, "--diff shows the change to the values"

    # 4. Changed variables upgrade the release and roll the pods: an image tag, replicas (a string,
    #    as from an AWX survey) and a new database password (the Secret changes: checksum annotation,
    #    so the Deployment controller makes a new ReplicaSet).
    template_before = _deployment(cluster, ns)["spec"]["template"]
    run = deployer.run(dbbat_image_tag="0.25.3", dbbat_replicas="2", dbbat_db_password="another-password")
    assert run.rc == 0, run.tail()
    releases = helm_releases(cluster, ns)
    assert releases[-1]["version"] == 2 and releases[-1]["config"]["replicaCount"] == 2
    deployment = _deployment(cluster, ns)
    assert deployment["spec"]["replicas"] == 2 and deployment["status"]["readyReplicas"] == 2
    template = deployment["spec"]["template"]
    assert template["spec"]["containers"][0]["image"].endswith(":0.25.3")
    key = "dbbat.fclairamb.github.io/secret-sha256"
    assert template["metadata"]["annotations"][key] != template_before["metadata"]["annotations"][key], \
        "a Secret change must roll the pods"
    replica_sets_after = _replica_sets(cluster, ns)
    (new,) = set(replica_sets_after) - set(replica_sets)
    assert replica_sets_after[new] == 2, replica_sets_after
    assert "another-password" in cluster.secret_data(SECRET, ns)["DBB_DSN"]

    # 5. Helm's release history holds no secret value, in any revision.
    blobs = helm_release_blobs(cluster, ns)
    assert len(blobs) == 2
    for blob in blobs:
        _assert_no_secret(blob, "Helm release history")
        assert "another-password" not in blob
    for cm in cluster.list("v1", "ConfigMap", ns):
        _assert_no_secret(str(cm.get("data", {})), f"ConfigMap {cm['metadata']['name']}")


def test_check_on_empty_cluster_key_guard_rotation_and_removal(cluster, deployer):
    ns = deployer.namespace
    # 0. --check on an empty cluster: says what would be created, creates nothing.
    mark = cluster.audit_mark()
    run = deployer.run("--check")
    assert run.rc == 0, run.tail()
    changed = run.changed_tasks()
    assert any("Namespace and Secret" in t for t in changed) and any("helm release" in t for t in changed), changed
    assert cluster.writes(mark) == [] and cluster.get("v1", "Namespace", ns) is None

    # 1. Deploy.
    run = deployer.run()
    assert run.rc == 0, run.tail()

    # 2. Another encryption key is refused (key-loss guard), before anything is written.
    mark = cluster.audit_mark()
    run = deployer.run(dbbat_encryption_key=OTHER_KEY)
    assert run.rc != 0
    assert "Refusing to replace DBB_KEY" in run.out and "unreadable" in run.out, run.tail()
    assert "dbbat_allow_key_rotation" in run.out
    _assert_no_secret(run.out, "the key-loss guard's output")
    assert cluster.writes(mark) == []
    assert cluster.secret_data(SECRET, ns)["DBB_KEY"] == TEST_KEY

    # 3. Rotation on purpose: allowed with dbbat_allow_key_rotation, and the pods roll.
    annotations_before = _deployment(cluster, ns)["spec"]["template"]["metadata"]["annotations"]
    run = deployer.run(dbbat_encryption_key=OTHER_KEY, dbbat_allow_key_rotation="true")
    assert run.rc == 0, run.tail()
    assert cluster.secret_data(SECRET, ns)["DBB_KEY"] == OTHER_KEY
    key = "dbbat.fclairamb.github.io/secret-sha256"
    assert _deployment(cluster, ns)["spec"]["template"]["metadata"]["annotations"][key] != annotations_before[key]

    # 4. state: absent removes the release; the Secret and the namespace stay.
    run = deployer.run(dbbat_state="absent")
    assert run.rc == 0, run.tail()
    assert helm_releases(cluster, ns) == []
    assert _deployment(cluster, ns) is None
    assert cluster.get("v1", "Secret", SECRET, ns) is not None, "the Secret holds the key: it must be kept"
    assert cluster.get("v1", "Namespace", ns) is not None

    # 5. Asked explicitly, removal also deletes the Secret and the namespace (the namespace
    #    controller empties it first; the role waits for it to be gone).
    run = deployer.run(dbbat_state="absent", dbbat_remove_secret=True, dbbat_remove_namespace=True)
    assert run.rc == 0, run.tail()
    assert cluster.get("v1", "Secret", SECRET, ns) is None and cluster.get("v1", "Namespace", ns) is None


def test_awx_credential_environment_wrong_token_and_stopped_api_server(cluster, namespace, published_dbbat_chart,
                                                                       tmp_path, helm3):
    """AWX's Kubernetes bearer-token credential sets K8S_AUTH_* and no kubeconfig. Helm 3 here
    (the other tests use the default helm, Helm 4)."""
    env = isolated_env(tmp_path, cluster_env=cluster.awx_env())
    assert "KUBECONFIG" not in env
    deployer = Deployer(tmp_path, env, published_dbbat_chart, dbbat_namespace=namespace, dbbat_helm_binary=helm3)

    run = deployer.run()
    assert run.rc == 0, run.tail()
    assert [r["version"] for r in helm_releases(cluster, namespace)] == [1]
    assert cluster.get("v1", "Secret", SECRET, namespace) is not None
    run = deployer.run()
    assert run.rc == 0 and run.recap["changed"] == 0, run.changed_tasks()

    # An inventory's kube context next to the credential: refused before anything runs, clearly.
    run = deployer.run(dbbat_kube_context="prod-eu")
    assert run.rc != 0 and "Set dbbat_kube_context to \"\" for this job" in run.out, run.tail()

    # A token the API server does not know: its 401, in the role's own words.
    run = deployer.run(env=dict(env, K8S_AUTH_API_KEY="not-the-token"))
    assert run.rc != 0
    assert f"Cannot read Secret {namespace}/{SECRET} from the Kubernetes API" in run.out, run.tail()
    assert "401" in run.out or "Unauthorized" in run.out, run.tail()
    assert "not-the-token" not in run.out

    # An API server that is down: the same message, with the connection error.
    cluster.stop_control_plane()
    try:
        run = deployer.run()
    finally:
        cluster.start_control_plane()
    assert run.rc != 0
    assert f"Cannot read Secret {namespace}/{SECRET} from the Kubernetes API" in run.out, run.tail()
    assert "Connection refused" in run.out or "Max retries exceeded" in run.out, run.tail()


def test_secret_managed_elsewhere_missing_a_key_fails_in_preflight(cluster, deployer):
    ns = deployer.namespace
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": SECRET, "namespace": ns}, "data": {"DBB_KEY": _b64(TEST_KEY)}})
    mark = cluster.audit_mark()

    run = deployer.run(dbbat_secret_managed=False, dbbat_encryption_key="", dbbat_db_password="")
    assert run.rc != 0
    assert "lacks the key(s) DBB_DSN" in run.out, run.tail()
    assert "TASK [fclairamb.dbbat.deploy : Preflight" in run.out
    assert "Deploy | helm release" not in run.out, "helm must not run"
    assert helm_releases(cluster, ns) == [] and _deployment(cluster, ns) is None
    assert cluster.writes(mark) == []

    # Once the Secret is complete, the same inventory deploys, and the role leaves the Secret alone.
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": SECRET, "namespace": ns},
                   "data": {"DBB_KEY": _b64(TEST_KEY), "DBB_DSN": _b64("postgres://u:p@db:5432/dbbat")}})
    mark = cluster.audit_mark()
    run = deployer.run(dbbat_secret_managed=False, dbbat_encryption_key="", dbbat_db_password="")
    assert run.rc == 0, run.tail()
    assert [r["version"] for r in helm_releases(cluster, ns)] == [1]
    assert not [w for w in cluster.writes(mark) if w["resource"] == "secrets" and w["name"] == SECRET]
