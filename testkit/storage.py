"""DBBat's storage database for the tests on the real node: the throwaway PostgreSQL that
`make deploy` applies (molecule/resources/manifests/postgres.yml), running in a pod there.

    storage = Storage.start(real_cluster)        # or the session fixture `storage`
    dsn = storage.database("r-1234")             # a fresh database; the DSN a pod uses (by DNS)
    storage.query("r-1234", "SELECT 1")          # rows, read from this machine through the Service
    with storage.frozen(): ...                   # the database stops answering (and comes back)

Clients on this machine reach the Service's cluster address (routed by the node's kube-proxy);
pods reach it by its DNS name (answered by the node's CoreDNS).
"""
import contextlib
import os

from .paths import ROOT
from .proc import run

MANIFEST = ROOT / "molecule" / "resources" / "manifests" / "postgres.yml"
NAMESPACE = "dbbat-postgres"
USER, PASSWORD = "dbbat", "dbbat-local-only"   # the manifest's own throwaway credentials
HOST = f"postgres.{NAMESPACE}.svc.cluster.local"


class Storage:
    def __init__(self, cluster):
        self.cluster = cluster

    @classmethod
    def start(cls, cluster):
        storage = cls(cluster)
        cluster.kubectl("apply", "-f", MANIFEST).check()
        storage.wait_ready()
        return storage

    def wait_ready(self, timeout=180):
        self.cluster.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/postgres",
                             f"--timeout={timeout}s", timeout=timeout + 10).check()
        # Ready by pg_isready; the Service routes once kube-proxy has the endpoint.
        self.cluster.wait_for(lambda: self._psql("dbbat", "SELECT 1").ok, "PostgreSQL through its Service", 60)

    @property
    def address(self):
        return self.cluster.get("v1", "Service", "postgres", NAMESPACE)["spec"]["clusterIP"]

    def dsn(self, database, password=PASSWORD, host=HOST):
        return f"postgres://{USER}:{password}@{host}:5432/{database}?sslmode=disable"

    def database(self, name):
        """Create database ``name`` (dropped first if it exists) and return the DSN pods use."""
        self._psql("dbbat", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)').check()
        self._psql("dbbat", f'CREATE DATABASE "{name}"').check()
        return self.dsn(name)

    def query(self, database, sql):
        """Rows of ``sql`` in ``database``, each a list of strings."""
        result = self._psql(database, sql).check()
        return [line.split("|") for line in result.stdout.splitlines() if line]

    @contextlib.contextmanager
    def frozen(self):
        """PostgreSQL's container frozen (containerd pauses its cgroup) for the block: connections
        hang as with a database that stopped answering, and its data is all there afterwards (a
        restart would lose it: the manifest's volume is an emptyDir)."""
        [pod] = self.cluster.list("v1", "Pod", NAMESPACE, label_selector="app.kubernetes.io/name=postgres")
        container = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
        self.cluster.ctr("tasks", "pause", container).check()
        try:
            yield
        finally:
            self.cluster.ctr("tasks", "resume", container).check()

    def _psql(self, database, sql):
        # The password goes in the environment, never in the arguments.
        env = dict(os.environ, PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="5")
        return run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.address, "-U", USER,
                    "-d", database, "-c", sql], env=env, timeout=30)
