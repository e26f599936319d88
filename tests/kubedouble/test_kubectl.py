"""Real kubectl against the double."""
import json
import re
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

APP = """
apiVersion: v1
kind: Namespace
metadata:
  name: kt
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kt
  labels: {app: web, tier: front}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: IMAGE
          ports: [{containerPort: 80}]
          env:
            - name: DBB_KEY
              valueFrom: {secretKeyRef: {name: web-secrets, key: DBB_KEY}}
"""


def _rv(kube_api):
    return kube_api.get("apps/v1", "Deployment", "web", "kt")["metadata"]["resourceVersion"]


def test_kubectl_lifecycle(run, kubectl, kube_api, tmp_path):
    manifest = tmp_path / "app.yaml"
    manifest.write_text(APP.replace("IMAGE", "nginx:1"))
    out = run(kubectl, "apply", "-f", manifest).stdout
    assert "deployment.apps/web created" in out
    rv = _rv(kube_api)
    out = run(kubectl, "apply", "-f", manifest).stdout
    assert "deployment.apps/web unchanged" in out and _rv(kube_api) == rv

    # Not ready: the Secret is missing, so rollout status and wait time out, naming nothing false.
    p = run(kubectl, "-n", "kt", "rollout", "status", "deploy/web", "--timeout=2s", ok=False)
    assert "0 of 1 updated replicas are available" in p.stdout
    run(kubectl, "-n", "kt", "wait", "--for=condition=Available", "deploy/web", "--timeout=1s", ok=False)
    got = json.loads(run(kubectl, "-n", "kt", "get", "deploy", "web", "-o", "json").stdout)
    assert 'secret "web-secrets" not found' in got["status"]["conditions"][0]["message"]

    run(kubectl, "-n", "kt", "create", "secret", "generic", "web-secrets", "--from-literal=DBB_KEY=k")
    assert "successfully rolled out" in run(kubectl, "-n", "kt", "rollout", "status", "deploy/web", "--timeout=10s").stdout
    assert "condition met" in run(kubectl, "-n", "kt", "wait", "--for=condition=Available", "deploy/web", "--timeout=10s").stdout

    # A new image: client-side apply patches, a second ReplicaSet appears; server-side apply is idempotent.
    manifest.write_text(APP.replace("IMAGE", "nginx:2"))
    assert "deployment.apps/web configured" in run(kubectl, "apply", "-f", manifest).stdout
    assert len(kube_api.list("apps/v1", "ReplicaSet", "kt", "app=web")) == 2
    run(kubectl, "apply", "--server-side", "--force-conflicts", "-f", manifest)
    rv = _rv(kube_api)
    run(kubectl, "apply", "--server-side", "--force-conflicts", "-f", manifest)
    assert _rv(kube_api) == rv
    assert kube_api.get("apps/v1", "Deployment", "web", "kt")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"

    # Label selectors, scale, delete.
    names = run(kubectl, "-n", "kt", "get", "deploy", "-l", "tier in (front,back),app", "-o", "name").stdout.split()
    assert names == ["deployment.apps/web"]
    assert run(kubectl, "-n", "kt", "get", "deploy", "-l", "tier!=front", "-o", "name").stdout.strip() == ""
    run(kubectl, "-n", "kt", "scale", "deploy/web", "--replicas=3")
    assert kube_api.get("apps/v1", "Deployment", "web", "kt")["status"]["readyReplicas"] == 3
    run(kubectl, "delete", "-f", manifest, "--timeout=20s")
    assert kube_api.get("apps/v1", "Deployment", "web", "kt") is None
    assert kube_api.get("v1", "Namespace", "kt") is None


@pytest.mark.parametrize("edit, field", [
    (lambda m: m.replace("containerPort: 80", "containerPort: eighty"), "spec.template.spec.containers[0].ports[0].containerPort"),
    (lambda m: m.replace("  selector:", "  replicaz: 2\n  selector:"), "spec.replicaz"),
])
def test_kubectl_invalid_manifest_names_the_field(run, kubectl, kube_api, tmp_path, edit, field):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(edit(APP.replace("IMAGE", "nginx:1")))
    p = run(kubectl, "apply", "-f", manifest, ok=False)
    assert field in p.stderr
    assert kube_api.get("apps/v1", "Deployment", "web", "kt") is None


def test_kubectl_bad_token_is_refused(run, kubectl):
    p = run(kubectl, "get", "ns", "--token=wrong", ok=False)
    assert "Unauthorized" in p.stderr or "provide credentials" in p.stderr


WORKLOADS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts, namespace: default}
spec:
  serviceName: sts
  replicas: 2
  selector: {matchLabels: {app: sts}}
  template:
    metadata: {labels: {app: sts}}
    spec:
      containers: [{name: a, image: x, envFrom: [{secretRef: {name: wl}}]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: default}
spec:
  selector: {matchLabels: {app: ds}}
  template:
    metadata: {labels: {app: ds}}
    spec:
      containers: [{name: a, image: x, volumeMounts: [{name: s, mountPath: /s}]}]
      volumes: [{name: s, secret: {secretName: wl}}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: a, image: x, env: [{name: A, valueFrom: {secretKeyRef: {name: wl, key: a}}}]}]
"""


def test_kubectl_other_workloads(run, kubectl, tmp_path):
    manifest = tmp_path / "wl.yaml"
    manifest.write_text(WORKLOADS)
    run(kubectl, "apply", "-f", manifest)
    assert "Waiting for 2 pods to be ready" in run(kubectl, "rollout", "status", "sts/sts", "--timeout=1s", ok=False).stdout
    run(kubectl, "rollout", "status", "ds/ds", "--timeout=1s", ok=False)
    run(kubectl, "wait", "--for=condition=Ready", "pod/p", "--timeout=1s", ok=False)
    run(kubectl, "create", "secret", "generic", "wl", "--from-literal=a=b")
    run(kubectl, "rollout", "status", "sts/sts", "--timeout=5s")
    assert "successfully rolled out" in run(kubectl, "rollout", "status", "ds/ds", "--timeout=5s").stdout
    run(kubectl, "wait", "--for=condition=Ready", "pod/p", "--timeout=5s")


def test_standalone_command(kubectl, tool_env, tmp_path):
    """`python -m tests.kubedouble` as the README documents it: prints what to export, serves until Ctrl-C."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.kubedouble", "--dir", str(tmp_path / "kd"), "--token", "s3cr3t"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", "".join(lines), re.M))
        assert exports["KUBECONFIG"] == str(tmp_path / "kd" / "kubeconfig")
        assert exports["K8S_AUTH_API_KEY"] == "s3cr3t" and exports["K8S_AUTH_HOST"].startswith("https://127.0.0.1:")
        env = {**tool_env, "KUBECONFIG": exports["KUBECONFIG"], "KUBECACHEDIR": str(tmp_path / "cache")}
        out = subprocess.run([kubectl, "get", "ns", "kube-system", "-o", "name"], env=env, capture_output=True,
                             text=True, timeout=30)
        assert out.stdout.strip() == "namespace/kube-system", out.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
