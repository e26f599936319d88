"""Real helm 3 and helm 4 against the double, with the tiny chart of testdata/."""
import base64
import gzip
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TINY = Path(__file__).parent / "testdata" / "tiny"


def _major(helm):
    return "4" if helm.endswith("4") else "3"


def test_helm_lifecycle(run, helm_any, kube_api):
    ns = "apps"
    run(helm_any, "install", "r1", TINY, "-n", ns, "--create-namespace", "--wait", "--timeout", "20s")
    assert kube_api.get("v1", "Namespace", ns) is not None
    dep = kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)
    assert dep["status"]["availableReplicas"] == 1
    assert kube_api.get("v1", "Service", "r1-tiny", ns)["spec"]["clusterIP"].startswith("10.96.")

    releases = json.loads(run(helm_any, "list", "-n", ns, "-o", "json").stdout)
    assert [(r["name"], r["revision"], r["status"]) for r in releases] == [("r1", "1", "deployed")]

    # An upgrade with nothing new writes nothing: every resourceVersion stays.
    def versions():
        return {(kind, name): kube_api.get(api_version, kind, name, ns)["metadata"]["resourceVersion"]
                for api_version, kind, name in [("apps/v1", "Deployment", "r1-tiny"), ("v1", "Service", "r1-tiny"),
                                                ("v1", "ConfigMap", "r1-tiny")]}
    before = versions()
    run(helm_any, "upgrade", "r1", TINY, "-n", ns, "--wait", "--timeout", "20s")
    assert versions() == before

    run(helm_any, "upgrade", "r1", TINY, "-n", ns, "--set", "replicas=2", "--set", "greeting=bye",
        "--wait", "--timeout", "20s")
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)["status"]["readyReplicas"] == 2
    assert kube_api.get("v1", "ConfigMap", "r1-tiny", ns)["data"] == {"greeting": "bye"}
    history = json.loads(run(helm_any, "history", "r1", "-n", ns, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "superseded"), (3, "deployed")]

    run(helm_any, "rollback", "r1", "1", "-n", ns, "--wait", "--timeout", "20s")
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)["spec"]["replicas"] == 1
    assert kube_api.get("v1", "ConfigMap", "r1-tiny", ns)["data"] == {"greeting": "hello"}

    # Release Secrets: stored by helm (as protobuf), labelled as helm labels them.
    secrets = kube_api.list("v1", "Secret", ns, "owner=helm,name=r1")
    assert sorted(s["metadata"]["labels"]["version"] for s in secrets) == ["1", "2", "3", "4"]
    assert all(s["type"] == "helm.sh/release.v1" for s in secrets)
    latest = max(secrets, key=lambda s: int(s["metadata"]["labels"]["version"]))
    assert latest["metadata"]["labels"]["status"] == "deployed"
    release = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(latest["data"]["release"]))))
    assert release["name"] == "r1" and release["version"] == 4

    run(helm_any, "uninstall", "r1", "-n", ns, "--wait", "--timeout", "20s")
    assert kube_api.list("v1", "Secret", ns, "owner=helm") == []
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", ns) is None
    assert kube_api.list("apps/v1", "ReplicaSet", ns) == []


def test_helm_wait_fails_and_rolls_back_on_a_missing_secret_key(run, helm_any, kube_api):
    ns = "broken"
    kube_api.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns},
                         "stringData": {"OTHER": "x"}})
    flag = "--atomic" if _major(helm_any) == "3" else "--rollback-on-failure"
    p = run(helm_any, "install", "r1", TINY, "-n", ns, "--set", "secretName=creds", "--wait", flag,
            "--timeout", "3s", ok=False)
    assert "INSTALLATION FAILED" in p.stderr and "uninstalled" in p.stderr
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", ns) is None
    assert kube_api.list("v1", "Secret", ns, "owner=helm") == []

    # With the key in place, the same install succeeds.
    kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns},
                         "stringData": {"DBB_KEY": "k"}})
    run(helm_any, "install", "r1", TINY, "-n", ns, "--set", "secretName=creds", "--wait", "--timeout", "20s")
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)["status"]["availableReplicas"] == 1

    # A broken upgrade (a key the Secret lacks) times out while the old pods keep serving, and is
    # rolled back.
    p = run(helm_any, "upgrade", "r1", TINY, "-n", ns, "--set", "secretName=creds", "--set", "secretKey=NOPE",
            "--wait", flag, "--timeout", "3s", ok=False)
    assert "UPGRADE FAILED" in p.stderr and "rolled back" in p.stderr.lower()
    dep = kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)
    assert [e["valueFrom"]["secretKeyRef"]["key"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]
            if "secretKeyRef" in e.get("valueFrom", {})] == ["DBB_KEY"]
    assert dep["status"]["availableReplicas"] == 1 and dep["status"]["replicas"] == 1

    # An upgrade that drops the reference removes it from the live object (helm 3: three-way
    # strategic merge; helm 4: server-side apply).
    run(helm_any, "upgrade", "r1", TINY, "-n", ns, "--reset-values", "--wait", "--timeout", "20s")
    env = kube_api.get("apps/v1", "Deployment", "r1-tiny", ns)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["GREETING"]
