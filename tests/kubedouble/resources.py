"""The resource catalogue the double serves: what discovery lists and what the store accepts."""
from dataclasses import dataclass

# What `kubectl get all` shows.
ALL_CATEGORY = {"Pod", "Service", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
                "HorizontalPodAutoscaler"}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    subresources: tuple = ()
    short_names: tuple = ()

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self):
        return self.kind.lower()


_R = Resource
CATALOGUE = [
    _R("", "v1", "Namespace", "namespaces", False, ("status",), ("ns",)),
    _R("", "v1", "Secret", "secrets"),
    _R("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    _R("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _R("", "v1", "Service", "services", subresources=("status",), short_names=("svc",)),
    _R("", "v1", "Pod", "pods", subresources=("status",), short_names=("po",)),
    _R("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", subresources=("status",), short_names=("pvc",)),
    _R("", "v1", "Endpoints", "endpoints", short_names=("ep",)),
    _R("", "v1", "Event", "events", short_names=("ev",)),
    _R("", "v1", "LimitRange", "limitranges", short_names=("limits",)),
    _R("", "v1", "ResourceQuota", "resourcequotas", subresources=("status",), short_names=("quota",)),
    _R("", "v1", "Node", "nodes", False, ("status",), ("no",)),
    _R("", "v1", "PersistentVolume", "persistentvolumes", False, ("status",), ("pv",)),
    _R("apps", "v1", "Deployment", "deployments", subresources=("status", "scale"), short_names=("deploy",)),
    _R("apps", "v1", "ReplicaSet", "replicasets", subresources=("status", "scale"), short_names=("rs",)),
    _R("apps", "v1", "StatefulSet", "statefulsets", subresources=("status", "scale"), short_names=("sts",)),
    _R("apps", "v1", "DaemonSet", "daemonsets", subresources=("status",), short_names=("ds",)),
    _R("apps", "v1", "ControllerRevision", "controllerrevisions"),
    _R("batch", "v1", "Job", "jobs", subresources=("status",)),
    _R("batch", "v1", "CronJob", "cronjobs", subresources=("status",), short_names=("cj",)),
    _R("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", subresources=("status",), short_names=("hpa",)),
    _R("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", subresources=("status",), short_names=("hpa",)),
    _R("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", subresources=("status",), short_names=("pdb",)),
    _R("networking.k8s.io", "v1", "Ingress", "ingresses", subresources=("status",), short_names=("ing",)),
    _R("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short_names=("netpol",)),
    _R("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _R("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _R("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _R("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _R("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _R("coordination.k8s.io", "v1", "Lease", "leases"),
    _R("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, short_names=("sc",)),
    _R("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, short_names=("pc",)),
    _R("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False, ("status",), ("crd",)),
]


def group_versions():
    """{group: [versions, preferred first]} in catalogue order."""
    out = {}
    for r in CATALOGUE:
        out.setdefault(r.group, [])
        if r.version not in out[r.group]:
            out[r.group].append(r.version)
    return out


def find(group, version, plural):
    for r in CATALOGUE:
        if (r.group, r.version, r.plural) == (group, version, plural):
            return r
    return None


def by_kind(api_version, kind):
    group, _, version = api_version.rpartition("/")
    for r in CATALOGUE:
        if (r.group, r.version, r.kind) == (group, version, kind):
            return r
    return None
