#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: namespace_and_secret
short_description: Apply a release's namespace and its Secret, in one call
version_added: 1.1.0
description:
  - Applies, by server-side apply (field manager C(fclairamb.dbbat)), the namespace of a release
    with labels and annotations, then a Secret in it, in one call, each only when asked.
  - The Secret's O(secret.data) is C(no_log), so its values never show in output, while every error
    (for example a namespace the credentials may not patch) keeps its message, which a
    P(kubernetes.core.k8s#module) task would have to hide with the whole task's C(no_log).
  - Labels and annotations set on the namespace by others stay; data keys of the Secret that this
    module does not set stay too.
  - The P(fclairamb.dbbat.deploy#role) role calls it only for what its plan found missing or
    different, so that an unchanged run sends no write.
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  namespace:
    description: The namespace.
    type: dict
    required: true
    suboptions:
      name:
        description: Name of the namespace.
        type: str
        required: true
      apply:
        description: Apply it (V(false) when it already has what is asked).
        type: bool
        default: true
      labels:
        description: Labels it must have.
        type: dict
        default: {}
      annotations:
        description: Annotations it must have.
        type: dict
        default: {}
  secret:
    description: The Secret, in O(namespace.name); omitted, none is applied.
    type: dict
    suboptions:
      name:
        description: Name of the Secret.
        type: str
        required: true
      type:
        description: Type of the Secret.
        type: str
        default: Opaque
      labels:
        description: Labels of the Secret.
        type: dict
        default: {}
      data:
        description: Its data, values already base64-encoded as in the API. Never shown.
        type: dict
        required: true
notes:
  - Supports check mode (a server-side dry run). A namespace that does not exist yet cannot hold a
    dry-run Secret; in check mode, the Secret of a namespace being created is only reported.
requirements:
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: The namespace and the Secret of the release
  fclairamb.dbbat.namespace_and_secret:
    namespace:
      name: dbbat
      labels:
        pod-security.kubernetes.io/enforce: restricted
    secret:
      name: dbbat-secrets
      data:
        DBB_KEY: "{{ vault_dbbat_encryption_key | b64encode }}"
        DBB_DSN: "{{ vault_dbbat_dsn | b64encode }}"
"""

RETURN = r"""
applied:
  description: What was applied (or, in check mode, would be), as V(KIND/NAME).
  returned: always
  type: list
  elements: str
"""

import copy
import json

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    pass

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:  # pragma: no cover - reported by AnsibleK8SModule
    pass


FIELD_MANAGER = "fclairamb.dbbat"


def manifests(namespace, secret):
    """The objects to apply, in order: (kind, path, body)."""
    out = []
    if namespace["apply"]:
        out.append(("Namespace", "/api/v1/namespaces/%s" % namespace["name"], {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace["name"], "labels": namespace["labels"],
                         "annotations": namespace["annotations"]}}))
    if secret:
        out.append(("Secret", "/api/v1/namespaces/%s/secrets/%s" % (namespace["name"], secret["name"]), {
            "apiVersion": "v1", "kind": "Secret", "type": secret["type"],
            "metadata": {"name": secret["name"], "namespace": namespace["name"], "labels": secret["labels"]},
            "data": secret["data"]}))
    return out


def main():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        namespace=dict(type="dict", required=True, options=dict(
            name=dict(type="str", required=True), apply=dict(type="bool", default=True),
            labels=dict(type="dict", default={}), annotations=dict(type="dict", default={}))),
        secret=dict(type="dict", no_log=False, options=dict(
            name=dict(type="str", required=True), type=dict(type="str", default="Opaque"),
            labels=dict(type="dict", default={}), data=dict(type="dict", required=True, no_log=True))),
    )
    module = AnsibleK8SModule(argument_spec=spec, supports_check_mode=True)
    namespace, secret = module.params["namespace"], module.params["secret"]
    client = get_api_client(module=module).client
    applied = []
    for kind, path, body in manifests(namespace, secret):
        name = "%s/%s" % (kind, body["metadata"]["name"])
        if module.check_mode and kind == "Secret" and "Namespace/%s" % namespace["name"] in applied:
            applied.append(name)  # a dry-run namespace does not exist: nothing to dry-run into
            continue
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        if module.check_mode:
            query.append(("dryRun", "All"))
        try:
            client.request("patch", path, body=json.dumps(body), query_params=query,
                           content_type="application/apply-patch+yaml", serialize=False)
        except DynamicApiError as exc:
            module.fail_json(msg="cannot apply %s: %s" % (name, exc.summary()), status=exc.status, applied=applied)
        applied.append(name)
    module.exit_json(changed=bool(applied), applied=applied)


if __name__ == "__main__":
    main()
