"""The encryption key of the role's Secret is the one DBBat uses, on the local cluster's real
node: a credential one pod stored (encrypted with DBB_KEY) is used by the pod that replaces it,
and the key-loss guard's scenario ends as the role's README says."""
import base64
import json
import urllib.request

import pytest

from testkit.storage import HOST, PASSWORD, USER
from tests.deploy.conftest import OTHER_KEY

from .conftest import server_pods
from .test_role_on_real_node import deployer  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.real_node]
# DBBat's first administrator before anyone changed its password (the API takes it over Basic auth).
ADMIN = "Basic " + base64.b64encode(b"admin:admin").decode()


def api(cluster, namespace, method, path, body=None):
    service = cluster.get("v1", "Service", "dbbat", namespace)
    port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "http")
    with cluster.port_forward(namespace, "svc/dbbat", port) as local:
        request = urllib.request.Request(f"http://127.0.0.1:{local}/api/v1{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": ADMIN, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


def restart(cluster, namespace):
    [old] = server_pods(cluster, namespace)
    cluster.kubectl("-n", namespace, "rollout", "restart", "deployment/dbbat").check()
    cluster.kubectl("-n", namespace, "rollout", "status", "deployment/dbbat", "--timeout=180s", timeout=200).check()
    [new] = server_pods(cluster, namespace)
    assert new["metadata"]["uid"] != old["metadata"]["uid"]


def test_a_credential_stored_by_one_pod_is_read_by_the_next_and_a_rotated_key_cannot_read_it(
        deployer, real_cluster, storage, real_namespace):
    deployer.run().check()
    # A database target (/servers): DBBat encrypts its password with DBB_KEY; the connection check
    # decrypts it and logs in.
    stored = api(real_cluster, real_namespace, "POST", "/servers", {
        "name": "storage", "host": HOST, "port": 5432, "database_name": real_namespace, "username": USER,
        "password": PASSWORD, "ssl_mode": "disable", "protocol": "postgresql"})
    uid = stored.get("uid") or stored["data"]["uid"]
    assert api(real_cluster, real_namespace, "POST", f"/servers/{uid}/test")["ok"] is True

    restart(real_cluster, real_namespace)
    check = api(real_cluster, real_namespace, "POST", f"/servers/{uid}/test")
    assert check["ok"] is True, f"the new pod could not use what the old one stored: {check}"

    # The key-loss guard: another key is refused before anything is written...
    refused = deployer.run(dbbat_encryption_key=OTHER_KEY)
    assert refused.rc != 0 and "dbbat_allow_key_rotation" in refused.out, refused.tail()
    assert real_cluster.secret_data("dbbat-secrets", real_namespace)["DBB_KEY"] != OTHER_KEY
    # ...and, asked for on purpose, the pods roll with it and the stored credential is unreadable.
    deployer.run(dbbat_encryption_key=OTHER_KEY, dbbat_allow_key_rotation=True).check()
    lost = api(real_cluster, real_namespace, "POST", f"/servers/{uid}/test")
    assert lost["ok"] is False, lost
