"""values.schema.json covers every value, refuses unknown keys, leaves Kubernetes objects open."""
import json

import pytest
import yaml

from tests.chart.render import CHART_DIR, render

SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())
DEFAULTS = yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def resolve(node):
    ref = node.get("$ref")
    if ref:
        return resolve(SCHEMA["definitions"][ref.rsplit("/", 1)[1]])
    return node


def closed(node):
    node = resolve(node)
    return node.get("type") == "object" and node.get("additionalProperties") is False


def walk(values, node, path=""):
    """Yield (path, schema node) for every value of values.yaml, descending into closed objects."""
    for key, value in values.items():
        child = resolve(node)["properties"].get(key)
        assert child is not None, f"{path}{key} has no schema"
        yield f"{path}{key}", child, value
        if isinstance(value, dict) and closed(child):
            yield from walk(value, child, f"{path}{key}.")


def test_every_value_is_typed():
    for path, node, value in walk(DEFAULTS, SCHEMA):
        node = resolve(node)
        assert "type" in node or "anyOf" in node, f"{path} is untyped"


def test_every_schema_property_has_a_default():
    def props(node, values, path=""):
        for key, child in resolve(node).get("properties", {}).items():
            if key == "global":
                continue
            assert key in values, f"schema property {path}{key} is missing from values.yaml"
            if closed(child):
                props(child, values[key], f"{path}{key}.")
    props(SCHEMA, DEFAULTS)


def test_chart_shaped_objects_are_closed():
    assert SCHEMA["additionalProperties"] is False
    for path in ("image", "postgresql", "postgresql.external", "secrets", "secrets.keys", "config", "service",
                 "service.api", "service.proxy", "ingress", "serviceAccount", "autoscaling",
                 "podDisruptionBudget", "networkPolicy", "tmpVolume", "tls", "tls.pg", "tls.mssql.certManager",
                 "tls.mysql.certManager.issuerRef", "gateway", "gateway.tcpRoutes", "gateway.tcpRoutes.sectionNames",
                 "migrations", "migrations.job", "tests", "defaultTopologySpread"):
        node = SCHEMA
        for part in path.split("."):
            node = resolve(node)["properties"][part]
        assert closed(node), f"{path} must refuse unknown keys"


@pytest.mark.parametrize("path,enum", [
    ("postgresql.external.sslMode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}),
    ("service.api.type", {"ClusterIP", "NodePort", "LoadBalancer"}),
    ("service.proxy.type", {"ClusterIP", "NodePort", "LoadBalancer"}),
    ("image.pullPolicy", {"Always", "IfNotPresent", "Never"}),
    ("config.runMode", {"", "test", "demo"}),
    ("gateway.tcpRoutes.apiVersion", {"gateway.networking.k8s.io/v1alpha2", "gateway.networking.k8s.io/v1"}),
])
def test_enums(path, enum):
    node = SCHEMA
    for part in path.split("."):
        node = resolve(node)["properties"][part]
    assert set(resolve(node)["enum"]) == enum


def test_pass_through_objects_stay_open(helm):
    """Kubernetes objects are passed as they are: any field Kubernetes knows must get through."""
    r = render(helm, "minimal", values={
        "resources": {"limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}},
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"},
                               "supplementalGroups": [1000]},
        "podAnnotations": {"example.com/any": "thing"},
        "tolerations": [{"operator": "Exists"}],
    })
    assert r.container["resources"]["limits"]["ephemeral-storage"] == "1Gi"
    assert r.pod["spec"]["securityContext"]["supplementalGroups"] == [1000]
    assert r.pod["metadata"]["annotations"]["example.com/any"] == "thing"
    assert "nodeAffinity" in r.pod["spec"]["affinity"]


def test_node_port_accepts_empty_and_range(helm):
    for node_port in ("", 30000, 32767):
        render(helm, "minimal", values={"service": {"proxy": {"type": "NodePort", "nodePort": node_port}}})
