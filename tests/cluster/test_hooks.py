"""The migration Job and the helm test pod on a real API server: the local cluster (admission with
Pod Security "restricted" enforced, controllers, RBAC), whose kubelets kwok simulates; a pod
annotation makes a run-to-completion pod fail (tools/cluster/kwok.yaml).

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import base64

import pytest

from testkit.env import isolated_env
from testkit.proc import run
from tests.chart.render import CHART_DIR, ci_file

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()
FAIL_POD = "podAnnotations.kwok\\.dbbat\\.test/exit-code=3"


@pytest.fixture
def release(cluster, namespace, tmp_path, helm_any):
    """helm (each major in turn) against the cluster, in a restricted namespace holding the
    Secret the values name."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat-secrets", "namespace": namespace},
                   "data": {"DBB_KEY": base64.b64encode(KEY.encode()).decode()}})
    env = isolated_env(tmp_path, cluster_env=cluster.env())

    def helm(*args):
        return run([helm_any, *args, "-n", namespace], env=env, timeout=300)
    return helm


def created(cluster, mark, namespace):
    """(resource, name) of the objects helm created since mark, in order (Helm 3 creates them,
    Helm 4 applies them server-side: a patch answered 201)."""
    return [(w["resource"], w["name"]) for w in cluster.writes(mark, namespace)
            if w["verb"] in ("create", "patch") and w["code"] == 201]


def test_install_creates_the_migration_job_first_and_the_test_pod_kwok_completes_succeeds(cluster, namespace, release):
    mark = cluster.audit_mark()
    release("install", "dbbat", CHART_DIR, "-f", ci_file("minimal"), "--wait", "--timeout", "3m").check()
    order = created(cluster, mark, namespace)
    # The hook copies, then the Job, then the release's own objects.
    job = order.index(("jobs", "dbbat-migrate"))
    assert order.index(("configmaps", "dbbat-migrate")) < job and order.index(("secrets", "dbbat-migrate")) < job
    assert job < order.index(("configmaps", "dbbat")) and job < order.index(("deployments", "dbbat"))
    assert job < order.index(("serviceaccounts", "dbbat")), "the hook cannot use the release's account"
    # Deleted once they succeeded: nothing of the hooks is left.
    assert cluster.get("batch/v1", "Job", "dbbat-migrate", namespace) is None
    assert cluster.get("v1", "ConfigMap", "dbbat-migrate", namespace) is None
    assert cluster.get("v1", "Secret", "dbbat-migrate", namespace) is None
    result = release("test", "dbbat", "--timeout", "2m").check()
    assert "dbbat-test" in result.out and "Succeeded" in result.out
    assert cluster.get("v1", "Pod", "dbbat-test", namespace) is None, "deleted once it succeeded"


def test_a_migration_job_kwok_fails_stops_the_upgrade_and_leaves_the_pods_alone(cluster, namespace, release):
    release("install", "dbbat", CHART_DIR, "-f", ci_file("minimal"), "--wait", "--timeout", "3m").check()
    before = cluster.get("apps/v1", "Deployment", "dbbat", namespace)

    failed = release("upgrade", "dbbat", CHART_DIR, "-f", ci_file("minimal"), "--set-string", FAIL_POD,
                     "--set", "config.logLevel=debug", "--timeout", "2m")
    assert not failed.ok
    assert "pre-upgrade hooks failed" in failed.out and "dbbat-migrate" in failed.out, failed.tail()
    after = cluster.get("apps/v1", "Deployment", "dbbat", namespace)
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"]["template"] == before["spec"]["template"]
    assert cluster.get("v1", "ConfigMap", "dbbat", namespace)["data"]["DBB_LOG_LEVEL"] == "info"
    # The failed Job stays for inspection; the hook copies of the configuration do not.
    job = cluster.get("batch/v1", "Job", "dbbat-migrate", namespace)
    assert any(c["type"] == "Failed" and c["status"] == "True" for c in job["status"]["conditions"])
    assert cluster.get("v1", "Secret", "dbbat-migrate", namespace) is None

    # The next attempt replaces the failed Job, and the upgrade goes through.
    release("upgrade", "dbbat", CHART_DIR, "-f", ci_file("minimal"), "--set", "config.logLevel=debug",
            "--wait", "--timeout", "3m").check()
    assert cluster.get("batch/v1", "Job", "dbbat-migrate", namespace) is None
    assert cluster.get("v1", "ConfigMap", "dbbat", namespace)["data"]["DBB_LOG_LEVEL"] == "debug"
