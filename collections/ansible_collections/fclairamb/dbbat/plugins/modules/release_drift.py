#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_drift
short_description: Tell what changed in a Helm release's objects since it was deployed
version_added: 1.1.0
description:
  - Compares the objects of a Helm release, as its current record in the cluster describes them
    (the manifest of the highest revision; hooks and tests are left out), with the objects in the
    cluster, and reports the drift, that is what deploying the release again would change.
  - For each object of the manifest, reads it (C(GET)); an object missing from the cluster is
    reported V(deleted). For an object present, asks the API server for a server-side dry run of
    applying it (C(PATCH) with C(application/apply-patch+yaml), C(dryRun=All), C(force=true), field
    manager O(field_manager)), and lists the fields whose live value differs from the dry run's.
    The server applies its own defaults and merge rules, so nothing is guessed, and nothing is
    written either.
  - "Fields that only others set, such as a label added with C(kubectl label), are not drift: a
    deploy would leave them too. Left out of the comparison: C(status), the metadata the server
    owns (C(managedFields), C(resourceVersion), C(generation), C(creationTimestamp), C(uid)...) and
    the annotation C(kubectl.kubernetes.io/last-applied-configuration)."
  - The values of a Secret's C(data) and C(stringData) are never returned, only that they differ.
  - The P(fclairamb.dbbat.deploy#role) role runs it from its C(drift) entry point
    (C(playbooks/drift.yml)).
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - fclairamb.dbbat.release
options:
  field_manager:
    description:
      - Field manager of the dry-run applies. As they persist nothing, it never appears in the
        objects' C(managedFields).
    type: str
    default: fclairamb.dbbat-drift
notes:
  - Supports check mode, and does the same in both modes, since it never writes.
  - The API server authorizes a dry run as the request itself, so the credentials need C(get) and
    C(patch) on the release's objects, and C(list) on Secrets (Helm's records), as a deploy does.
  - Kinds are found by the API server's discovery, so objects of custom resources are compared too;
    an object whose kind the cluster no longer serves is reported V(deleted).
requirements:
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: What changed in release dbbat since it was deployed
  fclairamb.dbbat.release_drift:
    release_name: dbbat
    release_namespace: dbbat
  register: drift

- name: Show what the comparison found
  ansible.builtin.debug:
    msg: "{{ drift.report }}"

- name: Fail when something drifted
  ansible.builtin.fail:
    msg: "{{ drift.message }}"
  when: drift.drift | length > 0
