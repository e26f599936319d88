"""Fixtures of the tests whose pods run on the local cluster's real node (testkit/fixtures.py
`real_cluster`): DBBat's image built from its source runs there against the throwaway
PostgreSQL (`storage`), so what these tests see is what the program does."""
import base64
import os
import socket

import pytest

from testkit.env import isolated_env
from testkit.proc import run
from testkit.paths import CHART_DIR, tool

KEY = base64.b64encode(b"dbbat-real-node-test-key-0123456").decode()


class Release:
    """charts/dbbat installed with helm (Helm 4) into a restricted namespace of the real-node
    cluster, reading the Secret ``dbbat-secrets`` (DBB_KEY, and DBB_DSN to a database of its own)."""

    def __init__(self, cluster, storage, namespace, workdir):
        self.cluster, self.storage, self.namespace = cluster, storage, namespace
        self.env = isolated_env(workdir, cluster_env=cluster.env())
        self.database = namespace
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": namespace, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
        self.dsn = storage.database(self.database)
        self.set_secret(DBB_KEY=KEY, DBB_DSN=self.dsn)

    def set_secret(self, **data):
        self.cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "dbbat-secrets", "namespace": self.namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}})

    def helm(self, *args, timeout=300):
        return run([tool("helm4"), *args, "-n", self.namespace, "--kube-context", self.cluster.context],
                   env=self.env, timeout=timeout)

    def install(self, *values, command="install"):
        """helm install (or upgrade) --wait with the Secret and ``values`` (``--set`` strings)."""
        sets = [arg for value in ("secrets.existingSecret=dbbat-secrets", *values) for arg in ("--set", value)]
        return self.helm(command, "dbbat", CHART_DIR, *sets, "--wait", "--timeout", "3m")

    def pods(self):
        return server_pods(self.cluster, self.namespace)

    def service_address(self, name, port=5432):
        """The Service's cluster address, once this machine's kube-proxy routes it (its rules
        follow the endpoints within a second or so of the pods turning ready)."""
        address = self.cluster.get("v1", "Service", name, self.namespace)["spec"]["clusterIP"]

        def routed():
            with socket.socket() as probe:
                probe.settimeout(2)
                return probe.connect_ex((address, port)) == 0
        self.cluster.wait_for(routed, f"Service {name} to route to a pod", 30)
        return address


@pytest.fixture
def release(real_cluster, storage, real_namespace, tmp_path):
    return Release(real_cluster, storage, real_namespace, tmp_path)


def server_pods(cluster, namespace):
    """DBBat's server pods (the one-shot pods carry no app.kubernetes.io/name), not terminating."""
    return [pod for pod in cluster.list("v1", "Pod", namespace, label_selector="app.kubernetes.io/name=dbbat")
            if not pod["metadata"].get("deletionTimestamp")]


def psql(conninfo, sql="SELECT 1", password="not-a-dbbat-password"):
    """psql on this machine (the password in its environment); a Result."""
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    return run(["psql", "-X", "-A", "-t", "-v", "VERBOSITY=verbose", conninfo, "-c", sql], env=env, timeout=30)
