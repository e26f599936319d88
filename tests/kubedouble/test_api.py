"""The double's HTTP API, driven directly: object model, validation, patches, watches, readiness."""
import base64
import json

import pytest
import requests

from tests.kubedouble import KubeDouble


@pytest.fixture
def http(kube_api):
    s = requests.Session()
    s.verify = kube_api.ca_file
    s.headers["Authorization"] = f"Bearer {kube_api.token}"
    base = kube_api.url

    class Client:
        api = kube_api

        def __getattr__(self, verb):
            def call(path, **kw):
                return s.request(verb.upper(), base + path, timeout=10, verify=kube_api.ca_file, **kw)
            return call
    return Client()


SECRETS = "/api/v1/namespaces/default/secrets"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name="web", image="nginx:1", env=None, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"selector": {"matchLabels": {"app": name}}, **spec, "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image, "env": env or []}]}}}}


def _container(dep):
    return dep["spec"]["template"]["spec"]["containers"][0]


def secret(name, **data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def test_token_is_required(kube_api):
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = requests.get(kube_api.url + "/api/v1/namespaces", headers=headers, verify=kube_api.ca_file, timeout=5)
        assert r.status_code == 401
        assert r.json()["reason"] == "Unauthorized"


def test_discovery_and_openapi(http):
    assert "v1" in http.get("/api").json()["versions"]
    groups = {g["name"] for g in http.get("/apis").json()["groups"]}
    assert {"apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io"} <= groups
    core = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
    assert core["secrets"]["namespaced"] and not core["namespaces"]["namespaced"]
    apps = {r["name"]: r for r in http.get("/apis/apps/v1").json()["resources"]}
    assert apps["deployments/scale"]["kind"] == "Scale"
    index = http.get("/openapi/v3").json()["paths"]
    doc = http.get(index["apis/apps/v1"]["serverRelativeURL"]).json()
    assert "io.k8s.api.apps.v1.Deployment" in doc["components"]["schemas"]
    patch_op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "fieldValidation" in [p["name"] for p in patch_op["parameters"]]


def test_object_model(http):
    r = http.post(SECRETS, json=secret("s1", a="1"))
    assert r.status_code == 201, r.text
    meta = r.json()["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
    assert r.json()["type"] == "Opaque"
    again = http.post(SECRETS, json=secret("s1", a="1"))
    assert (again.status_code, again.json()["reason"]) == (409, "AlreadyExists")
    missing = http.post("/api/v1/namespaces/nope/secrets", json=secret("s1"))
    assert missing.status_code == 404 and missing.json()["message"] == 'namespaces "nope" not found'
    assert http.get(SECRETS + "/nothere").json()["message"] == 'secrets "nothere" not found'

    # An unchanged write keeps the resourceVersion; a change moves it; a stale one conflicts.
    current = http.get(SECRETS + "/s1").json()
    same = http.put(SECRETS + "/s1", json=current).json()
    assert same["metadata"]["resourceVersion"] == meta["resourceVersion"]
    changed = http.put(SECRETS + "/s1", json={**current, "stringData": {"b": "2"}}).json()
    assert int(changed["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert changed["data"] == {"a": "MQ==", "b": "Mg=="} and "stringData" not in changed
    assert changed["metadata"]["uid"] == meta["uid"]
    stale = http.put(SECRETS + "/s1", json=current)
    assert (stale.status_code, stale.json()["reason"]) == (409, "Conflict")

    # generation follows the spec, not the metadata.
    assert http.post(DEPLOYS, json=deployment()).json()["metadata"]["generation"] == 1
    dep = http.get(DEPLOYS + "/web").json()
    dep["metadata"]["labels"]["extra"] = "yes"
    assert http.put(DEPLOYS + "/web", json=dep).json()["metadata"]["generation"] == 1
    dep = http.get(DEPLOYS + "/web").json()
    dep["spec"]["replicas"] = 2
    assert http.put(DEPLOYS + "/web", json=dep).json()["metadata"]["generation"] == 2


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["spec"].update(foo=1), "spec.foo"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0].update(ports=[{"containerPort": "http"}]),
     "spec.template.spec.containers[0].ports[0].containerPort"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"), "spec.template.spec.containers[0].name"),
    (lambda d: d["metadata"].update(name="Not_Valid"), "metadata.name"),
    (lambda d: d["metadata"].update(labels={"app": "has space"}), "metadata.labels"),
    (lambda d: d["metadata"].update(bogus="x"), "metadata.bogus"),
    (lambda d: _container(d).update(ports=[{"name": "http_port_too_long", "containerPort": 80}]),
     "spec.template.spec.containers[0].ports[0].name"),
    (lambda d: _container(d).update(resources={"limits": {"cpu": "100 m"}}),
     "spec.template.spec.containers[0].resources.limits.cpu"),
    (lambda d: _container(d).update(volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}]),
     "spec.template.spec.containers[0].volumeMounts[0].name"),
    (lambda d: d["spec"]["template"]["metadata"].update(labels={"app": "other"}), "spec.template.metadata.labels"),
    (lambda d: _container(d).update(env=[{"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
     "spec.template.spec.containers[0].env[0].valueFrom"),
    (lambda d: _container(d).update(readinessProbe={"httpGet": {"port": 80}, "tcpSocket": {"port": 80}}),
     "spec.template.spec.containers[0].readinessProbe"),
    (lambda d: _container(d).update(resources={"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}}),
     "spec.template.spec.containers[0].resources.requests"),
])
def test_invalid_objects_are_refused_with_the_field(http, mutate, field):
    obj = deployment()
    mutate(obj)
    r = http.post(DEPLOYS, json=obj)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["reason"] == "Invalid"
    assert field in [c["field"] for c in body["details"]["causes"]]
    assert field in body["message"]
    assert http.get(DEPLOYS).json()["items"] == []


def test_unknown_fields_dropped_when_validation_is_ignore(http):
    obj = deployment()
    obj["spec"]["foo"] = 1
    r = http.post(DEPLOYS + "?fieldValidation=Ignore", json=obj)
    assert r.status_code == 201 and "foo" not in r.json()["spec"]


def test_selectors_and_paging(http):
    for i, tier in enumerate(["front", "back", "front", "db"]):
        s = secret(f"s{i}")
        s["metadata"]["labels"] = {"tier": tier, **({"extra": "1"} if i == 0 else {})}
        http.post(SECRETS, json=s)

    def names(query):
        r = http.get(SECRETS, params=query)
        assert r.status_code == 200, r.text
        return [o["metadata"]["name"] for o in r.json()["items"]]
    assert names({"labelSelector": "tier=front"}) == ["s0", "s2"]
    assert names({"labelSelector": "tier!=front"}) == ["s1", "s3"]
    assert names({"labelSelector": "tier in (back,db)"}) == ["s1", "s3"]
    assert names({"labelSelector": "tier notin (back,db),extra"}) == ["s0"]
    assert names({"labelSelector": "!extra,tier=front"}) == ["s2"]
    assert names({"fieldSelector": "metadata.name=s3"}) == ["s3"]
    first = http.get(SECRETS, params={"limit": 3}).json()
    assert len(first["items"]) == 3 and first["metadata"]["remainingItemCount"] == 1
    rest = http.get(SECRETS, params={"limit": 3, "continue": first["metadata"]["continue"]}).json()
    assert [o["metadata"]["name"] for o in rest["items"]] == ["s3"] and "continue" not in rest["metadata"]
    assert http.get(SECRETS, params={"labelSelector": "a in"}).status_code == 400


def test_four_patch_flavours(http):
    http.post(DEPLOYS, json=deployment(env=[{"name": "A", "value": "1"}]))
    url = DEPLOYS + "/web"

    r = http.patch(url, data=json.dumps({"spec": {"template": {"spec": {"containers": [
        {"name": "main", "env": [{"name": "B", "value": "2"}]}]}}}}),
        headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert r.status_code == 200, r.text
    container = r.json()["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1" and [e["name"] for e in container["env"]] == ["A", "B"]
    r = http.patch(url, data=json.dumps({"spec": {"template": {"spec": {"containers": [
        {"name": "main", "$setElementOrder/env": [{"name": "Z"}, {"name": "A"}, {"name": "B"}],
         "env": [{"name": "Z", "value": "0"}]}]}}}}), headers={"Content-Type": "application/strategic-merge-patch+json"})
    env = r.json()["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["Z", "A", "B"]

    r = http.patch(url, data=json.dumps({"metadata": {"labels": {"x": "y"}}, "spec": {"paused": True}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.json()["metadata"]["labels"] == {"app": "web", "x": "y"} and r.json()["spec"]["paused"] is True

    r = http.patch(url, data=json.dumps([{"op": "replace", "path": "/spec/replicas", "value": 3},
                                         {"op": "remove", "path": "/metadata/labels/x"}]),
                   headers={"Content-Type": "application/json-patch+json"})
    assert r.json()["spec"]["replicas"] == 3 and "x" not in r.json()["metadata"]["labels"]

    # Server-side apply: creates, merges, removes what the manager no longer applies, and
    # leaves the resourceVersion alone when nothing changes.
    apply = {"Content-Type": "application/apply-patch+yaml"}
    cm_url = "/api/v1/namespaces/default/configmaps/cfg"
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"a": "1"}},
           "data": {"k1": "v1", "k2": "v2"}}
    r = http.patch(cm_url + "?fieldManager=test", data=json.dumps(cfg), headers=apply)
    assert r.status_code == 201, r.text
    rv = r.json()["metadata"]["resourceVersion"]
    r = http.patch(cm_url + "?fieldManager=test", data=json.dumps(cfg), headers=apply)
    assert r.json()["metadata"]["resourceVersion"] == rv
    cfg["data"] = {"k1": "changed"}
    cfg["metadata"]["labels"] = {"b": "2"}
    r = http.patch(cm_url + "?fieldManager=test", data=json.dumps(cfg), headers=apply).json()
    assert r["data"] == {"k1": "changed"} and r["metadata"]["labels"] == {"b": "2"}
    assert http.patch(cm_url, data=json.dumps(cfg), headers=apply).status_code == 400  # no fieldManager

    # List-map items match with the server's defaults filled in (Service ports: port + protocol TCP).
    svc_url = "/api/v1/namespaces/default/services/svc?fieldManager=test"
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    first = http.patch(svc_url, data=json.dumps(svc), headers=apply).json()
    again = http.patch(svc_url, data=json.dumps(svc), headers=apply).json()
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


def test_watch_list_ends_initial_events_with_a_bookmark(http):
    http.post(SECRETS, json=secret("w1"))
    r = http.get(SECRETS, params={"watch": "1", "sendInitialEvents": "true", "allowWatchBookmarks": "true",
                                  "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": "2"}, stream=True)
    lines = r.iter_lines()
    first = json.loads(next(lines))
    assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "w1"
    bookmark = json.loads(next(lines))
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    http.post(SECRETS, json=secret("w2"))
    later = json.loads(next(lines))
    assert later["type"] == "ADDED" and later["object"]["metadata"]["name"] == "w2"
    r.close()


def _pb_field(num, payload):
    """One length-delimited protobuf field (all this test needs)."""
    def varint(n):
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def test_protobuf_create(http):
    meta = _pb_field(1, b"pb") + _pb_field(11, _pb_field(1, b"owner") + _pb_field(2, b"helm"))
    secret_pb = _pb_field(1, meta) + _pb_field(2, _pb_field(1, b"k") + _pb_field(2, b"\x00\x01")) + _pb_field(3, b"Opaque")
    envelope = _pb_field(1, _pb_field(1, b"v1") + _pb_field(2, b"Secret")) + _pb_field(2, secret_pb)
    r = http.post(SECRETS, data=b"k8s\x00" + envelope,
                  headers={"Content-Type": "application/vnd.kubernetes.protobuf",
                           "Accept": "application/vnd.kubernetes.protobuf, application/json"})
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"] == "application/json"
    stored = http.api.get("v1", "Secret", "pb", "default")
    assert stored["data"] == {"k": "AAE="} and stored["metadata"]["labels"] == {"owner": "helm"}


def _available(api, name="web"):
    conds = {c["type"]: c for c in api.get("apps/v1", "Deployment", name, "default")["status"]["conditions"]}
    return conds["Available"]


def test_readiness_follows_references(http):
    api = http.api
    env = [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "DBB_KEY"}}},
           {"name": "O", "valueFrom": {"configMapKeyRef": {"name": "absent", "key": "x", "optional": True}}}]
    http.post(DEPLOYS, json=deployment(env=env, replicas=2))
    cond = _available(api)
    assert cond["status"] == "False" and 'secret "creds" not found' in cond["message"]
    status = api.get("apps/v1", "Deployment", "web", "default")["status"]
    assert status.get("readyReplicas", 0) == 0 and status["unavailableReplicas"] == 2

    api.put_object(secret("creds", OTHER="x"))
    assert "couldn't find key DBB_KEY in Secret default/creds" in _available(api)["message"]

    api.put_object(secret("creds", DBB_KEY="k"))
    assert _available(api)["status"] == "True"
    dep = api.get("apps/v1", "Deployment", "web", "default")
    assert dep["status"]["readyReplicas"] == 2 and dep["status"]["observedGeneration"] == 1
    progressing = [c for c in dep["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert progressing["reason"] == "NewReplicaSetAvailable"
    (rs,) = api.list("apps/v1", "ReplicaSet", "default", "app=web")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
    assert rs["metadata"]["labels"]["pod-template-hash"] in rs["metadata"]["name"]
    assert rs["status"]["readyReplicas"] == 2

    # A rolling update to a template that cannot start keeps the old pods: still Available, the
    # rollout stuck with old replicas pending, the missing reference named in Progressing.
    dep["spec"]["template"]["spec"]["serviceAccountName"] = "robot"
    api.put_object(dep)
    dep = api.get("apps/v1", "Deployment", "web", "default")
    assert _available(api)["status"] == "True"
    assert (dep["status"]["replicas"], dep["status"]["updatedReplicas"], dep["status"]["readyReplicas"]) == (4, 2, 2)
    progressing = [c for c in dep["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert progressing["reason"] == "ReplicaSetUpdated" and 'serviceaccount "robot" not found' in progressing["message"]
    assert sorted(rs["spec"]["replicas"] for rs in api.list("apps/v1", "ReplicaSet", "default", "app=web")) == [2, 2]

    # Once the service account exists, the rollout completes and the old ReplicaSet is scaled down.
    api.put_object({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}})
    dep = api.get("apps/v1", "Deployment", "web", "default")
    assert (dep["status"]["replicas"], dep["status"]["updatedReplicas"], dep["status"]["readyReplicas"]) == (2, 2, 2)
    assert sorted(rs["spec"]["replicas"] for rs in api.list("apps/v1", "ReplicaSet", "default", "app=web")) == [0, 2]

    # Deleting the Deployment takes its ReplicaSets along.
    assert http.delete(DEPLOYS + "/web").status_code == 200
    assert api.list("apps/v1", "ReplicaSet", "default") == []


def test_volume_references(kube_api):
    dep = deployment()
    dep["spec"]["template"]["spec"]["volumes"] = [{"name": "conf", "configMap": {"name": "conf", "items": [{"key": "a.yaml", "path": "a.yaml"}]}}]
    kube_api.put_object(dep)
    assert 'MountVolume.SetUp failed for volume "conf" : configmap "conf" not found' in _available(kube_api)["message"]
    kube_api.put_object({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"}, "data": {"a.yaml": "x: 1"}})
    assert _available(kube_api)["status"] == "True"


def test_subresources(http):
    http.post(DEPLOYS, json=deployment())
    scale = http.get(DEPLOYS + "/web/scale").json()
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "app=web"
    r = http.patch(DEPLOYS + "/web/scale", data=json.dumps({"spec": {"replicas": 4}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.json()["spec"]["replicas"] == 4
    assert http.api.get("apps/v1", "Deployment", "web", "default")["status"]["readyReplicas"] == 4
    # The main resource ignores status; the status subresource ignores everything else.
    dep = http.get(DEPLOYS + "/web").json()
    dep["status"]["replicas"] = 99
    assert http.put(DEPLOYS + "/web", json=dep).json()["status"]["replicas"] == 4
    dep["spec"]["replicas"] = 7
    assert http.put(DEPLOYS + "/web/status", json=dep).json()["spec"]["replicas"] == 4


def test_namespaces(http):
    api = http.api
    assert {n["metadata"]["name"] for n in api.list("v1", "Namespace")} >= {"default", "kube-system", "kube-public"}
    assert http.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}).status_code == 201
    assert api.get("v1", "ServiceAccount", "default", "team") is not None
    api.put_object({**secret("s"), "metadata": {"name": "s", "namespace": "team"}})
    r = http.delete("/api/v1/namespaces/team")
    assert r.status_code == 200 and r.json()["status"]["phase"] == "Terminating"
    refused = http.post("/api/v1/namespaces/team/secrets", json=secret("late"))
    assert refused.status_code == 403
    w = http.get("/api/v1/namespaces", params={"watch": "1", "fieldSelector": "metadata.name=team",
                                              "resourceVersion": r.json()["metadata"]["resourceVersion"],
                                              "timeoutSeconds": "5"}, stream=True)
    assert json.loads(next(w.iter_lines()))["type"] == "DELETED"
    w.close()
    assert api.get("v1", "Secret", "s", "team") is None and api.get("v1", "Namespace", "team") is None


def test_standalone_interface(tmp_path, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://elsewhere")
    api = KubeDouble.start(tmp_path / "d", token="t0k")
    try:
        env = api.env()
        assert env["KUBECONFIG"] == api.kubeconfig and "K8S_AUTH_HOST" not in env
        awx = api.awx_env()
        assert "KUBECONFIG" not in awx and awx["K8S_AUTH_HOST"] == api.url and awx["K8S_AUTH_API_KEY"] == "t0k"
        assert requests.get(api.url + "/api", headers={"Authorization": "Bearer t0k"}, verify=api.ca_file, timeout=5).ok
    finally:
        api.stop()


def test_immutable_fields(http):
    http.post(DEPLOYS, json=deployment())
    dep = http.get(DEPLOYS + "/web").json()
    dep["spec"]["selector"]["matchLabels"]["extra"] = "x"
    dep["spec"]["template"]["metadata"]["labels"]["extra"] = "x"
    r = http.put(DEPLOYS + "/web", json=dep)
    assert r.status_code == 422 and r.json()["details"]["causes"][0]["field"] == "spec.selector"
    frozen = {**secret("frozen", a="1"), "immutable": True}
    http.post(SECRETS, json=frozen)
    r = http.patch(SECRETS + "/frozen", data=json.dumps({"data": {"a": "Mg=="}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422 and "immutable" in r.json()["message"]


def test_statefulset_update_to_a_broken_template_stays_on_the_old_revision(kube_api):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "pg:1"}]}}}}
    kube_api.put_object(sts)
    status = kube_api.get("apps/v1", "StatefulSet", "db")["status"]
    assert status["readyReplicas"] == 2 and status["currentRevision"] == status["updateRevision"]
    sts["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "db-creds"}}]
    kube_api.put_object(sts)
    status = kube_api.get("apps/v1", "StatefulSet", "db")["status"]
    assert status["readyReplicas"] == 2 and status["currentRevision"] != status["updateRevision"]
    assert status.get("updatedReplicas", 0) == 0 and 'secret "db-creds" not found' in status["conditions"][0]["message"]
    kube_api.put_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-creds"}})
    status = kube_api.get("apps/v1", "StatefulSet", "db")["status"]
    assert status["updatedReplicas"] == 2 and status["currentRevision"] == status["updateRevision"]


def test_service_allocations(http):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg"},
           "spec": {"type": "LoadBalancer", "selector": {"app": "pg"}, "ports": [{"name": "pg", "port": 5432}]}}
    created = http.post("/api/v1/namespaces/default/services", json=svc).json()
    port = created["spec"]["ports"][0]
    assert port["targetPort"] == 5432 and port["protocol"] == "TCP" and 30000 <= port["nodePort"] <= 32767
    assert created["status"]["loadBalancer"]["ingress"]
    # A replace that leaves the allocated values out keeps them.
    replaced = http.put("/api/v1/namespaces/default/services/pg", json=svc).json()
    assert replaced["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert replaced["spec"]["ports"][0]["nodePort"] == port["nodePort"]
    assert replaced["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    tls = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
           "stringData": {"tls.crt": "x"}}
    r = http.post(SECRETS, json=tls)
    assert r.status_code == 422 and [c["field"] for c in r.json()["details"]["causes"]] == ["data[tls.key]"]


def test_pod_disruption_budget_counts_the_selected_workloads(kube_api):
    kube_api.put_object({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
                         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    env = [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "K"}}}]
    kube_api.put_object(deployment(replicas=2, env=env))
    status = kube_api.get("policy/v1", "PodDisruptionBudget", "web")["status"]
    assert (status["expectedPods"], status["currentHealthy"], status["desiredHealthy"]) == (2, 0, 1)
    assert status["disruptionsAllowed"] == 0
    kube_api.put_object(secret("creds", K="v"))
    status = kube_api.get("policy/v1", "PodDisruptionBudget", "web")["status"]
    assert (status["currentHealthy"], status["disruptionsAllowed"]) == (2, 1)
