"""NOTES.txt names Services that exist and says how to reach them; it warns about runMode, names the
TLS Secrets and how to test the release."""
import re

import pytest

from tests.chart.render import notes, render


def named_services(text):
    return set(re.findall(r'(?:service/|get service |Service ")([a-z0-9-]+)', text))


@pytest.mark.parametrize("values_file,extra", [
    ("minimal", None),
    ("production", None),
    ("full", None),
    ("minimal", {"service": {"proxy": {"enabled": False}}}),
    ("minimal", {"service": {"proxy": {"type": "NodePort"}, "api": {"type": "LoadBalancer"}}}),
    ("integrations", None),
])
def test_named_services_exist(helm4, values_file, extra):
    text = notes(helm4, values_file, values=extra)
    services = {s["metadata"]["name"] for s in render(helm4, values_file, values=extra).all("Service")}
    assert named_services(text), text
    assert named_services(text) <= services, text


def test_cluster_ip_tells_port_forward(helm4):
    text = notes(helm4, "minimal")
    assert "kubectl port-forward -n dbbat service/dbbat 8080:8080" in text
    assert "kubectl port-forward -n dbbat service/dbbat-pg 5432:5432" in text
    assert "dbbat-pg.dbbat.svc" in text
    assert "WARNING" not in text


def test_production_tells_ingress_url_and_load_balancer(helm4):
    text = notes(helm4, "production")
    assert "https://dbbat.example.com/" in text
    assert "kubectl get service dbbat-pg -n dbbat -o jsonpath='{.status.loadBalancer.ingress[0].*}'" in text


def test_node_port_proxy(helm4):
    text = notes(helm4, "minimal", values={"service": {"proxy": {"type": "NodePort"}}})
    assert "kubectl get service dbbat-pg -n dbbat -o jsonpath='{.spec.ports[0].nodePort}'" in text


def test_disabled_proxy_is_said(helm4):
    text = notes(helm4, "minimal", values={"service": {"proxy": {"enabled": False}}})
    assert "dbbat-pg" not in text
    assert "service.proxy.enabled is false" in text


@pytest.mark.parametrize("mode", ["test", "demo"])
def test_run_mode_warns_loudly(helm4, mode):
    text = notes(helm4, "minimal", values={"config": {"runMode": mode}})
    head = text.strip().splitlines()[:4]
    assert any("WARNING" in line and f'"{mode}"' in line for line in head), text
    assert "DROPS ALL TABLES" in text


def test_inline_key_recommends_existing_secret(helm4):
    text = notes(helm4, values={"secrets": {"encryptionKey": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="},
                                "postgresql": {"external": {"host": "db"}}})
    assert "release history" in text and "secrets.existingSecret" in text


@pytest.mark.parametrize("values_file,keys", [
    ("minimal", ["DBB_KEY"]),
    ("production", ["DBB_KEY", "DB_PASSWORD"]),
    ("full", ["storage-password"]),
])
def test_existing_secret_keys_needed_are_listed(helm4, values_file, keys):
    text = notes(helm4, values_file)
    listed = re.findall(r"^  - (\S+) \(", text.split("holds the keys:", 1)[1], re.M)
    assert listed == keys


def test_tls_secrets_and_restart_after_renewal(helm4):
    text = notes(helm4, "integrations")
    assert "kubectl rollout restart deployment/dbbat -n dbbat" in text
    assert '- postgres: Secret "dbbat-pg-tls"\n' in text
    assert '- mysql: Secret "dbbat-mysql-tls" (cert-manager Certificate "dbbat-mysql-tls")' in text
    assert "TLS certificates" not in notes(helm4, "minimal")


def test_helm_test_is_suggested_when_rendered(helm4):
    assert "helm test dbbat -n dbbat --logs" in notes(helm4, "minimal")
    assert "helm test" not in notes(helm4, "minimal", values={"tests": {"enabled": False}})


def test_other_listeners_on_the_proxy_service(helm4):
    text = notes(helm4, "minimal", values={"config": {"listenMongo": ":27017"}})
    assert "The mongo listener is on the same Service, port 27017." in text
