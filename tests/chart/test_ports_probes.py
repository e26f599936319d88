"""Listeners, container ports, probes."""
import pytest

from tests.chart.render import render, render_error

OTHER_LISTENERS = ("DBB_LISTEN_ORA", "DBB_LISTEN_MYSQL", "DBB_LISTEN_MONGO", "DBB_LISTEN_MSSQL")


def probe_port(r, probe):
    action = r.container[probe].get("httpGet") or r.container[probe].get("tcpSocket")
    port = action["port"]
    return port if isinstance(port, int) else r.container_port(port)


def test_defaults_set_listeners_explicitly(helm):
    r = render(helm, "minimal")
    env = r.env()
    assert env["DBB_LISTEN_PG"] == ("configmap", "dbbat", "DBB_LISTEN_PG", ":5432")
    assert env["DBB_LISTEN_API"] == ("configmap", "dbbat", "DBB_LISTEN_API", ":8080")
    for name in OTHER_LISTENERS:
        assert env[name] == ("configmap", "dbbat", name, ""), f"{name} must be switched off"
    assert {p["name"]: p["containerPort"] for p in r.container["ports"]} == {"http": 8080, "postgres": 5432}


@pytest.mark.parametrize("api,pg,api_port,pg_port", [
    (":9000", ":6000", 9000, 6000),
    ("0.0.0.0:4200", "0.0.0.0:5433", 4200, 5433),
    ("[::]:80", "127.0.0.1:15432", 80, 15432),
])
def test_ports_probes_and_services_follow_listen_addresses(helm, api, pg, api_port, pg_port):
    r = render(helm, "minimal", values={"config": {"listenApi": api, "listenPg": pg}})
    assert r.env()["DBB_LISTEN_API"][3] == api and r.env()["DBB_LISTEN_PG"][3] == pg
    assert r.container_port("http") == api_port
    assert r.container_port("postgres") == pg_port
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert probe_port(r, probe) == api_port, probe
    api_svc, pg_svc = r.get("Service", "dbbat"), r.get("Service", "dbbat-pg")
    assert r.container_port(api_svc["spec"]["ports"][0]["targetPort"]) == api_port
    assert r.container_port(pg_svc["spec"]["ports"][0]["targetPort"]) == pg_port
    # Service ports stay what the values say: clients do not see the change.
    assert api_svc["spec"]["ports"][0]["port"] == 8080 and pg_svc["spec"]["ports"][0]["port"] == 5432


def test_configured_extra_listener_gets_env_port_and_a_proxy_service_port(helm):
    r = render(helm, "minimal", values={"config": {"listenMysql": ":3306"}})
    assert r.env()["DBB_LISTEN_MYSQL"][3] == ":3306"
    assert r.container_port("mysql") == 3306
    for name in ("DBB_LISTEN_ORA", "DBB_LISTEN_MONGO", "DBB_LISTEN_MSSQL"):
        assert r.env()[name][3] == ""
    pg = r.get("Service", "dbbat-pg")
    assert pg["spec"]["ports"] == [
        {"name": "postgres", "port": 5432, "targetPort": "postgres", "protocol": "TCP"},
        {"name": "mysql", "port": 3306, "targetPort": "mysql", "protocol": "TCP"}]
    assert [p["port"] for p in r.get("Service", "dbbat")["spec"]["ports"]] == [8080]


def test_listeners_that_are_off_get_no_port_anywhere(helm):
    r = render(helm, "minimal")
    assert [p["name"] for p in r.get("Service", "dbbat-pg")["spec"]["ports"]] == ["postgres"]


def test_node_port_stays_on_postgres(helm):
    pg = render(helm, "full").get("Service", "bastion-pg")
    node_ports = {p["name"]: p.get("nodePort") for p in pg["spec"]["ports"]}
    assert node_ports == {"postgres": 30543, "oracle": None, "mysql": None, "mongo": None, "mssql": None}
    for port in pg["spec"]["ports"]:
        assert render(helm, "full").container_port(port["targetPort"])


def test_proxy_port_clashing_with_a_listener_is_refused(helm):
    err = render_error(helm, "minimal", values={"config": {"listenMysql": ":3306"},
                                                "service": {"proxy": {"port": 3306}}})
    assert "config.listenMysql: port 3306 is also service.proxy.port on the proxy Service dbbat-pg" in err


def test_readiness_checks_database_liveness_does_not(helm):
    c = render(helm, "minimal").container
    assert c["readinessProbe"]["httpGet"]["path"] == "/api/v1/health"
    liveness = c["livenessProbe"]
    assert "tcpSocket" in liveness or liveness["httpGet"]["path"] != "/api/v1/health"


def test_startup_probe_allows_five_minutes_of_migrations(helm):
    p = render(helm, "minimal").container["startupProbe"]
    assert p.get("initialDelaySeconds", 0) + p["periodSeconds"] * p["failureThreshold"] >= 300
    assert p["httpGet"]["path"] != "/api/v1/health", "the database may be locked by another replica's migration"


def test_probes_are_overridable(helm):
    r = render(helm, "minimal", values={
        "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 20},
        "startupProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": "/api/v1/health", "port": "http"}, "periodSeconds": 2},
    })
    c = r.container
    # The chart's defaults are replaced key by key (helm merges maps), so the override must be coherent.
    assert c["livenessProbe"]["tcpSocket"] == {"port": "http"} and c["livenessProbe"]["periodSeconds"] == 20
    assert c["startupProbe"]["failureThreshold"] == 60
    assert c["readinessProbe"]["periodSeconds"] == 2


def test_probe_can_be_removed(helm):
    c = render(helm, "minimal", values={"startupProbe": None}).container
    assert "startupProbe" not in c


def test_same_port_twice_is_refused(helm):
    err = render_error(helm, "minimal", values={"config": {"listenMysql": "0.0.0.0:8080"}})
    assert "config.listenMysql" in err and "config.listenApi" in err
