"""Proxy TLS: a certificate per protocol listener, from an existing Secret or a cert-manager Certificate."""
import pytest

from tests.chart.render import render, render_error

ISSUER = {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}


def cert_manager(**extra):
    return {"certManager": {"enabled": True, "issuerRef": ISSUER, **extra}}


def volumes(r):
    return {v["name"]: v for v in r.pod["spec"]["volumes"]}


def mounts(r):
    return {m["name"]: m for m in r.container["volumeMounts"]}


def test_no_tls_by_default(helm):
    r = render(helm, "minimal")
    assert not r.has("Certificate")
    assert not any(name.startswith("tls-") for name in volumes(r))
    assert not [n for n in r.env_names() if "_TLS_" in n]


def test_existing_secret_is_mounted_read_only_and_named_by_the_variables(helm):
    r = render(helm, "minimal", values={"tls": {"pg": {"existingSecret": "pg-cert"}}})
    assert volumes(r)["tls-pg"]["secret"] == {
        "secretName": "pg-cert", "defaultMode": 0o440,
        "items": [{"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]}
    assert mounts(r)["tls-pg"] == {"name": "tls-pg", "mountPath": "/etc/dbbat/tls/pg", "readOnly": True}
    env = r.env()
    assert env["DBB_PG_TLS_CERT_FILE"] == ("literal", "/etc/dbbat/tls/pg/tls.crt")
    assert env["DBB_PG_TLS_KEY_FILE"] == ("literal", "/etc/dbbat/tls/pg/tls.key")
    assert not r.has("Certificate")
    # The pod's fsGroup owns the mounted files: 0440 is readable by the non-root user.
    assert r.pod["spec"]["securityContext"]["fsGroup"] == r.pod["spec"]["securityContext"]["runAsUser"]


def test_cert_manager_certificate_for_the_proxy_service_names(helm):
    r = render(helm, "minimal", values={"tls": {"pg": cert_manager(duration="2160h")}})
    cert = r.get("Certificate", "dbbat-pg-tls")
    assert cert["apiVersion"] == "cert-manager.io/v1"
    assert cert["spec"]["secretName"] == "dbbat-pg-tls"
    assert cert["spec"]["issuerRef"] == ISSUER
    assert cert["spec"]["dnsNames"] == ["dbbat-pg", "dbbat-pg.dbbat", "dbbat-pg.dbbat.svc",
                                        "dbbat-pg.dbbat.svc.cluster.local"]
    assert cert["spec"]["duration"] == "2160h"
    assert cert["spec"]["privateKey"] == {"rotationPolicy": "Always"}
    assert volumes(r)["tls-pg"]["secret"]["secretName"] == "dbbat-pg-tls"
    assert r.env()["DBB_PG_TLS_CERT_FILE"] == ("literal", "/etc/dbbat/tls/pg/tls.crt")


def test_cert_manager_names_duration_and_cluster_domain(helm):
    r = render(helm, "minimal", values={"clusterDomain": "corp.local", "tls": {"pg": cert_manager()}})
    spec = r.get("Certificate")["spec"]
    assert "duration" not in spec, "empty duration leaves cert-manager's default"
    assert spec["dnsNames"][-1] == "dbbat-pg.dbbat.svc.corp.local"
    r = render(helm, "minimal", values={"tls": {"pg": cert_manager(dnsNames=["pg.example.com"])}})
    assert r.get("Certificate")["spec"]["dnsNames"] == ["pg.example.com"]


@pytest.mark.parametrize("key,listen,env,port", [
    ("mysql", "listenMysql", "MYSQL", ":3306"),
    ("mongo", "listenMongo", "MONGO", ":27017"),
    ("mssql", "listenMssql", "MSSQL", ":1433"),
])
def test_other_protocols_same_shape(helm, key, listen, env, port):
    r = render(helm, "minimal", values={"config": {listen: port},
                                        "tls": {"pg": {"existingSecret": "pg-cert"}, key: cert_manager()}})
    assert r.get("Certificate", f"dbbat-{key}-tls")["spec"]["dnsNames"][0] == "dbbat-pg"
    assert volumes(r)[f"tls-{key}"]["secret"]["secretName"] == f"dbbat-{key}-tls"
    assert mounts(r)[f"tls-{key}"]["mountPath"] == f"/etc/dbbat/tls/{key}"
    assert r.env()[f"DBB_{env}_TLS_CERT_FILE"] == ("literal", f"/etc/dbbat/tls/{key}/tls.crt")
    assert r.env()[f"DBB_{env}_TLS_KEY_FILE"] == ("literal", f"/etc/dbbat/tls/{key}/tls.key")
    assert volumes(r)["tls-pg"]["secret"]["secretName"] == "pg-cert"


def test_both_sources_are_refused(helm):
    err = render_error(helm, "minimal", values={"tls": {"pg": {"existingSecret": "pg-cert", **cert_manager()}}})
    assert 'tls.pg: existingSecret ("pg-cert") and certManager.enabled are both set' in err


def test_tls_for_a_listener_that_is_off_is_refused(helm):
    err = render_error(helm, "minimal", values={"tls": {"mysql": {"existingSecret": "my-cert"}}})
    assert "tls.mysql is set but config.listenMysql is empty" in err


def test_cert_manager_needs_an_issuer(helm):
    err = render_error(helm, "minimal", values={"tls": {"pg": {"certManager": {"enabled": True}}}})
    assert "tls.pg.certManager.issuerRef.name" in err


def test_default_names_need_the_proxy_service(helm):
    err = render_error(helm, "minimal", values={"service": {"proxy": {"enabled": False}},
                                                "tls": {"pg": cert_manager()}})
    assert "tls.pg.certManager.dnsNames" in err and "service.proxy.enabled is false" in err
    r = render(helm, "minimal", values={"service": {"proxy": {"enabled": False}},
                                        "tls": {"pg": cert_manager(dnsNames=["pg.example.com"])}})
    assert r.get("Certificate")["spec"]["dnsNames"] == ["pg.example.com"]


def test_long_names_stay_within_label_limits(helm):
    """cert-manager copies the Certificate's name into a label (63 characters at most)."""
    r = render(helm, "minimal", values={"fullnameOverride": "x" * 60, "config": {"listenMssql": ":1433"},
                                        "tls": {"mssql": cert_manager()}})
    cert = r.get("Certificate")
    assert len(cert["metadata"]["name"]) <= 63 and cert["metadata"]["name"].endswith("-mssql-tls")
    assert cert["spec"]["dnsNames"][0] == "x" * 60 + "-pg"


def test_tls_values_change_the_pod_template(helm):
    """A new Secret name or TLS switched on rolls the pods; the Secret's content is the annotations' job."""
    a = render(helm, "minimal", values={"tls": {"pg": {"existingSecret": "cert-a"}}}).pod
    b = render(helm, "minimal", values={"tls": {"pg": {"existingSecret": "cert-b"}}}).pod
    assert a != b


def test_a_checksum_annotation_rolls_the_pods_and_only_the_pods(helm):
    """What the role passes when a TLS Secret's data changes: a pod annotation."""
    def with_checksum(value):
        return render(helm, "minimal", values={"tls": {"pg": {"existingSecret": "pg-cert"}},
                                               "podAnnotations": {"dbbat.fclairamb.github.io/tls-sha256": value}})
    a, b = with_checksum("aaa"), with_checksum("bbb")
    assert b.pod["metadata"]["annotations"]["dbbat.fclairamb.github.io/tls-sha256"] == "bbb"
    assert a.pod != b.pod
    assert {k: v for k, v in a.deployment.items() if k != "spec"} == {k: v for k, v in b.deployment.items()
                                                                      if k != "spec"}


def test_deployment_annotations_are_the_deployments_not_the_pods(helm):
    r = render(helm, "minimal", values={"deploymentAnnotations": {
        "secret.reloader.stakater.com/reload": "dbbat-pg-tls"}})
    assert r.deployment["metadata"]["annotations"]["secret.reloader.stakater.com/reload"] == "dbbat-pg-tls"
    assert "checkov.io/skip1" in r.deployment["metadata"]["annotations"]
    assert "secret.reloader.stakater.com/reload" not in r.pod["metadata"]["annotations"]
