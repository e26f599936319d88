"""Kubelet-like readiness: the controller that fills in workload status.

A pod template is "runnable" when everything a kubelet needs before starting its containers
exists: the service account, every Secret and ConfigMap referenced by env (secretKeyRef,
configMapKeyRef), envFrom and volumes (secret, configMap, projected), with the referenced keys,
unless marked optional. Deployments (with their ReplicaSets), StatefulSets, DaemonSets,
ReplicaSets and bare Pods get the status a real cluster would show: ready when runnable, else
not ready with a condition message naming the first missing reference. Pods that were ready stay
ready (a running container does not notice a Secret going away), and a rolling update keeps the
old ReplicaSet's pods until the new ones are ready. It runs after every write, so creating the
missing Secret later makes the workload ready."""
import copy
import hashlib
import json

from . import resources
from .store import now

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
R = {k: resources.by_kind(v, k) for k, v in [
    ("Deployment", "apps/v1"), ("ReplicaSet", "apps/v1"), ("StatefulSet", "apps/v1"), ("DaemonSet", "apps/v1"),
    ("Pod", "v1"), ("Secret", "v1"), ("ConfigMap", "v1"), ("ServiceAccount", "v1"), ("PodDisruptionBudget", "policy/v1")]}


def missing_reference(store, namespace, pod_spec):
    """The first thing a kubelet would miss to start this pod, as its message, or None."""
    pod_spec = pod_spec or {}
    sa = pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount") or "default"
    if store.get(R["ServiceAccount"], namespace, sa) is None:
        return f'error looking up service account {namespace}/{sa}: serviceaccount "{sa}" not found'

    def check(kind, name, keys, optional):
        res = R[kind]
        obj = store.get(res, namespace, name)
        if obj is None:
            return None if optional else f'{kind.lower()} "{name}" not found'
        present = set(obj.get("data") or {}) | set(obj.get("binaryData") or {})
        for key in keys:
            if key not in present and not optional:
                return f"couldn't find key {key} in {kind} {namespace}/{name}"
        return None

    containers = (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])
    for c in containers:
        for env in c.get("env") or []:
            src = env.get("valueFrom") or {}
            for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = src.get(field)
                if ref and (msg := check(kind, ref.get("name", ""), [ref.get("key")], ref.get("optional", False))):
                    return msg
        for env_from in c.get("envFrom") or []:
            for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref = env_from.get(field)
                if ref and (msg := check(kind, ref.get("name", ""), [], ref.get("optional", False))):
                    return msg
    for vol in pod_spec.get("volumes") or []:
        sources = [("Secret", vol["secret"].get("secretName", ""), vol["secret"])] if vol.get("secret") else []
        if vol.get("configMap"):
            sources.append(("ConfigMap", vol["configMap"].get("name", ""), vol["configMap"]))
        for proj in (vol.get("projected") or {}).get("sources") or []:
            for field, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
                if proj.get(field):
                    sources.append((kind, proj[field].get("name", ""), proj[field]))
        for kind, name, src in sources:
            keys = [i.get("key") for i in src.get("items") or []]
            if msg := check(kind, name, keys, src.get("optional", False)):
                return f'MountVolume.SetUp failed for volume "{vol.get("name")}" : {msg}'
    return None


def template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:10])


def _conditions(old, wanted):
    """Conditions with their timestamps kept when nothing about them changed."""
    previous = {c.get("type"): c for c in old or []}
    out = []
    for ctype, status, reason, message in wanted:
        prev = previous.get(ctype)
        if prev and (prev.get("status"), prev.get("reason"), prev.get("message")) == (status, reason, message):
            out.append(prev)
        else:
            stamp = now()
            cond = {"type": ctype, "status": status, "reason": reason, "message": message,
                    "lastTransitionTime": stamp}
            out.append(cond)
    return out


def _set_status(store, obj, status):
    if obj.get("status") != status:
        store.write({**obj, "status": status}, subresource="status", reconcile=False)


def _scaled(value, replicas, round_up):
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * replicas / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value or 0)


def max_unavailable(spec):
    """deploymentutil.MaxUnavailable: how many pods a rolling update may have down."""
    strategy, replicas = spec.get("strategy") or {}, spec.get("replicas", 1)
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or not replicas:
        return 0
    ru = strategy.get("rollingUpdate") or {}
    surge, unavailable = _scaled(ru.get("maxSurge", "25%"), replicas, True), _scaled(ru.get("maxUnavailable", "25%"), replicas, False)
    return min(1 if surge == unavailable == 0 else unavailable, replicas)


