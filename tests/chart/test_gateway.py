"""Gateway API: one TCPRoute per protocol listener that is on, to its port on the proxy Service."""
import pytest

from tests.chart.render import render, render_error

V1ALPHA2 = "gateway.networking.k8s.io/v1alpha2"
V1 = "gateway.networking.k8s.io/v1"
SERVED = (f"{V1ALPHA2}/TCPRoute",)
GATEWAY = {"name": "tcp-gateway", "namespace": "gateway-system"}


def routes(r):
    return {o["metadata"]["name"]: o for o in r.all("TCPRoute")}


def gateway(**tcp_routes):
    return {"gateway": {"parentRefs": [GATEWAY], "tcpRoutes": {"enabled": True, **tcp_routes}}}


def test_no_route_by_default(helm):
    assert not render(helm, "minimal").all("TCPRoute")


def test_one_route_to_the_proxy_service_port(helm):
    r = render(helm, "minimal", values=gateway(), api_versions=SERVED)
    route = routes(r)["dbbat-postgres"]
    assert route["apiVersion"] == V1ALPHA2
    assert route["metadata"]["namespace"] == "dbbat"
    assert route["spec"]["parentRefs"] == [GATEWAY]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "dbbat-pg", "port": 5432}]}]
    # The backend is a real port of the proxy Service.
    svc_ports = {p["port"] for p in r.get("Service", "dbbat-pg")["spec"]["ports"]}
    assert 5432 in svc_ports


def test_route_follows_the_proxy_service_port(helm):
    r = render(helm, "minimal", values={**gateway(), "service": {"proxy": {"port": 6432}}}, api_versions=SERVED)
    assert routes(r)["dbbat-postgres"]["spec"]["rules"][0]["backendRefs"][0]["port"] == 6432


def test_every_listener_gets_its_route_and_gateway_listener(helm):
    sections = {"postgres": "pg", "oracle": "ora", "mysql": "my", "mongo": "mongo", "mssql": "ms"}
    values = gateway(sectionNames=sections, annotations={"example.com/team": "dba"})
    values["gateway"]["parentRefs"] = [GATEWAY, {"name": "other", "sectionName": "ignored"}]
    r = render(helm, "full", values=values, api_versions=SERVED)
    svc_ports = {p["name"]: p["port"] for p in r.get("Service", "bastion-pg")["spec"]["ports"]}
    found = routes(r)
    assert set(found) == {f"bastion-{name}" for name in sections}
    for name, section in sections.items():
        route = found[f"bastion-{name}"]
        assert route["spec"]["parentRefs"] == [{**GATEWAY, "sectionName": section},
                                               {"name": "other", "sectionName": section}]
        assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "bastion-pg", "port": svc_ports[name]}]
        assert route["metadata"]["annotations"] == {"example.com/team": "dba"}


def test_v1_when_asked_and_served(helm):
    r = render(helm, "minimal", values=gateway(apiVersion=V1), api_versions=(f"{V1}/TCPRoute",))
    assert routes(r)["dbbat-postgres"]["apiVersion"] == V1


def test_unserved_version_is_refused_with_the_way_out(helm):
    err = render_error(helm, "minimal", values=gateway())
    assert f"gateway.tcpRoutes.enabled: the cluster does not serve TCPRoute {V1ALPHA2}" in err
    assert f"--api-versions {V1ALPHA2}/TCPRoute" in err and "gateway.skipCapabilityCheck: true" in err


def test_refusal_points_at_the_version_the_cluster_serves(helm):
    """Gateway API 1.7's standard channel serves TCPRoute v1 only."""
    err = render_error(helm, "minimal", values=gateway(), api_versions=(f"{V1}/TCPRoute",))
    assert f"The cluster serves TCPRoute {V1}: set gateway.tcpRoutes.apiVersion to it" in err


def test_skip_capability_check_renders_offline(helm):
    values = gateway()
    values["gateway"]["skipCapabilityCheck"] = True
    assert routes(render(helm, "minimal", values=values))


@pytest.mark.parametrize("values,message", [
    ({"gateway": {"tcpRoutes": {"enabled": True}}}, "gateway.tcpRoutes.enabled: set gateway.parentRefs"),
    ({**gateway(), "service": {"proxy": {"enabled": False}}}, "service.proxy.enabled is false"),
    ({**gateway(), "config": {"listenMysql": ":3306"}},
     "gateway.tcpRoutes.sectionNames.postgres: 2 listeners are routed (postgres, mysql)"),
    ({**gateway(sectionNames={"postgres": "pg"}), "config": {"listenMysql": ":3306"}},
     "gateway.tcpRoutes.sectionNames.mysql: 2 listeners are routed"),
    (gateway(sectionNames={"mongo": "mongo"}), "gateway.tcpRoutes.sectionNames.mongo: the mongo listener is off"),
])
def test_impossible_routes_are_refused(helm, values, message):
    assert message in render_error(helm, "minimal", values=values, api_versions=SERVED)


def test_one_route_with_a_section_name(helm):
    r = render(helm, "minimal", values=gateway(sectionNames={"postgres": "pg"}), api_versions=SERVED)
    assert routes(r)["dbbat-postgres"]["spec"]["parentRefs"] == [{**GATEWAY, "sectionName": "pg"}]
