"""Fixtures of the deploy role's end-to-end tests: the chart published to a real OCI registry
(TLS, basic auth) by the collection's publish module, and a runner of playbooks/deploy.yml
against the local cluster (testkit.cluster), each test in a namespace of its own."""
import base64
import gzip
import json
import sys
from pathlib import Path

import pytest
import yaml

from testkit.env import isolated_env
from testkit.paths import COLLECTION_DIR, ROOT, VENV_BIN
from testkit.proc import run

PLAYBOOK = ROOT / "playbooks" / "deploy.yml"
# A valid key and another one, for these tests only (base64 of 32 bytes).
TEST_KEY = base64.b64encode(b"dbbat-e2e-test-key-0123456789abc").decode()
OTHER_KEY = base64.b64encode(b"dbbat-e2e-other-key-0123456789ab").decode()
# A password that needs URL-escaping in a DSN.
TEST_PASSWORD = "s3cr3t/p@ss:w0rd?#"
SECRET = "dbbat-secrets"
RBAC_EXAMPLE = COLLECTION_DIR / "roles" / "deploy" / "files" / "rbac" / "namespaced-deployer.yml"


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

    @property
    def namespace(self):
        return self.vars.get("dbbat_namespace", "dbbat")

    def run(self, *args, env=None, playbook=PLAYBOOK, **overrides):
        """Run ``playbook`` (playbooks/deploy.yml, or another of playbooks/ by name) with the
        deployer's variables and ``overrides``."""
        variables = dict(self.vars, **overrides)
        vars_file = self.workdir / "vars.yml"
        vars_file.write_text(yaml.safe_dump(variables))
        vars_file.chmod(0o600)
        return run([VENV_BIN / "ansible-playbook", PLAYBOOK.parent / playbook, "-i", self.inventory,
                    "-e", f"@{vars_file}", *args], env=env or self.env)


@pytest.fixture
def deployer(cluster, namespace, published_dbbat_chart, tmp_path):
    """A deployer of the published chart into the test's namespace, through the cluster's kubeconfig."""
    env = isolated_env(tmp_path, cluster_env=cluster.env())
    return Deployer(tmp_path, env, published_dbbat_chart, dbbat_namespace=namespace)


def _namespaced_deployer_token(cluster, namespace):
    """The collection's example RBAC, applied by an admin for this namespace; the token of its
    ServiceAccount."""
    for doc in yaml.safe_load(RBAC_EXAMPLE.read_text())["items"]:
        if doc["metadata"].get("namespace"):
            doc["metadata"]["namespace"] = namespace
        if doc["kind"].startswith("Cluster"):
            doc["metadata"]["name"] = doc["metadata"]["name"].replace("-dbbat", "-" + namespace)
        for subject in doc.get("subjects", []):
            subject["namespace"] = namespace
        if doc["kind"] == "ClusterRoleBinding":
            doc["roleRef"]["name"] = doc["roleRef"]["name"].replace("-dbbat", "-" + namespace)
        for rule in doc.get("rules", []):
            if "resourceNames" in rule:
                rule["resourceNames"] = [namespace]
        cluster.apply(doc)
    return cluster.token(namespace, "dbbat-deployer")


@pytest.fixture
def namespaced_deployer(cluster, namespace, published_dbbat_chart, tmp_path):
    """A deployer into the test's namespace with the token of the ServiceAccount of the collection's
    example RBAC (roles/deploy/files/rbac/namespaced-deployer.yml), as the example's comment says
    to set it up: an admin created the namespace with the label the role asks for, then applied the
    example for it."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    token = _namespaced_deployer_token(cluster, namespace)
    kubeconfig = cluster.kubeconfig_for_token(tmp_path / "deployer.kubeconfig", token)
    env = isolated_env(tmp_path, cluster_env={"KUBECONFIG": kubeconfig})
    return Deployer(tmp_path, env, published_dbbat_chart, dbbat_namespace=namespace)


def helm_releases(cluster, namespace, name="dbbat"):
    """Helm's release records (its Secrets), decoded: base64 (Secret) -> base64 -> gzip -> JSON."""
    out = []
    for secret in cluster.list("v1", "Secret", namespace, label_selector=f"owner=helm,name={name}"):
        raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
        out.append(json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw))
    return sorted(out, key=lambda r: r["version"])


def helm_release_blobs(cluster, namespace):
    """The decoded text of every Helm release record of a namespace (for secret searches)."""
    return [json.dumps(r) for r in helm_releases(cluster, namespace)]