def _ready_pods(store, rs):
    """Ready pods of a ReplicaSet: all of them when the kubelet could start them, else those that
    were already running (a running pod does not notice a Secret going away)."""
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    replicas = spec.get("replicas", 1)
    missing = missing_reference(store, rs["metadata"]["namespace"], (spec.get("template") or {}).get("spec"))
    return (min(status.get("readyReplicas", 0), replicas) if missing else replicas), missing


def _deployment(store, dep):
    """The deployment controller, reduced: one ReplicaSet per pod template (named by its hash).
    A rolling update keeps the old ReplicaSets' pods until the new ones are ready, so a broken
    update leaves the Deployment Available with old replicas pending, as on a cluster."""
    meta, spec = dep["metadata"], dep.get("spec") or {}
    ns, name, replicas = meta["namespace"], meta["name"], spec.get("replicas", 1)
    template = spec.get("template") or {}
    phash = template_hash(template)
    rs_name = f"{name}-{phash}"
    owned = [rs for rs in store.list(R["ReplicaSet"], ns)[0]
             if any(o.get("uid") == meta["uid"] and o.get("controller") for o in rs["metadata"].get("ownerReferences", []))]
    current = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
    if not spec.get("paused"):
        revisions = [int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0")) for rs in owned]
        revision = current["metadata"]["annotations"]["deployment.kubernetes.io/revision"] if current \
            else str(max(revisions, default=0) + 1)
        labels = {**(template.get("metadata") or {}).get("labels", {}), "pod-template-hash": phash}
        rs_template = copy.deepcopy(template)
        rs_template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = phash
        wanted = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "labels": labels,
                         "annotations": {"deployment.kubernetes.io/revision": revision,
                                         "deployment.kubernetes.io/desired-replicas": str(replicas),
                                         "deployment.kubernetes.io/max-replicas": str(replicas)},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                              "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]},
            "spec": {"replicas": replicas, "minReadySeconds": spec.get("minReadySeconds", 0),
                     "selector": selector, "template": rs_template},
        }
        if current is None:
            current, _ = store.write(wanted, create=True, reconcile=False)
        else:
            current, _ = store.write({**current, "metadata": {**current["metadata"], **wanted["metadata"]},
                                      "spec": wanted["spec"]}, reconcile=False)
        if meta.get("annotations", {}).get("deployment.kubernetes.io/revision") != revision:
            meta = {**meta, "annotations": {**meta.get("annotations", {}), "deployment.kubernetes.io/revision": revision}}
            dep, _ = store.write({**dep, "metadata": meta}, reconcile=False)
    new_ready, missing = _ready_pods(store, current) if current else (0, None)
    rolling = (spec.get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"
    total, ready = (current["spec"]["replicas"] if current else 0), new_ready
    for rs in owned:
        if current and rs["metadata"]["name"] == current["metadata"]["name"]:
            continue
        keep = rs["spec"].get("replicas", 0) if (rolling and new_ready < replicas) or spec.get("paused") else 0
        if rs["spec"].get("replicas", 0) != keep:
            rs, _ = store.write({**rs, "spec": {**rs["spec"], "replicas": keep}}, reconcile=False)
        total += keep
        ready += min(_ready_pods(store, rs)[0], keep)
    complete = new_ready >= replicas and total == replicas
    available = ready >= replicas - max_unavailable(spec)
    why = f" {missing}" if missing and new_ready < replicas else ""
    status = {"observedGeneration": meta.get("generation", 1), "replicas": total,
              "updatedReplicas": current["spec"]["replicas"] if current else 0, "readyReplicas": ready,
              "availableReplicas": ready, "unavailableReplicas": max(total - ready, 0)}
    status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
    if spec.get("paused"):
        progressing = ("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
    elif complete:
        progressing = ("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')
    else:
        progressing = ("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.{why}')
    status["conditions"] = _conditions((dep.get("status") or {}).get("conditions"), [
        ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.") if available else
        ("Available", "False", "MinimumReplicasUnavailable", f"Deployment does not have minimum availability.{why}"),
        progressing])
    _set_status(store, dep, status)


def _replicaset(store, rs):
    spec = rs.get("spec") or {}
    replicas = spec.get("replicas", 1)
    ready, missing = _ready_pods(store, rs)
    status = {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": ready,
              "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1)}
    status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
    if missing and ready < replicas:
        status["conditions"] = _conditions((rs.get("status") or {}).get("conditions"),
                                           [("ReplicaFailure", "True", "FailedCreate", missing)])
    _set_status(store, rs, status)


def _statefulset(store, sts):
    """Ready when runnable; an update to a template that cannot start stays on the old revision
    with its running pods (the real controller would be stuck replacing the first one)."""
    meta, spec, previous = sts["metadata"], sts.get("spec") or {}, sts.get("status") or {}
    replicas = spec.get("replicas", 1)
    missing = missing_reference(store, meta["namespace"], (spec.get("template") or {}).get("spec"))
    revision = f'{meta["name"]}-{template_hash(spec.get("template") or {})}'
    current = previous.get("currentRevision", revision) if missing else revision
    ready = min(previous.get("readyReplicas", 0), replicas) if missing else replicas
    updated = replicas if current == revision else 0
    status = {"observedGeneration": meta.get("generation", 1), "replicas": replicas, "readyReplicas": ready,
              "currentReplicas": replicas, "updatedReplicas": updated, "availableReplicas": ready,
              "currentRevision": current, "updateRevision": revision, "collisionCount": 0}
    status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "replicas", "collisionCount")}
    if missing:
        status["conditions"] = _conditions(previous.get("conditions"),
                                           [("PodsReady", "False", "ContainersNotReady", missing)])
    _set_status(store, sts, status)


def _daemonset(store, ds):
    """As if the cluster had exactly one schedulable node."""
    meta, spec = ds["metadata"], ds.get("spec") or {}
    missing = missing_reference(store, meta["namespace"], (spec.get("template") or {}).get("spec"))
    ready = 0 if missing else 1
    status = {"observedGeneration": meta.get("generation", 1), "desiredNumberScheduled": 1,
              "currentNumberScheduled": 1, "updatedNumberScheduled": 1, "numberMisscheduled": 0,
              "numberReady": ready, "numberAvailable": ready}
    if missing:
        status["numberUnavailable"] = 1
        status.pop("numberAvailable")
    _set_status(store, ds, status)


def _pod(store, pod):
    missing = missing_reference(store, pod["metadata"]["namespace"], pod.get("spec"))
    ready = "False" if missing else "True"
    containers = [{"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": not missing, "restartCount": 0,
                   "state": {"waiting": {"reason": "CreateContainerConfigError", "message": missing}} if missing
                   else {"running": {"startedAt": pod["metadata"]["creationTimestamp"]}}}
                  for c in (pod.get("spec") or {}).get("containers") or []]
    old = pod.get("status") or {}
    status = {"phase": "Pending" if missing else "Running", "containerStatuses": containers,
              "conditions": _conditions(old.get("conditions"), [
                  ("PodScheduled", "True", None, None), ("Initialized", "True", None, None),
                  ("ContainersReady", ready, "ContainersNotReady" if missing else None, missing),
                  ("Ready", ready, "ContainersNotReady" if missing else None, missing)])}
    for c in status["conditions"]:
        for k in ("reason", "message"):
            if c.get(k) is None:
                c.pop(k, None)
    _set_status(store, pod, status)


def _selects(selector, labels):
    """A metav1.LabelSelector against a label map (an empty selector selects everything)."""
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def _pdb(store, pdb):
    """The disruption controller, counting the pods of the workloads the budget selects."""
    meta, spec = pdb["metadata"], pdb.get("spec") or {}
    expected = healthy = 0
    for kind in ("Deployment", "StatefulSet"):
        for w in store.list(R[kind], meta["namespace"])[0]:
            labels = (((w.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")
            if _selects(spec.get("selector") or {}, labels):
                expected += (w.get("spec") or {}).get("replicas", 1)
                healthy += (w.get("status") or {}).get("readyReplicas", 0)
    if spec.get("minAvailable") is not None:
        desired = _scaled(spec["minAvailable"], expected, True)
    else:
        desired = max(expected - _scaled(spec.get("maxUnavailable", 0), expected, True), 0)
    allowed = max(healthy - desired, 0)
    status = {"observedGeneration": meta.get("generation", 1), "expectedPods": expected, "currentHealthy": healthy,
              "desiredHealthy": desired, "disruptionsAllowed": allowed,
              "conditions": _conditions((pdb.get("status") or {}).get("conditions"), [
                  ("DisruptionAllowed", "True", "SufficientPods", "") if allowed else
                  ("DisruptionAllowed", "False", "InsufficientPods", "")])}
    for c in status["conditions"]:
        c.setdefault("observedGeneration", meta.get("generation", 1))
    _set_status(store, pdb, status)


def reconcile(store):
    """The controller registered on the store: refresh every workload's status."""
    for kind, fn in (("Deployment", _deployment), ("ReplicaSet", _replicaset), ("StatefulSet", _statefulset),
                     ("DaemonSet", _daemonset), ("Pod", _pod), ("PodDisruptionBudget", _pdb)):
        for obj in store.list(R[kind])[0]:
            try:
                fn(store, obj)
            except Exception as exc:  # one broken object must not stop the others
                raise RuntimeError(f"kubedouble readiness of {kind} {obj['metadata'].get('namespace')}/"
                                   f"{obj['metadata']['name']}: {exc}") from exc
