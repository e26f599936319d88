"""Role variables of the chart's newer features, end to end on the local cluster: the proxy's TLS
certificate from an existing Secret (pods roll when it changes) and air-gapped installs through a
registry mirror (the chart and every image come from it).

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import base64
from pathlib import Path

import pytest

from testkit.env import isolated_env
from testkit.paths import CHART_DIR
from testkit.pki import write_certificates
from testkit.registry import PublishedChart, publish_with_module

from .conftest import Deployer

pytestmark = pytest.mark.slow

TLS_ANNOTATION = "dbbat.fclairamb.github.io/tls-pg-sha256"


def _tls_secret(cluster, namespace, name, workdir):
    certs = write_certificates(workdir, ca_name="dbbat proxy test CA")
    data = {"tls.crt": Path(certs["server_cert"]).read_bytes(), "tls.key": Path(certs["server_key"]).read_bytes()}
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                   "metadata": {"name": name, "namespace": namespace},
                   "data": {k: base64.b64encode(v).decode() for k, v in data.items()}})


def _pod_template(cluster, namespace):
    return cluster.get("apps/v1", "Deployment", "dbbat", namespace)["spec"]["template"]


def test_the_proxy_tls_secret_is_mounted_and_pods_roll_when_it_changes(cluster, deployer, tmp_path):
    ns = deployer.namespace
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    _tls_secret(cluster, ns, "dbbat-pg-tls", tmp_path / "first")
    deployer.vars["dbbat_proxy_tls"] = {"pg": {"secret": "dbbat-pg-tls"}}

    assert deployer.run().rc == 0
    template = _pod_template(cluster, ns)
    container = template["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["DBB_PG_TLS_CERT_FILE"].rsplit("/", 1)[0] in mounted and env["DBB_PG_TLS_KEY_FILE"]
    secrets = [v["secret"]["secretName"] for v in template["spec"]["volumes"] if "secret" in v]
    assert "dbbat-pg-tls" in secrets
    first = template["metadata"]["annotations"][TLS_ANNOTATION]

    # Unchanged: no roll. A renewed certificate in the Secret: the next run rolls the pods.
    assert deployer.run().recap["changed"] == 0
    _tls_secret(cluster, ns, "dbbat-pg-tls", tmp_path / "renewed")
    run = deployer.run()
    assert run.rc == 0 and any("helm release" in t for t in run.changed_tasks()), run.tail()
    assert _pod_template(cluster, ns)["metadata"]["annotations"][TLS_ANNOTATION] != first


def test_an_air_gapped_install_takes_the_chart_and_every_image_from_the_mirror(cluster, namespace, oci_registry_tls,
                                                                            tmp_path):
    """The inventory keeps the public chart reference (ghcr.io, unreachable here); with
    dbbat_registry_mirror, the chart is pulled from the mirror, where it was published under the
    same path, and every image the release renders names the mirror."""
    mirror = oci_registry_tls
    result = publish_with_module(mirror, CHART_DIR, tmp_path / "publish", repository="fclairamb/charts")
    chart = PublishedChart(ref="unused", version=result["version"], registry=mirror, digest=result["digest"])
    deployer = Deployer(tmp_path, isolated_env(tmp_path, cluster_env=cluster.env()), chart,
                        dbbat_namespace=namespace, dbbat_registry_mirror=mirror.host)
    del deployer.vars["dbbat_chart_ref"]  # the role's default: oci://ghcr.io/fclairamb/charts/dbbat

    run = deployer.run()
    assert run.rc == 0, run.tail()
    deployment = cluster.get("apps/v1", "Deployment", "dbbat", namespace)
    spec = deployment["spec"]["template"]["spec"]
    images = [c["image"] for c in spec["containers"] + spec.get("initContainers", [])]
    assert images and all(image.startswith(mirror.host + "/") for image in images), images
    assert deployment["status"]["readyReplicas"] == 1
