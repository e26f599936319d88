"""pytest fixtures: `kube_api` (a fresh double per test) and `kube_api_session` (one per session,
for tests that do not interfere, e.g. each in its own namespace)."""
import pytest

from . import KubeDouble


@pytest.fixture
def kube_api(tmp_path_factory):
    api = KubeDouble.start(tmp_path_factory.mktemp("kubedouble"))
    yield api
    api.stop()


@pytest.fixture(scope="session")
def kube_api_session(tmp_path_factory):
    api = KubeDouble.start(tmp_path_factory.mktemp("kubedouble-session"))
    yield api
    api.stop()
