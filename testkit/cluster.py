"""The local Kubernetes cluster for the tests: the one scripts/local-cluster.sh runs (a real
kube-apiserver, kube-controller-manager, kube-scheduler and etcd 1.37). Its nodes are kwok's
(pods get a status, no container runs: tools/cluster/kwok.yaml says what is simulated) and, with
``real_node=True``, also the real node of scripts/local-node.sh, where containers run (one per
machine: the session fixture `real_cluster` starts it once for all the tests that need it).

    cluster = Cluster.start(workdir, name)     # or the session fixtures `cluster`, `real_cluster`
    cluster.kubeconfig, cluster.context, cluster.url, cluster.ca_file
    cluster.env()                 # {"KUBECONFIG": ...}, for isolated_env(cluster_env=...)
    cluster.awx_env(token=None)   # K8S_AUTH_* as AWX's bearer-token credential injects them
    cluster.token(namespace, service_account)   # a TokenRequest token (real RBAC applies)
    cluster.get(api_version, kind, name, namespace=None) -> dict | None
    cluster.list(api_version, kind, namespace=None, label_selector=None) -> [dict]
    cluster.apply(obj)            # server-side apply as field manager "dbbat-testkit"
    cluster.delete(api_version, kind, name, namespace=None)
    cluster.kubectl(*args)        # a Result; kubectl with the cluster's kubeconfig
    mark = cluster.audit_mark(); ...; cluster.writes(mark)   # what clients wrote meanwhile
    cluster.container_pid(pod, container)  # real node: the container's process on this machine
    with cluster.port_forward(namespace, "svc/NAME", port) as local_port: ...
    cluster.stop_control_plane() / cluster.start_control_plane()
    cluster.stop()                # delete the cluster
"""
import base64
import contextlib
import fcntl
import json
import socket
import subprocess
import time
import uuid
from pathlib import Path

from .env import isolated_env
from .paths import ROOT, tool
from .proc import run

LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster.sh"
LOCAL_NODE = ROOT / "scripts" / "local-node.sh"
# The control plane's own components write all the time (status, leases, endpoints); the
# writes a test counts are those of the clients it runs.
CONTROL_PLANE_AGENTS = ("kube-apiserver/", "kube-controller-manager/", "kube-scheduler/", "kwok-controller/",
                        "kubelet/", "kube-proxy/", "coredns/")
TESTKIT_AGENT = "dbbat-testkit"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
# kwokctl picks free ports by probing: two clusters started at once could pick the same ones.
START_LOCK = Path("/tmp/dbbat-testkit-cluster-start.lock")


