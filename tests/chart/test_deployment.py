"""The Deployment's other duties: image, service account, pod labels, pass-through settings."""
import pytest

from tests.chart.render import CI_SETS, render


def test_image_defaults_to_app_version(helm):
    c = render(helm, "minimal").container
    assert c["image"] == "ghcr.io/fclairamb/dbbat:0.25.2"
    assert c["imagePullPolicy"] == "IfNotPresent"


def test_image_digest_pins(helm):
    c = render(helm, "full").container
    assert c["image"] == ("registry.example.com/mirror/dbbat:0.25.2@sha256:"
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")


def test_service_account(helm):
    r = render(helm, "minimal")
    sa = r.get("ServiceAccount", "dbbat")
    assert sa["automountServiceAccountToken"] is False
    assert r.pod["spec"]["serviceAccountName"] == "dbbat"
    assert r.pod["spec"]["automountServiceAccountToken"] is False
    r = render(helm, "minimal", values={"serviceAccount": {"create": False}})
    assert not r.has("ServiceAccount") and r.pod["spec"]["serviceAccountName"] == "default"
    r = render(helm, "full")
    assert r.get("ServiceAccount", "bastion-sa")["metadata"]["annotations"]
    assert r.pod["spec"]["serviceAccountName"] == "bastion-sa"


def test_pod_labels_are_stable_selector_labels_plus_pod_labels(helm):
    r = render(helm, "full")
    assert r.pod["metadata"]["labels"] == {
        "app.kubernetes.io/name": "dbbat", "app.kubernetes.io/instance": "dbbat", "example.com/tier": "security"}
    assert r.deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "dbbat", "app.kubernetes.io/instance": "dbbat"}
    assert r.pod["metadata"]["annotations"]["example.com/owner"] == "platform"


def test_pass_through_pod_settings(helm):
    spec = render(helm, "full").pod["spec"]
    assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    assert spec["priorityClassName"] == "high-priority"
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"][0]["value"] == "bastion"
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert spec["enableServiceLinks"] is False
    assert {v["name"] for v in spec["volumes"]} == {"tmp", "key"}


def test_extra_env_comes_after_chart_env(helm):
    r = render(helm, "full")
    names = r.env_names()
    assert names[-1] == "DBB_SLACK_CLIENT_SECRET"
    assert r.container["envFrom"][1] == {"secretRef": {"name": "bastion-oidc"}}
    assert r.env()["DBB_QUERY_RETENTION"] == ("configmap", "bastion", "DBB_QUERY_RETENTION", "720h")


def test_long_release_name_keeps_names_valid(helm):
    r = render(helm, "minimal", values={"fullnameOverride": "x" * 60})
    for obj in r.objects:
        assert len(obj["metadata"]["name"]) <= 63
    assert r.has("Service", "x" * 60 + "-pg")


@pytest.mark.parametrize("values_file", CI_SETS)
def test_helm3_and_helm4_render_the_same(helm3, helm4, values_file):
    assert render(helm3, values_file).objects == render(helm4, values_file).objects


def test_run_mode_reaches_the_app(helm):
    env = render(helm, "minimal", values={"config": {"runMode": "demo"}}).env()
    assert env["DBB_RUN_MODE"] == ("configmap", "dbbat", "DBB_RUN_MODE", "demo")
    assert "DBB_RUN_MODE" not in render(helm, "minimal").env()
