"""Helpers for the double's own tests: run a real client binary against a double."""
import subprocess

import pytest


@pytest.fixture
def run(kube_api, tool_env, tmp_path):
    """run(*argv, ok=True, env=None) -> CompletedProcess (env values of None unset a variable), with KUBECONFIG pointing at the double
    and the kubectl/helm caches in a per-test temp dir."""
    base = {**kube_api.env(), "PATH": tool_env["PATH"], "ANSIBLE_CONFIG": tool_env["ANSIBLE_CONFIG"],
            "HOME": str(tmp_path / "home"), "KUBECACHEDIR": str(tmp_path / "kubecache"),
            "HELM_CACHE_HOME": str(tmp_path / "helm-cache"), "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
            "HELM_DATA_HOME": str(tmp_path / "helm-data")}

    def _run(*argv, ok=True, env=None, input=None, timeout=120):
        merged = {k: v for k, v in {**base, **(env or {})}.items() if v is not None}  # None: unset
        p = subprocess.run([str(a) for a in argv], env=merged, capture_output=True,
                           text=True, input=input, timeout=timeout)
        if ok is not None:
            assert (p.returncode == 0) == ok, f"{argv} rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        return p
    _run.env = base
    return _run
