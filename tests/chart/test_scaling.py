"""HPA, PodDisruptionBudget and the default topology spread."""
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
    ({"maxUnavailable": 0, "allowBlockingDrains": True}, {"maxUnavailable": 0}),
    ({"minAvailable": 2}, {"minAvailable": 2}),
    ({"maxUnavailable": "50%"}, {"maxUnavailable": "50%"}),
    ({}, {"minAvailable": 1}),
])
def test_pdb_values_including_zero(helm, pdb, expected):
    spec = render(helm, "minimal", values={"replicaCount": 3, "podDisruptionBudget": {"enabled": True, **pdb}}).get(
        "PodDisruptionBudget")["spec"]
    budget = {k: v for k, v in spec.items() if k in ("minAvailable", "maxUnavailable")}
    assert budget == expected
    assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/name": "dbbat", "app.kubernetes.io/instance": "dbbat"}


@pytest.mark.parametrize("scale,pdb,message", [
    ({"replicaCount": 1}, {}, "podDisruptionBudget.minAvailable (1, used when neither"),
    ({"replicaCount": 1}, {"minAvailable": 1}, "podDisruptionBudget.minAvailable (1) with replicaCount 1"),
    ({"replicaCount": 3}, {"maxUnavailable": 0}, "podDisruptionBudget.maxUnavailable (0) with replicaCount 3"),
    ({"replicaCount": 3}, {"minAvailable": 3}, "podDisruptionBudget.minAvailable (3) with replicaCount 3"),
    ({"replicaCount": 3}, {"minAvailable": "100%"}, "podDisruptionBudget.minAvailable (100%) with replicaCount 3"),
    ({"replicaCount": 3}, {"maxUnavailable": "0%"}, "podDisruptionBudget.maxUnavailable (0%)"),
    ({"replicaCount": 1}, {"minAvailable": "50%"}, "podDisruptionBudget.minAvailable (50%) with replicaCount 1"),
    ({"replicaCount": 5, "autoscaling": {"enabled": True, "minReplicas": 2}}, {"minAvailable": 2},
     "podDisruptionBudget.minAvailable (2) with autoscaling.minReplicas 2"),
    ({"replicaCount": 5, "autoscaling": {"enabled": True, "minReplicas": 1}}, {"minAvailable": 2},
     "(raise autoscaling.minReplicas)"),
])
def test_pdb_that_blocks_drains_is_refused(helm, scale, pdb, message):
    err = render_error(helm, "minimal", values={**scale, "podDisruptionBudget": {"enabled": True, **pdb}})
    assert message in err
    assert "node drains" in err and "podDisruptionBudget.allowBlockingDrains: true" in err


@pytest.mark.parametrize("scale,pdb", [
    ({"replicaCount": 1}, {"minAvailable": 0}),
    ({"replicaCount": 1}, {"maxUnavailable": 1}),
    ({"replicaCount": 1}, {"maxUnavailable": "10%"}),  # rounded up: one pod
    ({"replicaCount": 2}, {"minAvailable": "50%"}),
    ({"replicaCount": 2}, {}),
    ({"replicaCount": 0}, {}),  # nothing runs, nothing to drain
    ({"replicaCount": 1, "autoscaling": {"enabled": True, "minReplicas": 3}}, {"minAvailable": 2}),
])
def test_pdb_that_lets_one_pod_go_is_accepted(helm, scale, pdb):
    render(helm, "minimal", values={**scale, "podDisruptionBudget": {"enabled": True, **pdb}}).get("PodDisruptionBudget")


def test_blocking_pdb_is_rendered_when_accepted(helm):
    r = render(helm, "minimal", values={"podDisruptionBudget": {"enabled": True, "allowBlockingDrains": True}})
    assert r.get("PodDisruptionBudget")["spec"]["minAvailable"] == 1


def test_disabled_pdb_is_never_refused(helm):
    r = render(helm, "minimal", values={"podDisruptionBudget": {"enabled": False, "minAvailable": 5}})
    assert not r.has("PodDisruptionBudget")


def test_pdb_both_is_refused(helm):
    err = render_error(helm, "minimal", values={"replicaCount": 3, "podDisruptionBudget": {
        "enabled": True, "minAvailable": 0, "maxUnavailable": 1}})
    assert "podDisruptionBudget.minAvailable (0)" in err and "podDisruptionBudget.maxUnavailable (1)" in err


def test_no_pdb_by_default(helm):
    assert not render(helm, "minimal").has("PodDisruptionBudget")


SPREAD_KEYS = ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]


def spread(r):
    return r.pod["spec"].get("topologySpreadConstraints")


@pytest.mark.parametrize("values_file,extra", [("minimal", {"replicaCount": 2}), ("production", None)])
def test_several_replicas_spread_softly_over_hosts_and_zones(helm, values_file, extra):
    constraints = spread(render(helm, values_file, values=extra))
    assert [c["topologyKey"] for c in constraints] == SPREAD_KEYS
    for c in constraints:
        assert c["whenUnsatisfiable"] == "ScheduleAnyway", "a hard spread could leave pods Pending"
        assert c["maxSkew"] == 1
        assert c["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "dbbat",
                                                      "app.kubernetes.io/instance": "dbbat"}}
        assert c["matchLabelKeys"] == ["pod-template-hash"]


def test_one_replica_has_no_spread(helm):
    assert spread(render(helm, "minimal")) is None


def test_hpa_with_one_minimum_replica_still_spreads(helm):
    r = render(helm, "minimal", values={"autoscaling": {"enabled": True, "minReplicas": 1}})
    assert [c["topologyKey"] for c in spread(r)] == SPREAD_KEYS


def test_own_constraints_replace_the_default(helm):
    constraints = spread(render(helm, "full"))
    assert len(constraints) == 1 and constraints[0]["whenUnsatisfiable"] == "ScheduleAnyway"
    assert constraints[0]["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "dbbat"}}


def test_default_spread_is_adjustable_and_can_be_switched_off(helm):
    r = render(helm, "minimal", values={"replicaCount": 3, "defaultTopologySpread": {
        "maxSkew": 2, "topologyKeys": ["topology.kubernetes.io/zone"]}})
    assert [(c["topologyKey"], c["maxSkew"]) for c in spread(r)] == [("topology.kubernetes.io/zone", 2)]
    r = render(helm, "minimal", values={"replicaCount": 3, "defaultTopologySpread": {"enabled": False}})
    assert spread(r) is None
