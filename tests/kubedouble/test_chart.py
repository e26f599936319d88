"""The project's chart (charts/dbbat) with the chart tests' CI values, installed into the double:
every object must pass the strict schemas, and the Deployment must become Available only once the
Secrets it references exist with their keys."""
import re

import pytest

from tests.conftest import CHART_DIR, ROOT

VALUES = ROOT / "tests" / "chart" / "values"
MISSING = re.compile(r'secret "(?P<secret>[^"]+)" not found|couldn\'t find key (?P<key>\S+) in Secret [^/]+/(?P<in>\S+)')

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (CHART_DIR / "Chart.yaml").exists() or not (VALUES / "minimal.yaml").exists(),
    reason="charts/dbbat or tests/chart/values/ not there yet (chart issue)")]


def _deployment(kube_api, ns):
    (dep,) = kube_api.list("apps/v1", "Deployment", ns)
    return dep


def _available(dep):
    return next(c for c in dep["status"]["conditions"] if c["type"] == "Available")


def test_minimal_values_available_only_with_the_secret(run, helm_any, kube_api):
    ns = "dbbat"
    run(helm_any, "install", "dbbat", CHART_DIR, "-n", ns, "--create-namespace", "-f", VALUES / "minimal.yaml")
    cond = _available(_deployment(kube_api, ns))
    assert cond["status"] == "False" and 'secret "dbbat-secrets" not found' in cond["message"]

    kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat-secrets", "namespace": ns},
                         "stringData": {"unrelated": "x"}})
    cond = _available(_deployment(kube_api, ns))
    assert cond["status"] == "False" and f"couldn't find key DBB_KEY in Secret {ns}/dbbat-secrets" in cond["message"]

    kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat-secrets", "namespace": ns},
                         "stringData": {"DBB_KEY": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="}})
    assert _available(_deployment(kube_api, ns))["status"] == "True"
    run(helm_any, "upgrade", "dbbat", CHART_DIR, "-n", ns, "-f", VALUES / "minimal.yaml", "--wait", "--timeout", "20s")


@pytest.mark.parametrize("values", ["production", "full"])
def test_ci_values_install_and_need_their_secrets(run, helm, kube_api, values):
    ns = f"dbbat-{values}"
    run(helm, "install", "dbbat", CHART_DIR, "-n", ns, "--create-namespace", "-f", VALUES / f"{values}.yaml")
    created = {}
    for _ in range(10):  # create exactly what the double reports missing, until Available
        cond = _available(_deployment(kube_api, ns))
        if cond["status"] == "True":
            break
        m = MISSING.search(cond["message"])
        assert m, cond["message"]
        name = m.group("secret") or m.group("in")
        created.setdefault(name, {})
        if m.group("key"):
            created[name][m.group("key")] = "eA=="
        kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
                             "data": created[name]})
    assert _available(_deployment(kube_api, ns))["status"] == "True"
    assert created, "the chart's Deployment was Available without any Secret"
    run(helm, "upgrade", "dbbat", CHART_DIR, "-n", ns, "-f", VALUES / f"{values}.yaml", "--wait", "--timeout", "20s")
