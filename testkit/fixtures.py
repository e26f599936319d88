"""pytest fixtures over the test kit (tests/conftest.py loads this module as a plugin).

Tools: helm3, helm4, helm_any (each in turn), helm (the default), kubectl.
Processes: ``env`` (isolated_env for the test's tmp_path).
Cluster: ``cluster`` (one local cluster per test session, i.e. per pytest-xdist worker, started
in a few seconds; kwok nodes only), ``namespace`` (a name unused so far, deleted after the test),
``crds`` (cert-manager's Certificate and the Gateway API's TCPRoute CRDs installed there).
Real node: ``real_cluster`` (one cluster with the real node of scripts/local-node.sh for the
whole run: the tests marked ``real_node`` run in one pytest process of their own, as
scripts/test.sh does: `pytest -m real_node tests`),
``real_namespace``, ``storage`` (the throwaway PostgreSQL of make deploy, running there).
Registry: ``oci_registry_plain``, ``oci_registry_tls`` (session), ``oci_registry`` (each in
turn), ``oci_registry_factory`` (fresh ones for one test), ``published_dbbat_chart`` (charts/dbbat
published by the collection's module to the TLS registry).
"""
import os
import tempfile
from pathlib import Path

import pytest

from .cluster import LOCAL_NODE, Cluster
from .proc import run
from .storage import Storage
from .env import isolated_env
from .paths import CHART_DIR, CRD_DIR, ToolMissing, tool
from .registry import PublishedChart, Registry, publish_with_module


def _tool(name):
    try:
        return tool(name)
    except ToolMissing as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def helm3():
    """The pinned Helm 3 binary."""
    return _tool("helm3")


@pytest.fixture(scope="session")
def helm4():
    """The pinned Helm 4 binary."""
    return _tool("helm4")


@pytest.fixture(scope="session", params=["helm3", "helm4"])
def helm_any(request):
    """Each pinned Helm major in turn."""
    return _tool(request.param)


@pytest.fixture(scope="session")
def helm():
    """The default helm (the user's if >= 3.8, else the pinned Helm 4)."""
    return _tool("helm")


@pytest.fixture(scope="session")
def kubectl():
    return _tool("kubectl")


@pytest.fixture
def env(tmp_path):
    """isolated_env(tmp_path): no cluster, no registry login, the pinned tools first."""
    return isolated_env(tmp_path)


# -- the cluster ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    try:
        for binary in ("kwokctl", "kube-apiserver"):
            tool(binary)
    except ToolMissing as err:
        pytest.fail(f"{err} (the local cluster is built by `make setup`, which needs Go)")
    started = Cluster.start(tmp_path_factory.mktemp("cluster"), name=f"test-{worker}-{os.getpid()}")
    yield started
    started.stop()


def _own_namespace(cluster, prefix):
    name = cluster.unique_namespace(prefix)
    yield name
    cluster.delete("v1", "Namespace", name)


@pytest.fixture
def namespace(cluster):
    """A namespace name of its own for the test; whatever the test made there is deleted after."""
    yield from _own_namespace(cluster, "t")


# The official CRDs of the custom objects the chart renders, and the names they establish.
CRDS = {CRD_DIR / "cert-manager" / "cert-manager.io_certificates.yaml": "certificates.cert-manager.io",
        CRD_DIR / "gateway-api" / "experimental" / "gateway.networking.k8s.io_tcproutes.yaml":
            "tcproutes.gateway.networking.k8s.io"}


@pytest.fixture(scope="session")
def crds(cluster):
    """cert-manager's Certificate and the Gateway API's TCPRoute, installed in the session's cluster
    and established: the API server then validates those objects with the CRDs' own schemas and CEL
    rules (no controller acts on them)."""
    for path in CRDS:
        if not path.is_file():
            pytest.fail(f"{path} is missing: run make setup (tools/crds/fetch.sh)")
        cluster.kubectl("apply", "--server-side", "-f", path).check()
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    *(f"crd/{name}" for name in CRDS.values())).check()


_REAL_CLUSTER_FAILED = []


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory):
    """The local cluster with its real node (containers run; kwok nodes tainted). Where this
    machine cannot run a real node, the tests that need one are skipped, saying why; in CI as root
    (the project's CI machine, where it can) they fail instead. A CI runner that is not root (GitHub
    Actions) skips them: its molecule job runs DBBat on kind."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # The machine has one real node: two workers would each try to start it.
        pytest.skip("the real-node tests run in one process: pytest -m real_node tests (scripts/test.sh does)")
    if _REAL_CLUSTER_FAILED:
        pytest.fail(f"the real-node cluster did not start (see the first test that needed it): {_REAL_CLUSTER_FAILED[0]}")
    lacks = run(["bash", str(LOCAL_NODE), "check"])
    if lacks.rc != 0:
        reason = "no real node on this machine: " + "; ".join(lacks.stdout.split("\n")).strip("; ")
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        started = Cluster.start(tmp_path_factory.mktemp("real-cluster"), name="real", real_node=True)
    except AssertionError as err:
        # pytest tries a failed session fixture again for each test that needs it: once is enough.
        _REAL_CLUSTER_FAILED.append(str(err).splitlines()[0])
        raise
    yield started
    started.stop()


@pytest.fixture
def real_namespace(real_cluster):
    """A namespace name of its own on the real-node cluster, deleted after the test."""
    yield from _own_namespace(real_cluster, "r")


@pytest.fixture(scope="session")
def storage(real_cluster):
    """The throwaway PostgreSQL of `make deploy` (molecule/resources/manifests/postgres.yml), on the
    real node; ``storage.database()`` makes a database of the test's own and gives its DSN."""
    return Storage.start(real_cluster)


# -- the OCI registry -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def oci_registry_plain(tmp_path_factory):
    """Session registry over plain HTTP, no authentication."""
    reg = Registry(tmp_path_factory.mktemp("oci-plain")).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def oci_registry_tls(tmp_path_factory):
    """Session registry over HTTPS (test CA in ``ca_file``) with htpasswd basic auth."""
    reg = Registry(tmp_path_factory.mktemp("oci-tls"), tls=True, auth=True).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="session", params=["plain", "tls"])
def oci_registry(request):
    """Each session registry flavour in turn."""
    return request.getfixturevalue(f"oci_registry_{request.param}")


@pytest.fixture
def oci_registry_factory(tmp_path):
    """Start fresh registries for one test: ``factory(tls=False, auth=False, client_auth=False)``."""
    started = []

    def factory(tls=False, auth=False, client_auth=False):
        reg = Registry(Path(tempfile.mkdtemp(dir=tmp_path, prefix="oci-")), tls=tls, auth=auth,
                       client_auth=client_auth).start()
        started.append(reg)
        return reg

    yield factory
    for reg in started:
        reg.stop()


@pytest.fixture(scope="session")
def published_dbbat_chart(oci_registry_tls, tmp_path_factory):
    """charts/dbbat at its Chart.yaml version, published by helm_chart_publish to the TLS registry
    (``ref`` without version, ``version``, ``registry``, ``digest``)."""
    result = publish_with_module(oci_registry_tls, CHART_DIR, tmp_path_factory.mktemp("publish-dbbat"))
    return PublishedChart(ref="%s/charts/dbbat" % oci_registry_tls.url, version=result["version"],
                          registry=oci_registry_tls, digest=result["digest"])