class Cluster:
    def __init__(self, workdir, name, real_node=False):
        self.workdir = Path(workdir)
        self.name = name
        self.real_node = real_node
        self.context = f"kwok-{name}"
        self.kubeconfig = str(self.workdir / "kubeconfig")
        self.kwok_workdir = self.workdir / "kwok"
        self.state_dir = self.kwok_workdir / "clusters" / name
        self.audit_log = self.state_dir / "logs" / "audit.log"
        self._client = None
        self._admin_token = None

    # -- lifecycle ---------------------------------------------------------------------------
    def _script(self, *args, script=LOCAL_CLUSTER, timeout=300):
        env = isolated_env(self.workdir / "control", extra={
            "KWOK_WORKDIR": str(self.kwok_workdir), "KUBECONFIG": self.kubeconfig, "DBBAT_CLUSTER_NAME": self.name,
            "DBBAT_REAL_NODE": "1" if self.real_node else "0"})
        return run(["bash", script, *args], env=env, timeout=timeout)

    @classmethod
    def start(cls, workdir, name="test", real_node=False):
        cluster = cls(workdir, name, real_node)
        START_LOCK.touch(exist_ok=True)
        try:
            with open(START_LOCK) as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                cluster._script("up").check()
        except BaseException:
            # Nothing half-started stays behind, whether the start failed or was interrupted
            # (Ctrl-C): a real node is one per machine.
            cluster._script("down")
            raise
        return cluster

    def stop(self):
        self._script("down")
        if self.real_node:
            left = self._script("leftovers", script=LOCAL_NODE)
            assert left.rc == 0, f"the real node left this behind after `down`:\n{left.stdout}"

    def stop_control_plane(self):
        """Stop every component (the API server stops answering); the state is kept."""
        self._client = None
        run([tool("kwokctl"), "stop", "cluster", "--name", self.name],
            env=isolated_env(self.workdir / "control", extra={"KWOK_WORKDIR": str(self.kwok_workdir)})).check()

    def start_control_plane(self):
        self._script("up").check()

    # -- how clients reach it ----------------------------------------------------------------
    def _kubeconfig_cluster(self):
        import yaml

        config = yaml.safe_load(Path(self.kubeconfig).read_text())
        return next(c["cluster"] for c in config["clusters"] if c["name"] == self.context)

    @property
    def url(self):
        return self._kubeconfig_cluster()["server"]

    @property
    def ca_file(self):
        return self._kubeconfig_cluster()["certificate-authority"]

    def env(self):
        """The cluster as a kubeconfig user sees it (admin, through the `kwok-NAME` context)."""
        return {"KUBECONFIG": self.kubeconfig}

    def awx_env(self, token=None):
        """The cluster as AWX's "OpenShift or Kubernetes API Bearer Token" credential injects it;
        by default with a cluster-admin ServiceAccount's token."""
        return {"K8S_AUTH_HOST": self.url, "K8S_AUTH_API_KEY": token or self.admin_token(),
                "K8S_AUTH_SSL_CA_CERT": self.ca_file, "K8S_AUTH_VERIFY_SSL": "true"}

    def admin_token(self):
        if self._admin_token is None:
            self.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "testkit-admin", "namespace": "kube-system"}})
            self.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": "testkit-admin"},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                    "name": "cluster-admin"},
                        "subjects": [{"kind": "ServiceAccount", "name": "testkit-admin",
                                      "namespace": "kube-system"}]})
            self._admin_token = self.token("kube-system", "testkit-admin")
        return self._admin_token

    def token(self, namespace, service_account, seconds=3600):
        """A bound token of a ServiceAccount (TokenRequest), as `kubectl create token` gives."""
        result = self.kubectl("-n", namespace, "create", "token", service_account, f"--duration={seconds}s").check()
        return result.stdout.strip()

    def kubeconfig_for_token(self, path, token):
        """Write a kubeconfig that authenticates with ``token`` (for a user with limited rights)."""
        import yaml

        config = {"apiVersion": "v1", "kind": "Config", "current-context": "token",
                  "clusters": [{"name": "c", "cluster": {"server": self.url, "certificate-authority": self.ca_file}}],
                  "users": [{"name": "u", "user": {"token": token}}],
                  "contexts": [{"name": "token", "context": {"cluster": "c", "user": "u"}}]}
        Path(path).write_text(yaml.safe_dump(config))
        Path(path).chmod(0o600)
        return str(path)

    def kubectl(self, *args, input=None, timeout=120):
        env = isolated_env(self.workdir / "control", cluster_env=self.env())
        return run([tool("kubectl"), "--context", self.context, *args], env=env, input=input, timeout=timeout)

    # -- the real node ---------------------------------------------------------------------------
    @property
    def containerd_socket(self):
        """The real node's containerd (scripts/local-node.sh puts it in /run/dbbat-node-NAME)."""
        return f"/run/dbbat-node-{self.name}/containerd.sock"

    def container_pid(self, pod, container):
        """The host PID of ``container`` of ``pod`` (a dict) running on the real node, read from
        containerd through crictl: its /proc shows what the container really runs as."""
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == container)
        container_id = status["containerID"].split("://", 1)[1]
        result = run([tool("crictl"), "--runtime-endpoint", f"unix://{self.containerd_socket}",
                      "inspect", container_id]).check()
        return json.loads(result.stdout)["info"]["pid"]

    def ctr(self, *args):
        """containerd's own client on the real node's containerd (namespace k8s.io, the CRI's)."""
        return run([tool("ctr"), "--address", self.containerd_socket, "--namespace", "k8s.io",
                    *args])

    @contextlib.contextmanager
    def port_forward(self, namespace, target, port):
        """``kubectl port-forward`` to ``target`` (e.g. svc/dbbat) ``port`` on a free local port,
        for the block's duration; yields that local port."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            local = probe.getsockname()[1]
        env = isolated_env(self.workdir / "control", cluster_env=self.env())
        proc = subprocess.Popen([tool("kubectl"), "--context", self.context, "-n", namespace, "port-forward",
                                 target, f"{local}:{port}"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            line = proc.stdout.readline()
            assert line.startswith("Forwarding from"), f"kubectl port-forward {target}: {line}{proc.stdout.read()}"
            yield local
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    # -- direct reads and writes (test set-up and assertions) -----------------------------------
    @property
    def client(self):
        if self._client is None:
            from kubernetes import config, dynamic

            api_client = config.new_client_from_config(config_file=self.kubeconfig, context=self.context)
            api_client.user_agent = TESTKIT_AGENT
            self._client = dynamic.DynamicClient(api_client)
        return self._client

    def _resource(self, api_version, kind):
        return self.client.resources.get(api_version=api_version, kind=kind)

    def get(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            return self._resource(api_version, kind).get(name=name, namespace=namespace).to_dict()
        except NotFoundError:
            return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        items = self._resource(api_version, kind).get(namespace=namespace, label_selector=label_selector)
        return [item.to_dict() for item in items.items]

    def apply(self, obj):
        """Create or update ``obj`` (server-side apply, conflicts forced); returns the live object."""
        resource = self._resource(obj["apiVersion"], obj["kind"])
        namespace = obj["metadata"].get("namespace")
        return resource.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace=namespace,
                                          field_manager=TESTKIT_AGENT, force_conflicts=True).to_dict()

    def delete(self, api_version, kind, name, namespace=None):
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            self._resource(api_version, kind).delete(name=name, namespace=namespace)
        except NotFoundError:
            pass

    def secret_data(self, name, namespace):
        """A Secret's data, decoded (None when there is no such Secret)."""
        secret = self.get("v1", "Secret", name, namespace)
        if secret is None:
            return None
        return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}

    def wait_for(self, predicate, what, timeout=60):
        """Poll ``predicate()`` until it returns something truthy; fail naming ``what``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def unique_namespace(self, prefix="t"):
        """A namespace name not used before in this cluster (the namespace is not created)."""
        return f"{prefix}-{uuid.uuid4().hex[:8]}"[:63]

    # -- what clients wrote (the audit log of tools/cluster/audit-policy.yaml) ------------------
    def audit_mark(self):
        return self.audit_log.stat().st_size if self.audit_log.exists() else 0

    def writes(self, mark, namespace=None):
        """Write requests made by clients (not the control plane, not this kit) since ``mark``,
        dry runs left out (they persist nothing): [{"verb", "resource", "namespace", "name",
        "user_agent", "code"}]. A request refused by the server counts: it reached it."""
        found = []
        with open(self.audit_log, "rb") as log:
            log.seek(mark)
            for line in log:
                event = json.loads(line)
                agent = event.get("userAgent", "")
                if event.get("verb") not in WRITE_VERBS or agent.startswith(CONTROL_PLANE_AGENTS + (TESTKIT_AGENT,)):
                    continue
                if "dryRun=All" in event.get("requestURI", ""):
                    continue
                ref = event.get("objectRef", {})
                if namespace and namespace != ref.get("namespace") and \
                        (ref.get("resource"), ref.get("name")) != ("namespaces", namespace):
                    continue
                found.append({"verb": event["verb"], "resource": ref.get("resource"),
                              "namespace": ref.get("namespace"), "name": ref.get("name"),
                              "user_agent": agent, "code": event.get("responseStatus", {}).get("code")})
        return found
