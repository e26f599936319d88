"""Objects, resourceVersions and watch events: the object model of the double.

Every write goes through Store.write(), which validates, defaults, keeps uid/creationTimestamp,
bumps generation on spec changes and resourceVersion on any change, and does nothing at all
(no new resourceVersion, no event) when the result equals what is stored."""
import base64
import copy
import datetime
import itertools
import json
import random
import string
import threading
import traceback
import uuid

from . import resources, schema as sch

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Kinds without metadata.generation (the others get 1 on create and +1 on every spec change).
_NO_GENERATION = {"Secret", "ConfigMap", "ServiceAccount", "Event", "Endpoints", "Namespace", "Role",
                  "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Lease", "Pod", "Service",
                  "PersistentVolumeClaim", "PersistentVolume", "StorageClass", "PriorityClass", "Node",
                  "LimitRange", "ResourceQuota", "ControllerRevision"}


class ApiError(Exception):
    """An error answered as a metav1.Status, like the real API server does."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            out["details"] = self.details
        return out


def not_found(res, name):
    return ApiError(404, "NotFound", f'{_qualified(res)} "{name}" not found',
                    {"name": name, "group": res.group, "kind": res.plural})


def _qualified(res):
    return f"{res.plural}.{res.group}" if res.group else res.plural


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strip_volatile(obj):
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata", {})
    for k in ("resourceVersion", "managedFields", "generation"):
        meta.pop(k, None)
    return obj


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.objects = {}   # (group, plural, namespace or "", name) -> object
        self.applied = {}   # (object key, field manager, subresource) -> last applied configuration
        self.log = []       # (resourceVersion, event type, resource, object): the watch history
        self._rv = itertools.count(100)
        self.rv = next(self._rv)
        self._ips = itertools.count(10)
        self._node_ports = itertools.count(80)
        self.controllers = []  # callables(store) run after every external write
        self.stopped = False
        for ns in SYSTEM_NAMESPACES:
            self.write({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, create=True)

    # --- reads ---------------------------------------------------------------------------------

    @staticmethod
    def key(res, namespace, name):
        return (res.group, res.plural, namespace if res.namespaced else "", name)

    def get(self, res, namespace, name):
        with self.lock:
            obj = self.objects.get(self.key(res, namespace, name))
            return copy.deepcopy(obj) if obj else None

    def list(self, res, namespace=None):
        with self.lock:
            items = [copy.deepcopy(o) for (g, p, ns, _), o in sorted(self.objects.items())
                     if (g, p) == (res.group, res.plural) and (not namespace or ns == namespace)]
            return items, str(self.rv)

    # --- writes --------------------------------------------------------------------------------

    def _emit(self, etype, res, obj):
        self.log.append((int(obj["metadata"]["resourceVersion"]), etype, res, copy.deepcopy(obj)))
        self.changed.notify_all()

    def write(self, obj, create=False, subresource=None, expect_rv=None, dry_run=False,
              strict=True, reconcile=True):
        """Create or replace one object; returns (stored object, created?)."""
        with self.lock:
            res = resources.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
            if res is None:
                raise ApiError(404, "NotFound", f'the server could not find the requested resource '
                               f'(kind {obj.get("kind")!r} in {obj.get("apiVersion")!r})')
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if res.namespaced:
                meta.setdefault("namespace", "default")
                ns = self.objects.get(("", "namespaces", "", meta["namespace"]))
                if ns is None:
                    raise ApiError(404, "NotFound", f'namespaces "{meta["namespace"]}" not found',
                                   {"name": meta["namespace"], "kind": "namespaces"})
                if create and "deletionTimestamp" in ns["metadata"]:
                    raise ApiError(403, "Forbidden", f'{res.plural} "{meta.get("name", "")}" is forbidden: unable to create '
                                   f'new content in namespace {meta["namespace"]} because it is being terminated',
                                   {"name": meta.get("name", ""), "kind": res.plural})
            else:
                meta.pop("namespace", None)
            if create and not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            if not strict:
                sch.strip_unknown(sch.schema_for(obj["apiVersion"], obj["kind"]), obj)
            errors = sch.validate(obj)
            if errors:
                name = meta.get("name") or meta.get("generateName") or ""
                causes = [{"reason": r, "message": f"{m}", "field": f} for f, r, m in errors]
                raise ApiError(422, "Invalid",
                               f'{res.kind}{"." + res.group if res.group else ""} "{name}" is invalid: ['
                               + ", ".join(f"{f}: {m}" for f, _, m in errors) + "]",
                               {"name": name, "group": res.group, "kind": res.kind, "causes": causes})
            key = self.key(res, meta.get("namespace"), meta["name"])
            old = self.objects.get(key)
            if create and old is not None:
                raise ApiError(409, "AlreadyExists", f'{_qualified(res)} "{meta["name"]}" already exists',
                               {"name": meta["name"], "group": res.group, "kind": res.plural})
            if not create and old is None:
                raise not_found(res, meta["name"])
            if old is not None and expect_rv and expect_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {_qualified(res)} "{meta["name"]}": '
                               "the object has been modified; please apply your changes to the latest version and try again",
                               {"name": meta["name"], "group": res.group, "kind": res.plural})
            self._normalise(res, obj, old, subresource)
            meta = obj["metadata"]
            if old is not None:
                _check_immutable(res, old, obj)
            if old is not None and _strip_volatile(old) == _strip_volatile(obj):
                return copy.deepcopy(old), False
            if old is not None and res.kind not in _NO_GENERATION and \
                    {k: v for k, v in old.items() if k not in ("metadata", "status")} != \
                    {k: v for k, v in obj.items() if k not in ("metadata", "status")}:
                meta["generation"] = old["metadata"].get("generation", 1) + 1
            if dry_run:  # validated and defaulted, not stored: the resourceVersion stays the stored one
                if old is not None:
                    meta["resourceVersion"] = old["metadata"]["resourceVersion"]
                return obj, old is None
            self.rv = next(self._rv)
            meta["resourceVersion"] = str(self.rv)
            self.objects[key] = obj
            self._emit("ADDED" if old is None else "MODIFIED", res, obj)
            if old is None and res.kind == "Namespace":
                self.write({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": "default", "namespace": meta["name"]}}, create=True, reconcile=False)
            if reconcile:
                self.reconcile()
            return copy.deepcopy(obj), old is None

    def _normalise(self, res, obj, old, subresource):
        """Server-owned fields and the defaults that clients rely on."""
        meta = obj["metadata"]
        if old is not None:
            for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
                if k in old["metadata"]:
                    meta[k] = old["metadata"][k]
                else:
                    meta.pop(k, None)
            meta.pop("resourceVersion", None)
            if "status" in res.subresources:
                # The main resource ignores status, the status subresource everything else.
                if subresource == "status":
                    status = obj.get("status")
                    obj.clear()
                    obj.update(copy.deepcopy(old))
                    obj.pop("status", None)
                    if status is not None:
                        obj["status"] = status
                    meta = obj["metadata"]
                    meta.pop("resourceVersion", None)
                elif "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
                else:
                    obj.pop("status", None)
        else:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now()
            meta.pop("resourceVersion", None)
            if res.kind not in _NO_GENERATION:
                meta["generation"] = 1
        meta.pop("managedFields", None)
        for k in [k for k, v in meta.items() if v in (None, {}, [])]:
            del meta[k]
        _defaults(res.kind, obj, self, old)

    def delete(self, res, namespace, name, propagation="Background", dry_run=False, reconcile=True):
        with self.lock:
            key = self.key(res, namespace, name)
            obj = self.objects.get(key)
            if obj is None:
                raise not_found(res, name)
            if dry_run:
                return copy.deepcopy(obj)
            if res.kind == "Namespace":
                return self._terminate(res, key, obj)
            del self.objects[key]
            for k in [k for k in self.applied if k[0] == key]:
                del self.applied[k]
            self.rv = next(self._rv)
            gone = copy.deepcopy(obj)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._emit("DELETED", res, gone)
            if propagation != "Orphan":
                uid = obj["metadata"]["uid"]
                for k, o in list(self.objects.items()):
                    if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", [])):
                        dep = resources.by_kind(o["apiVersion"], o["kind"])
                        if k in self.objects:
                            self.delete(dep, k[2], k[3], reconcile=False)
            if reconcile:
                self.reconcile()
            return gone

    def _terminate(self, res, key, ns):
        """Namespace deletion: Terminating at once, its content and then itself gone shortly after,
        as the namespace controller does (so deleting a namespace and then one of its objects
        works, and creating in a terminating namespace is refused)."""
        if "deletionTimestamp" not in ns["metadata"]:
            ns = copy.deepcopy(ns)
            ns["metadata"]["deletionTimestamp"] = now()
            ns["status"] = {"phase": "Terminating"}
            self.rv = next(self._rv)
            ns["metadata"]["resourceVersion"] = str(self.rv)
            self.objects[key] = ns
            self._emit("MODIFIED", res, ns)
            timer = threading.Timer(0.3, self._purge, (res, key))
            timer.daemon = True
            timer.start()
        return copy.deepcopy(ns)

    def _purge(self, res, key):
        with self.lock:
            if self.stopped or key not in self.objects:
                return
            name = key[3]
            for k, o in list(self.objects.items()):
                if k[2] == name and k in self.objects:
                    self.delete(resources.by_kind(o["apiVersion"], o["kind"]), name, k[3], reconcile=False)
            ns = self.objects.pop(key)
            self.rv = next(self._rv)
            ns["metadata"]["resourceVersion"] = str(self.rv)
            self._emit("DELETED", res, ns)
            self.reconcile()

    def reconcile(self):
        """Run the controllers until they change nothing more."""
        for _ in range(10):
            before = self.rv
            for controller in self.controllers:
                try:
                    controller(self)
                except Exception:  # a bug of the double: loud on stderr, but the client's write stands
                    traceback.print_exc()
            if self.rv == before:
                return

    def events_since(self, rv):
        """Events after resourceVersion rv; None when rv is older than the history (410 Gone)."""
        with self.lock:
            if self.log and rv < self.log[0][0] - 1:
                return None
            return [e for e in self.log if e[0] > rv]

    def next_node_port(self):
        return 30000 + next(self._node_ports)

    def next_cluster_ip(self):
        n = next(self._ips)
        return f"10.96.{n // 250}.{n % 250 + 1}"


# StatefulSet spec fields an update may change; the rest is forbidden, like the real validation.
_STS_MUTABLE = {"replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds", "ordinals", "revisionHistoryLimit"}


def _check_immutable(res, old, new):
    """The update rules that most often bite a chart upgrade on a real cluster."""
    errors = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if res.kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet") \
            and old_spec.get("selector") != new_spec.get("selector"):
        errors.append(("spec.selector", f"Invalid value: {json.dumps(new_spec.get('selector'))}: field is immutable"))
    if res.kind == "StatefulSet":
        changed = sorted(k for k in set(old_spec) | set(new_spec)
                         if k not in _STS_MUTABLE and k != "selector" and old_spec.get(k) != new_spec.get(k))
        if changed:
            errors.append(("spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', "
                           "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' "
                           f"and 'minReadySeconds' are forbidden (changed: {', '.join(changed)})"))
    if res.kind == "Job" and old_spec.get("template") != new_spec.get("template"):
        errors.append(("spec.template", "Invalid value: field is immutable"))
    if res.kind in ("Secret", "ConfigMap") and old.get("immutable"):
        for field in ("data", "binaryData", "immutable"):
            if old.get(field) != new.get(field):
                errors.append((field, "Forbidden: field is immutable when `immutable` is set"))
    if res.kind == "Secret" and old.get("type") != new.get("type"):
        errors.append(("type", f"Invalid value: {json.dumps(new.get('type'))}: field is immutable"))
    if res.kind == "Service" and old_spec.get("clusterIP") not in (None, new_spec.get("clusterIP")):
        errors.append(("spec.clusterIP", "Invalid value: field is immutable"))
    if errors:
        name = new["metadata"]["name"]
        raise ApiError(422, "Invalid", f'{res.kind}{"." + res.group if res.group else ""} "{name}" is invalid: ['
                       + ", ".join(f"{f}: {m}" for f, m in errors) + "]",
                       {"name": name, "group": res.group, "kind": res.kind,
                        "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in errors]})


def _defaults(kind, obj, store, old):
    spec = obj.get("spec")
    if kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        for k, v in string_data.items():
            obj.setdefault("data", {})[k] = base64.b64encode(v.encode()).decode()
        for k, v in (obj.get("data") or {}).items():
            try:
                base64.b64decode(v, validate=True)
            except Exception:
                raise ApiError(400, "BadRequest", f"Secret in version \"v1\" cannot be handled as a Secret: "
                               f"illegal base64 data in data.{k}")
    elif kind in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet") and isinstance(spec, dict):
        if kind != "DaemonSet":
            spec.setdefault("replicas", 1)
        if kind != "ReplicaSet":
            spec.setdefault("revisionHistoryLimit", 10)
        if kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {})
            strategy.setdefault("type", "RollingUpdate")
            if strategy["type"] == "RollingUpdate":
                ru = strategy.setdefault("rollingUpdate", {})
                ru.setdefault("maxUnavailable", "25%")
                ru.setdefault("maxSurge", "25%")
        if kind == "DaemonSet":
            us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            if us.get("type", "RollingUpdate") == "RollingUpdate":
                us.setdefault("rollingUpdate", {}).setdefault("maxUnavailable", 1)
                us["rollingUpdate"].setdefault("maxSurge", 0)
        if kind == "StatefulSet":
            spec.setdefault("podManagementPolicy", "OrderedReady")
            us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            if us.get("type", "RollingUpdate") == "RollingUpdate":
                us.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    elif kind == "Service" and isinstance(spec, dict):
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            if not spec.get("clusterIP"):
                # Kept across updates, allocated once, like the real allocator.
                spec["clusterIP"] = ((old or {}).get("spec") or {}).get("clusterIP") or store.next_cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in ((old or {}).get("spec") or {}).get("ports") or []}
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if spec["type"] in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                # Allocated once and kept across updates, like the real allocator.
                port["nodePort"] = old_ports.get((port["port"], port["protocol"]), {}).get("nodePort") or store.next_node_port()
        # A cloud would provision a load balancer: give it an address at once.
        obj["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]} if spec["type"] == "LoadBalancer" else {}}
    elif kind == "PersistentVolumeClaim":
        obj["status"] = {"phase": "Bound", **{k: v for k, v in (obj.get("status") or {}).items() if k != "phase"}}
