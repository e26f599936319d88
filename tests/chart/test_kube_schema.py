"""Every rendered set is valid, strictly, against the official Kubernetes JSON schemas of several minors."""
import kubernetes_validate
import pytest

from tests.chart.render import CI_SETS, RenderError, render

KUBE_VERSIONS = ("1.30.0", "1.33.0", "1.35.0", "1.37.0")
EXTRA_SETS = {
    "inline-secrets-node-port": {
        "secrets": {"encryptionKey": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="},
        "postgresql": {"external": {"host": "db", "password": "p@ss"}},
        "service": {"proxy": {"type": "NodePort", "nodePort": 30432}},
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 0, "allowBlockingDrains": True},
        "networkPolicy": {"enabled": True},
        "preStopSleepSeconds": 0,
    },
}
SETS = [*((name, None) for name in CI_SETS), *((None, name) for name in EXTRA_SETS)]
# Custom resources: Kubernetes' schemas do not know them; test_crd_schemas validates them.
CUSTOM_GROUPS = ("cert-manager.io/", "gateway.networking.k8s.io/")


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values_file,extra", SETS, ids=[e or f for f, e in SETS])
def test_valid_for_kubernetes(helm, values_file, extra, kube_version):
    files = (values_file,) if values_file else ()
    r = render(helm, *files, values=EXTRA_SETS.get(extra), kube_version=kube_version)
    assert r.objects
    minor = kube_version.rsplit(".", 1)[0]
    for obj in r.objects:
        if obj["apiVersion"].startswith(CUSTOM_GROUPS):
            continue
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} invalid for {minor}: {err.message} at {list(err.path)}")


def test_older_kubernetes_refused(helm):
    with pytest.raises(RenderError, match="kubeVersion"):
        render(helm, "minimal", kube_version="1.29.9")
