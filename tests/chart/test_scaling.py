"""HPA and PodDisruptionBudget."""
import pytest

from tests.chart.render import render, render_error


def test_replicas_without_autoscaling(helm):
    r = render(helm, "minimal", values={"replicaCount": 2})
    assert r.deployment["spec"]["replicas"] == 2
    assert not r.has("HorizontalPodAutoscaler")


def test_hpa_owns_replicas(helm):
    r = render(helm, "production")
    assert "replicas" not in r.deployment["spec"], "helm would reset the HPA's choice at every upgrade"
    hpa = r.get("HorizontalPodAutoscaler", "dbbat")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dbbat"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}


def test_hpa_single_metric(helm):
    hpa = render(helm, "production", values={"autoscaling": {"targetMemoryUtilizationPercentage": ""}}).get(
        "HorizontalPodAutoscaler")
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def test_hpa_min_above_max_is_refused(helm):
    err = render_error(helm, "production", values={"autoscaling": {"minReplicas": 5, "maxReplicas": 3}})
    assert "autoscaling.minReplicas (5)" in err and "autoscaling.maxReplicas (3)" in err


def test_hpa_without_metric_is_refused(helm):
    err = render_error(helm, "production", values={"autoscaling": {
        "targetCPUUtilizationPercentage": "", "targetMemoryUtilizationPercentage": ""}})
    assert "autoscaling.targetCPUUtilizationPercentage" in err


@pytest.mark.parametrize("pdb,expected", [
    ({"minAvailable": 0}, {"minAvailable": 0}),
    ({"maxUnavailable": 0}, {"maxUnavailable": 0}),
    ({"minAvailable": 2}, {"minAvailable": 2}),
    ({"maxUnavailable": "50%"}, {"maxUnavailable": "50%"}),
    ({}, {"minAvailable": 1}),
])
def test_pdb_values_including_zero(helm, pdb, expected):
    spec = render(helm, "minimal", values={"podDisruptionBudget": {"enabled": True, **pdb}}).get(
        "PodDisruptionBudget")["spec"]
    budget = {k: v for k, v in spec.items() if k in ("minAvailable", "maxUnavailable")}
    assert budget == expected
    assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/name": "dbbat", "app.kubernetes.io/instance": "dbbat"}


def test_pdb_both_is_refused(helm):
    err = render_error(helm, "minimal", values={"podDisruptionBudget": {
        "enabled": True, "minAvailable": 0, "maxUnavailable": 1}})
    assert "podDisruptionBudget.minAvailable (0)" in err and "podDisruptionBudget.maxUnavailable (1)" in err


def test_no_pdb_by_default(helm):
    assert not render(helm, "minimal").has("PodDisruptionBudget")
