"""The chart installed on the local cluster's real control plane (tests/chart renders it; here the
API server validates, defaults and admits it): every CI value set installs with Helm 3 and Helm 4
into a namespace that enforces the "restricted" Pod Security Standard and becomes Available; an
unchanged upgrade changes nothing; history, rollback and uninstall behave; and the namespace
really refuses a pod that breaks the standard.

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import json

import pytest
import yaml

from testkit.env import isolated_env
from testkit.paths import CHART_DIR, ROOT
from testkit.proc import run

pytestmark = pytest.mark.slow

VALUES = ROOT / "tests" / "chart" / "values"
def _restricted_namespace(cluster, name):
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                 "pod-security.kubernetes.io/enforce-version": "latest"}}})


def _referenced_secrets(manifest):
    """{secret name: {keys}} that the rendered pod templates read (env, envFrom, volumes) and the
    chart does not render itself."""
    objects = [o for o in yaml.safe_load_all(manifest) if o]
    wanted = {}
    for obj in (o for o in objects if o["kind"] == "Deployment"):
        spec = obj["spec"]["template"]["spec"]
        for container in spec["containers"] + spec.get("initContainers", []):
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    wanted.setdefault(ref["name"], set()).add(ref["key"])
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    wanted.setdefault(source["secretRef"]["name"], set())
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                items = volume["secret"].get("items", [])
                wanted.setdefault(volume["secret"]["secretName"], set()).update(i["key"] for i in items)
    rendered = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    return {name: keys for name, keys in wanted.items() if name not in rendered}


def _priority_classes(manifest):
    """PriorityClasses the pod templates name: cluster-scoped, a cluster admin's to create (the
    Priority admission plugin refuses pods that name one that does not exist)."""
    return {o["spec"]["template"]["spec"]["priorityClassName"] for o in yaml.safe_load_all(manifest)
            if o and o["kind"] == "Deployment" and o["spec"]["template"]["spec"].get("priorityClassName")}


def _helm(helm_bin, env, *args):
    return run([helm_bin, *args], env=env, timeout=180).check()


@pytest.mark.parametrize("values", ["minimal", "production", "full", "integrations"])
def test_ci_values_install_available_and_unchanged_upgrade(request, cluster, namespace, helm_any, values, tmp_path):
    if values == "integrations":
        request.getfixturevalue("crds")
    env = isolated_env(tmp_path, cluster_env=cluster.env())
    _restricted_namespace(cluster, namespace)
    values_file = VALUES / f"{values}.yaml"
    manifest = _helm(helm_any, env, "template", "dbbat", CHART_DIR, "-n", namespace, "-f", values_file).stdout
    for name in _priority_classes(manifest):
        cluster.apply({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
                       "value": 1000})
    for name, keys in _referenced_secrets(manifest).items():
        cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
                       "stringData": {key: "x" for key in keys or {"unused"}}})

    _helm(helm_any, env, "install", "dbbat", CHART_DIR, "-n", namespace, "-f", values_file,
          "--wait", "--timeout", "90s")
    # An autoscaler may raise the replicas right after helm's wait (production, full: minReplicas
    # above replicaCount): the new pod must become ready too.
    def settled():
        (dep,) = cluster.list("apps/v1", "Deployment", namespace)
        status = dep.get("status", {})
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        ready = status.get("readyReplicas") == dep["spec"]["replicas"] == status.get("updatedReplicas")
        return dep if conditions.get("Available") == "True" and ready else None
    deployment = cluster.wait_for(settled, "the Deployment to be Available with every replica ready")
    pods = cluster.list("v1", "Pod", namespace, label_selector="app.kubernetes.io/instance=dbbat")
    assert pods and all(p["status"]["phase"] == "Running" for p in pods)
    assert {p["spec"]["nodeName"] for p in pods} <= {"kwok-node-0", "kwok-node-1", "kwok-node-2"}, "scheduled by the scheduler"

    # An upgrade with nothing new: no spec changes (generation), no new ReplicaSet, the same
    # ConfigMap and Services.
    def state():
        dep = cluster.get("apps/v1", "Deployment", deployment["metadata"]["name"], namespace)
        return (dep["metadata"]["generation"],
                sorted(rs["metadata"]["name"] for rs in cluster.list("apps/v1", "ReplicaSet", namespace)),
                {(o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"]
                 for kind in ("ConfigMap", "Service") for o in cluster.list("v1", kind, namespace)
                 if o["metadata"]["name"] != "kube-root-ca.crt"})
    before = state()
    _helm(helm_any, env, "upgrade", "dbbat", CHART_DIR, "-n", namespace, "-f", values_file,
          "--wait", "--timeout", "90s")
    assert state() == before


def test_history_rollback_and_uninstall(cluster, namespace, helm_any, tmp_path):
    env = isolated_env(tmp_path, cluster_env=cluster.env())
    _restricted_namespace(cluster, namespace)
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat-secrets", "namespace": namespace},
                   "stringData": {"DBB_KEY": "x", "DBB_DSN": "postgres://u@db/dbbat"}})
    base = ["-n", namespace, "-f", VALUES / "minimal.yaml", "--wait", "--timeout", "90s"]
    _helm(helm_any, env, "install", "dbbat", CHART_DIR, *base)
    _helm(helm_any, env, "upgrade", "dbbat", CHART_DIR, *base, "--set", "replicaCount=2")
    # --wait returns once the new ReplicaSet's 2 pods are ready; the old pod may still be on its
    # way out for a moment (counted ready by the Deployment until its ReplicaSet says otherwise).
    status = cluster.get("apps/v1", "Deployment", "dbbat", namespace)["status"]
    assert status["updatedReplicas"] == 2 and status["readyReplicas"] >= 2, status
    history = json.loads(_helm(helm_any, env, "history", "dbbat", "-n", namespace, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]

    _helm(helm_any, env, "rollback", "dbbat", "1", "-n", namespace, "--wait", "--timeout", "90s")
    deployment = cluster.get("apps/v1", "Deployment", "dbbat", namespace)
    assert deployment["spec"]["replicas"] == 1 and deployment["status"]["readyReplicas"] == 1

    _helm(helm_any, env, "uninstall", "dbbat", "-n", namespace, "--wait", "--timeout", "90s")
    assert cluster.get("apps/v1", "Deployment", "dbbat", namespace) is None
    assert cluster.list("v1", "Secret", namespace, label_selector="owner=helm") == []
    assert cluster.list("v1", "Pod", namespace, label_selector="app.kubernetes.io/instance=dbbat") == []


def test_restricted_namespace_refuses_a_non_compliant_pod(cluster, namespace):
    """The real PodSecurity admission plugin: the same label the role puts on its namespace."""
    _restricted_namespace(cluster, namespace)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged", "namespace": namespace},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                    "securityContext": {"privileged": True}}]}}
    result = cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    assert result.rc != 0
    assert 'violates PodSecurity "restricted:latest"' in result.stderr and "privileged" in result.stderr, result.out
    assert cluster.get("v1", "Pod", "privileged", namespace) is None
