"""kubernetes.core (k8s, k8s_info, helm, helm_info) from a real ansible-playbook run against the double,
once with a kubeconfig and once with the environment AWX's Kubernetes credential sets."""
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PLAYBOOK = Path(__file__).parent / "testdata" / "playbook.yml"


def _play(run, tmp_path, env, *args, **extra):
    report = tmp_path / "report.json"
    extra = {"report": str(report), **extra}
    argv = ["ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(extra),
            "-e", f"ansible_python_interpreter={sys.executable}", *args]
    p = run(*argv, env=env, ok=None)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "not-a-real-key" not in p.stdout + p.stderr
    return json.loads(report.read_text())


def test_kubernetes_core_playbook(run, kube_api, tmp_path):
    first = _play(run, tmp_path, {})
    assert first["namespace"] and first["secret"] and first["apply"] and first["ssa"] and first["helm"]
    assert first["labelled_secrets"] == ["creds"]
    assert first["release"]["status"] == "deployed" and first["release"]["revision"] == "1"
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", "kd-ansible")["status"]["availableReplicas"] == 1

    # Second run, this time as AWX runs it (no kubeconfig, K8S_AUTH_* variables): nothing changes.
    awx = {k: v for k, v in kube_api.awx_env().items() if k.startswith("K8S_AUTH_")}
    second = _play(run, tmp_path, {**awx, "KUBECONFIG": None})
    assert not any(second[k] for k in ("namespace", "secret", "apply", "ssa", "helm")), second
    assert second["release"]["revision"] == "1"

    third = _play(run, tmp_path, {}, "--tags", "release", greeting="bye")
    assert third["helm"] and third["release"]["revision"] == "2"
    assert kube_api.get("v1", "ConfigMap", "r1-tiny", "kd-ansible")["data"] == {"greeting": "bye"}

    gone = _play(run, tmp_path, {}, "--tags", "release", release_state="absent")
    assert gone["helm"] and gone["release"] == {}
    assert kube_api.get("apps/v1", "Deployment", "r1-tiny", "kd-ansible") is None
    assert kube_api.list("v1", "Secret", "kd-ansible", "owner=helm") == []
