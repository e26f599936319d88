"""Fixtures of the deploy role's end-to-end tests: the chart published to a real OCI registry
(TLS, basic auth) by the collection's publish module, and a runner of playbooks/deploy.yml
against the Kubernetes API test double."""
import base64
import gzip
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, credential_helper_standins

PLAYBOOK = ROOT / "playbooks" / "deploy.yml"
# A valid key and another one, for these tests only (base64 of 32 bytes).
TEST_KEY = base64.b64encode(b"dbbat-e2e-test-key-0123456789abc").decode()
OTHER_KEY = base64.b64encode(b"dbbat-e2e-other-key-0123456789ab").decode()
# A password that needs URL-escaping in a DSN.
TEST_PASSWORD = "s3cr3t/p@ss:w0rd?#"


@pytest.fixture(scope="session")
def published_chart(published_dbbat_chart):
    """charts/dbbat published by fclairamb.dbbat.helm_chart_publish to the session's TLS registry
    with basic auth (tests/publish/registry.py): ``ref``, ``version``, ``registry``."""
    return published_dbbat_chart


@dataclass
class Run:
    rc: int
    out: str

    @property
    def recap(self):
        """{'ok': n, 'changed': n, 'failed': n, ...} of the play recap (one host)."""
        line = [l for l in self.out.splitlines() if re.match(r"^\S+\s+: ok=", l)][-1]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}

    def changed_tasks(self):
        """Names of the tasks reported changed (default callback output)."""
        names, current = [], None
        for line in self.out.splitlines():
            task = re.match(r"^TASK \[(.*)\] \*+$", line)
            if task:
                current = task.group(1)
            elif line.startswith("changed: [") and current:
                names.append(current)
        return names


class Deployer:
    """Runs playbooks/deploy.yml for one host whose variables are in a file it rewrites."""

    def __init__(self, workdir, env, chart, **variables):
        self.workdir = Path(workdir)
        self.env = env
        self.inventory = self.workdir / "hosts.yml"
        self.inventory.write_text(yaml.safe_dump({"dbbat": {"hosts": {"e2e": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "ansible_pipelining": True}}}}))
        reg = chart.registry
        self.vars = {
            "dbbat_chart_ref": chart.ref,
            "dbbat_chart_version": chart.version,
            "dbbat_registry_username": reg.username,
            "dbbat_registry_password": reg.password,
            "dbbat_registry_ca_file": reg.ca_file,
            "dbbat_db_host": "postgres.storage.svc",
            "dbbat_db_password": TEST_PASSWORD,
            "dbbat_encryption_key": TEST_KEY,
            "dbbat_wait_timeout": 120,
        }
        self.vars.update(variables)

    def run(self, *args, env=None, **overrides):
        variables = dict(self.vars, **overrides)
        vars_file = self.workdir / "vars.yml"
        vars_file.write_text(yaml.safe_dump(variables))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(PLAYBOOK), "-i", str(self.inventory),
               "-e", f"@{vars_file}", *args]
        proc = subprocess.run(cmd, env=env or self.env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        return Run(proc.returncode, proc.stdout + proc.stderr)


def make_env(base, api_env, workdir):
    """tool_env + the cluster variables of the double + helm homes private to the test."""
    env = dict(base)
    for k in [k for k in env if k.startswith("K8S_AUTH_") or k == "KUBECONFIG"]:
        del env[k]
    env.update({k: v for k, v in api_env.items() if k.startswith("K8S_AUTH_") or k == "KUBECONFIG"})
    env.update(HELM_CACHE_HOME=str(workdir / "helm-cache"), HELM_CONFIG_HOME=str(workdir / "helm-config"),
               HELM_DATA_HOME=str(workdir / "helm-data"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    # A developer's keychain, recorded: nothing may be stored there (keychain_calls).
    helpers = credential_helper_standins(workdir)
    env["PATH"] = os.pathsep.join([str(helpers), env["PATH"]])
    return env



@pytest.fixture
def deployer(kube_api, published_chart, tool_env, tmp_path):
    """A deployer of the published chart to a fresh double, through a kubeconfig."""
    return Deployer(tmp_path, make_env(tool_env, kube_api.env(), tmp_path), published_chart)


def helm_releases(api, namespace, name="dbbat"):
    """Helm's release records (its Secrets), decoded: base64 (Secret) -> base64 -> gzip -> JSON."""
    out = []
    for secret in api.list("v1", "Secret", namespace, label_selector=f"owner=helm,name={name}"):
        raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
        out.append(json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw))
    return sorted(out, key=lambda r: r["version"])


def helm_release_blobs(api, namespace):
    """The decoded text of every Helm release record of a namespace (for secret searches)."""
    return [json.dumps(r) for r in helm_releases(api, namespace)]
