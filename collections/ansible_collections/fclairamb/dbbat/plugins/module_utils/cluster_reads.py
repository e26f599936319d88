# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Reading what the deploy needs from the Kubernetes API, in as few requests as possible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import decode_release

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:  # pragma: no cover - the modules report the missing library
    DynamicApiError = Exception

INSTANCE_LABEL = "app.kubernetes.io/instance"


class ClusterReads(object):
    """The reads of the collection's modules, through the dynamic client that kubernetes.core
    configures from the same options as its own modules (kubeconfig, context, K8S_AUTH_* ...):
    plain GETs of known paths, answered as JSON. No discovery is needed for these few core paths,
    and the typed API classes of the kubernetes library, which cost half a second to import, are
    not used. Errors are kubernetes.dynamic's (``.status`` 401, 403, 404...)."""

    def __init__(self, dynamic_client):
        self.client = dynamic_client

    def _get(self, path, label_selector=None):
        return self.client.request("get", path, label_selector=label_selector, serializer=lambda _client, data: data)

    def _get_or_none(self, path):
        try:
            return self._get(path)
        except DynamicApiError as exc:
            if exc.status == 404:
                return None
            raise

    def namespace(self, name):
        try:
            ns = self._get("/api/v1/namespaces/%s" % name)
        except DynamicApiError as exc:
            if exc.status == 403:
                return {"exists": False, "readable": False, "labels": {}, "annotations": {}}
            if exc.status == 404:
                return {"exists": False, "readable": True, "labels": {}, "annotations": {}}
            raise
        meta = ns.get("metadata") or {}
        return {"exists": True, "readable": True, "labels": meta.get("labels") or {},
                "annotations": meta.get("annotations") or {}}

    def secret_data(self, name, namespace):
        """The Secret's data as the API gives it (base64 values), or None when there is none."""
        secret = self._get_or_none("/api/v1/namespaces/%s/secrets/%s" % (namespace, name))
        return None if secret is None else (secret.get("data") or {})

    def release_records(self, name, namespace):
        secrets = self._get("/api/v1/namespaces/%s/secrets" % namespace, label_selector="owner=helm,name=%s" % name)
        return [decode_release(s) for s in secrets.get("items") or [] if "release" in (s.get("data") or {})]

    def services(self, release, namespace):
        out = []
        found = self._get("/api/v1/namespaces/%s/services" % namespace, label_selector="%s=%s" % (INSTANCE_LABEL, release))
        for svc in found.get("items") or []:
            spec = svc.get("spec") or {}
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            out.append({"name": svc["metadata"]["name"], "type": spec.get("type"),
                        "ports": [{"name": p.get("name"), "port": p.get("port"), "node_port": p.get("nodePort")}
                                  for p in spec.get("ports") or []],
                        "address": (ingress[0].get("hostname") or ingress[0].get("ip")) if ingress else None})
        return out

    def deployment(self, release, namespace):
        found = self._get("/apis/apps/v1/namespaces/%s/deployments" % namespace,
                          label_selector="%s=%s" % (INSTANCE_LABEL, release))
        items = found.get("items") or []
        if not items:
            return None
        dep = items[0]
        return {"name": dep["metadata"]["name"], "replicas": (dep.get("spec") or {}).get("replicas"),
                "ready": (dep.get("status") or {}).get("readyReplicas") or 0}
