"""The API Service and the proxy Service <fullname>-pg."""
from tests.chart.render import render, render_error


def test_default_services(helm):
    r = render(helm, "minimal")
    api, pg = r.get("Service", "dbbat"), r.get("Service", "dbbat-pg")
    assert api["spec"]["type"] == "ClusterIP" and pg["spec"]["type"] == "ClusterIP"
    assert api["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert pg["spec"]["ports"] == [{"name": "postgres", "port": 5432, "targetPort": "postgres", "protocol": "TCP"}]
    assert "externalTrafficPolicy" not in pg["spec"], "the API server refuses it on ClusterIP"
    selector = r.deployment["spec"]["selector"]["matchLabels"]
    assert api["spec"]["selector"] == selector == pg["spec"]["selector"]
    assert pg["metadata"]["labels"]["app.kubernetes.io/component"] == "proxy"


def test_production_load_balancer_keeps_client_addresses(helm):
    pg = render(helm, "production").get("Service", "dbbat-pg")
    assert pg["spec"]["type"] == "LoadBalancer"
    assert pg["spec"]["externalTrafficPolicy"] == "Local"
    assert pg["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    }


def test_full_node_port_source_ranges_and_api_annotations(helm):
    r = render(helm, "full")
    pg = r.get("Service", "bastion-pg")
    assert pg["spec"]["ports"][0]["nodePort"] == 30543
    assert pg["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8", "192.168.0.0/16"]
    api = r.get("Service", "bastion")
    assert api["spec"]["type"] == "NodePort" and api["spec"]["ports"][0]["port"] == 80
    assert api["metadata"]["annotations"] == {"example.com/team": "platform"}


def test_node_port_service_cluster_policy(helm):
    pg = render(helm, "minimal", values={"service": {"proxy": {
        "type": "NodePort", "nodePort": 30432, "externalTrafficPolicy": "Cluster"}}}).get("Service", "dbbat-pg")
    assert pg["spec"]["type"] == "NodePort" and pg["spec"]["externalTrafficPolicy"] == "Cluster"
    assert pg["spec"]["ports"][0]["nodePort"] == 30432


def test_proxy_service_can_be_disabled(helm):
    r = render(helm, "minimal", values={"service": {"proxy": {"enabled": False}}})
    assert [s["metadata"]["name"] for s in r.all("Service")] == ["dbbat"]


def test_node_port_on_cluster_ip_is_refused(helm):
    err = render_error(helm, "minimal", values={"service": {"proxy": {"nodePort": 30432}}})
    assert "service.proxy.nodePort" in err


def test_source_ranges_without_load_balancer_are_refused(helm):
    err = render_error(helm, "minimal", values={"service": {"proxy": {"loadBalancerSourceRanges": ["10.0.0.0/8"]}}})
    assert "service.proxy.loadBalancerSourceRanges" in err


def test_ingress_routes_to_the_api_service(helm):
    ing = render(helm, "production").get("Ingress", "dbbat")
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"secretName": "dbbat-tls", "hosts": ["dbbat.example.com"]}]
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == "dbbat.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "dbbat", "port": {"name": "http"}}}


def test_network_policy_ports_and_peers(helm):
    np = render(helm, "full").get("NetworkPolicy", "bastion")
    (rule,) = np["spec"]["ingress"]
    assert {p["port"] for p in rule["ports"]} == {"http", "postgres", "oracle", "mysql", "mongo", "mssql"}
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in rule["from"]
    assert {"podSelector": {"matchLabels": {"app": "psql-client"}}} in rule["from"]
    assert {"ipBlock": {"cidr": "10.0.0.0/8"}} in rule["from"]


def test_network_policy_without_peers_allows_the_namespace_only(helm):
    np = render(helm, "minimal", values={"networkPolicy": {"enabled": True}}).get("NetworkPolicy")
    assert np["spec"]["ingress"][0]["from"] == [{"podSelector": {}}]
