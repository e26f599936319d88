"""kubedouble: a strict, stateful stand-in for the Kubernetes API server, for tests only.

Real helm (3 and 4), kubectl and kubernetes.core talk to it over HTTPS with a bearer token, as
they would to a cluster. Interface (other suites code against it; keep it stable)::

    api = KubeDouble.start(workdir)        # or the pytest fixtures kube_api / kube_api_session
    api.url            # "https://127.0.0.1:PORT"
    api.token          # bearer token
    api.ca_file        # path to the CA PEM
    api.kubeconfig     # path to a kubeconfig (context "kubedouble", current) for this server
    api.env()          # dict: os.environ + KUBECONFIG=api.kubeconfig, and K8S_AUTH_* removed
    api.awx_env()      # dict: os.environ without KUBECONFIG + K8S_AUTH_HOST, K8S_AUTH_API_KEY,
                       #       K8S_AUTH_SSL_CA_CERT, K8S_AUTH_VERIFY_SSL (AWX bearer-token credential)
    api.get(api_version, kind, name, namespace=None) -> dict | None   # direct store read
    api.list(api_version, kind, namespace=None, label_selector=None) -> list[dict]
    api.put_object(obj: dict)   # direct store write (test setup), goes through validation
    api.stop()

What it does: discovery, OpenAPI v3 documents (built from kubernetes-validate's strict schemas
for Kubernetes 1.37), GET/LIST with label and field selectors and limit/continue, POST/PUT in
JSON and protobuf (Secret, ConfigMap, ServiceAccount, Namespace, DeleteOptions: what helm and
kubectl's typed clients send that way), DELETE with garbage collection
of owned objects and of a namespace's content, PATCH (server-side apply, strategic merge, merge
and JSON patch), watches (including the watch-list form closed by a bookmark), the scale and
status subresources. uid, resourceVersion (a global counter, unchanged when a write changes
nothing), generation, creationTimestamp and the defaults clients depend on (replicas and update
strategies of Deployments/StatefulSets/DaemonSets, Service clusterIP and port protocol/targetPort,
Secret stringData folded into data) are kept like the real server does.
Every write is validated against the strict schemas: a wrong type, an unknown field (unless
fieldValidation=Ignore/Warn) or a bad name or label gives 422 Invalid with causes[].field.
A readiness controller (readiness.py) marks Deployments, ReplicaSets, StatefulSets, DaemonSets
and Pods ready only when their service account and every non-optional Secret/ConfigMap (and
key) their pod template references exist; otherwise the status names the missing reference.
A rolling update to a template that cannot start keeps the old pods (Available, rollout stuck),
so helm --wait / --atomic, kubectl rollout status and kstatus behave as on a cluster.
PodDisruptionBudgets get the status the disruption controller would give them, counting the
ready replicas of the Deployments and StatefulSets they select.

What it does NOT emulate, so read no more into a green test than this:
- scheduling, nodes, images, container start-up, probes, crash loops: no pod ever runs; a
  workload is "ready" as soon as its references resolve (no Pods are created for Deployments);
- Jobs never complete, CronJobs never fire, HPAs do nothing, PVCs are Bound at once;
- admission webhooks, RBAC (the one token is all-powerful), quotas, limit ranges, PSA;
- field ownership conflicts of server-side apply (managedFields are not kept) and
  resourceVersion preconditions beyond a simple equality check;
- graceful deletion and finalizers: deletion is immediate (a namespace is Terminating for a
  moment, then gone with its content);
- most defaulting: only the defaults clients depend on are filled in (above), so objects read
  back are closer to what was written than on a cluster (no imagePullPolicy, dnsPolicy, ...);
- CustomResourceDefinitions are stored but no custom resource is served; no conversion between
  versions of one resource (an autoscaling/v2 HPA read as autoscaling/v1 comes back as written);
- time: a Deployment that cannot become ready stays Progressing (no ProgressDeadlineExceeded);
- unknown fields: the real server drops them with a warning when the client does not ask for
  fieldValidation=Strict (kubernetes.core does not ask), and answers 400 "strict decoding error"
  when it does; the double refuses them with 422 in both cases (stricter on purpose: a typo in
  a definition fails here instead of being dropped), and drops them only on Ignore/Warn;
- protobuf bodies of other kinds get 415 (e.g. `kubectl create deployment`: apply a manifest);
- replies are JSON only (protobuf is decoded, never sent); no aggregated discovery (clients
  fall back to the legacy discovery documents); no HTTP/2.
"""
import copy
import os
import threading

import yaml

from . import resources
from .server import Server, parse_label_selector, labels_match

K8S_AUTH_VARS = ("K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_VERIFY_SSL",
                 "K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_USERNAME", "K8S_AUTH_PASSWORD",
                 "K8S_AUTH_CERT_FILE", "K8S_AUTH_KEY_FILE")


class KubeDouble:
    """A running double: its address, credentials and a direct view of its store."""

    def __init__(self, server, workdir):
        self._server = server
        self.url = f"https://127.0.0.1:{server.server_port}"
        self.token = server.token
        self.ca_file = os.path.join(workdir, "ca.crt")
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        with open(self.ca_file, "wb") as f:
            f.write(server.ca_pem)
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "kubedouble", "preferences": {},
            "clusters": [{"name": "kubedouble", "cluster": {"server": self.url, "certificate-authority": self.ca_file}}],
            "users": [{"name": "kubedouble", "user": {"token": self.token}}],
            "contexts": [{"name": "kubedouble", "context": {"cluster": "kubedouble", "user": "kubedouble",
                                                            "namespace": "default"}}],
        }
        fd = os.open(self.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(config, f)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"kubedouble:{server.server_port}", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, workdir, port=0, token="kubedouble-token", verbose=False):
        os.makedirs(workdir, exist_ok=True)
        return cls(Server(port=port, token=token, verbose=verbose), str(workdir))

    @property
    def store(self):
        return self._server.store

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in K8S_AUTH_VARS}
        env["KUBECONFIG"] = self.kubeconfig
        return env

    def awx_env(self):
        env = {k: v for k, v in os.environ.items() if k not in K8S_AUTH_VARS and k != "KUBECONFIG"}
        env.update(K8S_AUTH_HOST=self.url, K8S_AUTH_API_KEY=self.token,
                   K8S_AUTH_SSL_CA_CERT=self.ca_file, K8S_AUTH_VERIFY_SSL="True")
        return env

    def _res(self, api_version, kind):
        res = resources.by_kind(api_version, kind)
        if res is None:
            raise KeyError(f"the test double does not serve {kind} in {api_version}")
        return res

    def get(self, api_version, kind, name, namespace=None):
        res = self._res(api_version, kind)
        return self.store.get(res, (namespace or "default") if res.namespaced else None, name)

    def list(self, api_version, kind, namespace=None, label_selector=None):
        items, _ = self.store.list(self._res(api_version, kind), namespace)
        reqs = parse_label_selector(label_selector)
        return [o for o in items if labels_match(o["metadata"].get("labels"), reqs)]

    def put_object(self, obj):
        """Create or replace an object, validated like an API write; returns the stored object."""
        obj = copy.deepcopy(obj)
        res = self._res(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.setdefault("metadata", {})
        exists = self.store.get(res, meta.get("namespace", "default") if res.namespaced else None,
                                meta.get("name", "")) is not None
        return self.store.write(obj, create=not exists)[0]

    def stop(self):
        self.store.stopped = True
        with self.store.changed:
            self.store.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