"""

RETURN = r"""
drift:
  description: The objects that drifted, in the order of the manifest (empty when nothing did).
  returned: always
  type: list
  elements: dict
  contains:
    object:
      description: V(Kind namespace/name) (V(Kind name) for a cluster-scoped object).
      type: str
      sample: Deployment dbbat/dbbat
    api_version:
      description: Its apiVersion.
      type: str
    kind:
      description: Its kind.
      type: str
    name:
      description: Its name.
      type: str
    namespace:
      description: Its namespace (null for a cluster-scoped object).
      type: str
    state:
      description: V(changed) (see RV(drift[].fields)) or V(deleted) (missing from the cluster).
      type: str
    note:
      description: Why, when it is not plain (for example a kind the cluster does not serve).
      type: str
    fields:
      description: The fields that differ (empty for a deleted object).
      type: list
      elements: dict
      contains:
        path:
          description: >-
            The field, as a path (V(spec.replicas),
            V(spec.template.spec.containers[name=dbbat].image), V(metadata.labels["app.kubernetes.io/version"])).
          type: str
        live:
          description: Its value in the cluster (null when absent; V((hidden)) for a Secret's data).
          type: raw
        release:
          description: Its value once the release is applied again (null when absent; V((hidden)) for a Secret's data).
          type: raw
        note:
          description: V(value differs), for values that are not shown.
          type: str
      sample:
        - path: spec.replicas
          live: 3
          release: 1
report:
  description:
    - >-
      What the comparison found, one line each, the first for the whole (V(No drift: the 5 objects
      of release dbbat in namespace dbbat ... are as deployed.) or V(2 of the 5 objects of ... drifted:)),
      then one per deleted object or drifted field, values cut at 200 characters.
  returned: always
  type: list
  elements: str
message:
  description:
    - When something drifted, the report in one line with how to put the release back (a rollback
      to its revision, or the next deploy); empty otherwise.
  returned: always
  type: str
objects:
  description: Every object compared, as V(Kind namespace/name).
  returned: always
  type: list
  elements: str
release:
  description: The record compared with.
  returned: always
  type: dict
  contains:
    revision:
      description: Revision number.
      type: int
    status:
      description: Helm's status of that revision (V(deployed), V(failed), V(pending-upgrade)...).
      type: str
    chart_version:
      description: Chart version of the record.
      type: str
    app_version:
      description: Application version of the record.
      type: str
"""

import copy
import json

from ansible_collections.fclairamb.dbbat.plugins.module_utils.cluster_reads import ClusterReads
from ansible_collections.fclairamb.dbbat.plugins.module_utils.drift import (
    current_record, drift_report, manifest_objects, object_drift, object_ref)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import release_argument_spec
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import summarize_release

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    pass

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError
except ImportError:  # pragma: no cover - reported by AnsibleK8SModule
    pass


def _json(_client, data):
    return data


def compare(k8s, obj, release_namespace, field_manager):
    """The drift entry of one object of the manifest; its ``state`` is ``None`` when it did not drift."""
    client = k8s.client
    api_version, kind, name = obj.get("apiVersion"), obj["kind"], (obj.get("metadata") or {}).get("name")
    entry = {"api_version": api_version, "kind": kind, "name": name, "namespace": None, "state": None,
             "note": None, "fields": []}
    try:
        resource = k8s.resource(kind, api_version)
    except ResourceNotFoundError:
        namespace = (obj.get("metadata") or {}).get("namespace") or release_namespace
        entry.update(object=object_ref(kind, name, namespace), namespace=namespace, state="deleted",
                     note="the cluster does not serve %s %s (a custom resource definition removed?)"
                     % (api_version, kind))
        return entry
    body = copy.deepcopy(obj)
    namespace = None
    if resource.namespaced:
        namespace = body.setdefault("metadata", {}).get("namespace") or release_namespace
        body["metadata"]["namespace"] = namespace
    entry.update(object=object_ref(kind, name, namespace), namespace=namespace)
    path = resource.path(name=name, namespace=namespace)
    try:
        live = client.request("get", path, serializer=_json)
    except DynamicApiError as exc:
        if exc.status != 404:
            raise
        entry["state"] = "deleted"
        return entry
    release = client.request("patch", path, body=json.dumps(body), serializer=_json,
                             content_type="application/apply-patch+yaml",
                             query_params=[("fieldManager", field_manager), ("force", "true"), ("dryRun", "All")])
    entry["fields"] = object_drift(kind, live, release)
    entry["state"] = "changed" if entry["fields"] else None
    return entry


def main():
    spec = release_argument_spec(field_manager=dict(type="str", default="fclairamb.dbbat-drift"))
    module = AnsibleK8SModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    name, ns = p["release_name"], p["release_namespace"]
    where = "release %s in namespace %s" % (name, ns)
    try:
        k8s = get_api_client(module=module)
        record = current_record(ClusterReads(k8s.client).release_records(name, ns))
    except DynamicApiError as exc:
        module.fail_json(msg="cannot read the records of %s (HTTP %s): %s" % (where, exc.status, exc.summary()),
                         status=exc.status)
    except Exception as exc:  # connection refused, DNS, TLS: urllib3 errors
        module.fail_json(msg="cannot reach the Kubernetes API: %s" % exc)
    if record is None:
        module.fail_json(msg="there is no %s (no Helm record): nothing to compare with" % where)
    summary = summarize_release(record)
    result = {"changed": False, "drift": [], "objects": [],
              "release": dict((k, summary[k]) for k in ("revision", "status", "chart_version", "app_version"))}
    for obj in manifest_objects(record.get("manifest")):
        try:
            entry = compare(k8s, obj, ns, p["field_manager"])
        except DynamicApiError as exc:
            ref = object_ref(obj["kind"], (obj.get("metadata") or {}).get("name"), ns)
            hint = (" (a dry run is authorized as the request itself: the credentials need get and patch on it)"
                    if exc.status == 403 else "")
            module.fail_json(msg="cannot compare %s of %s with the cluster (HTTP %s): %s%s"
                             % (ref, where, exc.status, exc.summary(), hint), status=exc.status, **result)
        except Exception as exc:  # connection lost midway
            module.fail_json(msg="cannot reach the Kubernetes API: %s" % exc, **result)
        result["objects"].append(entry["object"])
        if entry["state"]:
            result["drift"].append(entry)
    result["report"], result["message"] = drift_report(name, ns, result["release"], result["objects"], result["drift"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
