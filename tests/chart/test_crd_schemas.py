"""The custom objects the chart renders (cert-manager Certificate, Gateway API TCPRoute) against
the official CRDs of the pinned releases (tools/crds/fetch.sh), strictly (see crds.py)."""
import copy

import pytest

from tests.chart.crds import MissingCRDs, cel_rules, errors, load_crd, served_version
from tests.chart.render import render

TCPROUTE_V1ALPHA2 = "gateway.networking.k8s.io/v1alpha2/TCPRoute"
TCPROUTE_V1 = "gateway.networking.k8s.io/v1/TCPRoute"
ISSUER = {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
CERT_MANAGER = {"certManager": {"enabled": True, "issuerRef": ISSUER, "duration": "2160h"}}
ALL_LISTENERS = {"listenMysql": ":3306", "listenMongo": ":27017", "listenMssql": ":1433", "listenOracle": ":1521"}
SECTIONS = {"postgres": "pg", "oracle": "ora", "mysql": "my", "mongo": "mongo", "mssql": "ms"}


def crd(group, kind, channel="standard"):
    try:
        return load_crd(group, kind, channel)
    except MissingCRDs as err:
        pytest.fail(str(err))


def routes_values(api_version="gateway.networking.k8s.io/v1alpha2"):
    return {"config": ALL_LISTENERS, "gateway": {
        "parentRefs": [{"name": "tcp-gateway", "namespace": "gateway-system"},
                       {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other", "port": 5432}],
        "tcpRoutes": {"enabled": True, "apiVersion": api_version, "sectionNames": SECTIONS,
                      "annotations": {"example.com/a": "b"}}}}


CERTIFICATE_SETS = {
    "pg-default-names": ("minimal", {"tls": {"pg": CERT_MANAGER}}),
    "every-protocol": ("full", {"tls": {k: CERT_MANAGER for k in ("pg", "mysql", "mongo", "mssql")}}),
    "own-names-namespaced-issuer": ("minimal", {"tls": {"pg": {"certManager": {
        "enabled": True, "issuerRef": {"name": "dbbat-issuer"}, "dnsNames": ["pg.example.com", "*.db.example.com"]}}}}),
    "integrations": ("integrations", None),
}


@pytest.mark.parametrize("case", CERTIFICATE_SETS)
def test_certificates_match_the_cert_manager_crd(helm, case):
    schema = crd("cert-manager.io", "Certificate")
    values_file, values = CERTIFICATE_SETS[case]
    certificates = render(helm, values_file, values=values).all("Certificate")
    assert certificates
    for cert in certificates:
        assert served_version(schema, cert["apiVersion"].rsplit("/", 1)[1]), cert["apiVersion"]
        assert errors(cert, schema) == [], cert["metadata"]["name"]


def test_certificate_crd_rules_do_not_concern_the_chart():
    """CEL rules are not evaluated here: fail when cert-manager adds one, so it gets read."""
    assert cel_rules(crd("cert-manager.io", "Certificate"), "v1") == []


@pytest.mark.parametrize("api_version,channel", [
    ("gateway.networking.k8s.io/v1alpha2", "experimental"),
    ("gateway.networking.k8s.io/v1", "experimental"),
    ("gateway.networking.k8s.io/v1", "standard"),
])
def test_tcproutes_match_the_gateway_api_crd(helm, api_version, channel):
    schema = crd("gateway.networking.k8s.io", "TCPRoute", channel)
    r = render(helm, "full", values=routes_values(api_version), api_versions=(f"{api_version}/TCPRoute",))
    routes = r.all("TCPRoute")
    assert len(routes) == 5
    service_ports = {p["port"] for p in r.get("Service", "bastion-pg")["spec"]["ports"]}
    for route in routes:
        assert route["apiVersion"] == api_version
        assert errors(route, schema) == [], route["metadata"]["name"]
        # The CEL rules of the CRD that concern these objects, by hand:
        for backend in (b for rule in route["spec"]["rules"] for b in rule["backendRefs"]):
            assert backend.get("group", "") == "" and backend.get("kind", "Service") == "Service"
            assert backend["port"] in service_ports, "Must have port for Service reference"
        parents = [(p.get("namespace", ""), p["name"], p.get("sectionName"), p.get("port"))
                   for p in route["spec"]["parentRefs"]]
        assert len(set(parents)) == len(parents), "sectionName or port must be unique"


def test_tcproute_rules_are_the_ones_checked_by_hand():
    for channel, versions in (("experimental", ("v1alpha2", "v1")), ("standard", ("v1",))):
        for version in versions:
            messages = {m for _, m in cel_rules(crd("gateway.networking.k8s.io", "TCPRoute", channel), version)}
            assert messages <= {
                "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent",
                "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent",
                "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
                "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
                "Must have port for Service reference",
                "Must not have port for Backend reference",
                "Rule name must be unique within the route",
            }, (channel, version)


def test_integrations_set_routes_are_valid(helm):
    schema = crd("gateway.networking.k8s.io", "TCPRoute", "experimental")
    routes = render(helm, "integrations").all("TCPRoute")
    assert {r["metadata"]["name"] for r in routes} == {"dbbat-postgres", "dbbat-mysql", "dbbat-mssql"}
    for route in routes:
        assert errors(route, schema) == []


def test_the_default_version_needs_the_experimental_channel():
    """What the chart README says: Gateway API 1.7's standard channel serves TCPRoute v1 only."""
    assert served_version(crd("gateway.networking.k8s.io", "TCPRoute", "experimental"), "v1alpha2")
    assert not served_version(crd("gateway.networking.k8s.io", "TCPRoute", "standard"), "v1alpha2")
    assert served_version(crd("gateway.networking.k8s.io", "TCPRoute", "standard"), "v1")


@pytest.mark.parametrize("mutate,where", [
    (lambda o: o["spec"].update(secretname=o["spec"].pop("secretName")), "spec"),
    (lambda o: o["spec"].pop("issuerRef"), "spec: 'issuerRef' is a required property"),
    (lambda o: o["spec"].update(dnsNames="dbbat-pg"), "spec/dnsNames"),
    (lambda o: o["spec"]["privateKey"].update(rotationPolicy="Sometimes"), "spec/privateKey/rotationPolicy"),
])
def test_a_wrong_certificate_is_caught(helm, mutate, where):
    """The check itself: typos, missing fields, wrong types and enums fail."""
    schema = crd("cert-manager.io", "Certificate")
    cert = copy.deepcopy(render(helm, "minimal", values={"tls": {"pg": CERT_MANAGER}}).get("Certificate"))
    mutate(cert)
    found = errors(cert, schema)
    assert found and any(e.startswith(where) for e in found), found


@pytest.mark.parametrize("mutate,where", [
    (lambda o: o["spec"]["rules"][0]["backendRefs"][0].update(port="5432"), "spec/rules/0/backendRefs/0/port"),
    (lambda o: o["spec"]["rules"][0]["backendRefs"][0].update(port=70000), "spec/rules/0/backendRefs/0/port"),
    (lambda o: o["spec"]["parentRefs"][0].update(sectionname="pg"), "spec/parentRefs/0"),
    (lambda o: o.update(apiVersion="gateway.networking.k8s.io/v1beta1"), "apiVersion"),
])
def test_a_wrong_route_is_caught(helm, mutate, where):
    schema = crd("gateway.networking.k8s.io", "TCPRoute", "experimental")
    values = routes_values()
    values["gateway"]["skipCapabilityCheck"] = True
    route = copy.deepcopy(render(helm, "minimal", values=values).all("TCPRoute")[0])
    mutate(route)
    found = errors(route, schema)
    assert found and any(e.startswith(where) for e in found), found
