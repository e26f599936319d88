#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_rollback
short_description: Roll a DBBat release back, refusing to put an old DBBat in front of a newer schema
version_added: 1.1.0
description:
  - Rolls a Helm release back (C(helm rollback --wait)) to O(revision), by default to the newest
    earlier revision that was deployed.
  - DBBat migrates its storage schema at start (and the chart's migration Job before each
    upgrade), with no automatic way back. The module refuses a target revision whose application
    version is older than the newest one the release ever ran, failed revisions included (a
    failed upgrade may have migrated before its pods failed), unless
    O(allow_schema_downgrade) says the schema was rolled back first (C(dbbat db rollback)).
  - The version a revision runs is the image tag of its values, else its chart's C(appVersion). A tag
    that is not a version (V(latest), a digest such as C(sha256:...), a branch such as V(main)) cannot
    be ordered. When the target runs one, or another revision ran one, and they do not all run the
    same tag, the module refuses too, unless O(allow_schema_downgrade).
  - Check mode, and C(--diff), show what would change (revision, chart and application versions,
    values) without rolling back.
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - fclairamb.dbbat.release
  - fclairamb.dbbat.helm_binary
options:
  revision:
    description: Revision to roll back to; V(0) means the newest earlier revision that was deployed.
    type: int
    default: 0
  allow_schema_downgrade:
    description:
      - Roll back to an older application version than the newest one the release ran, or where a
        revision runs a tag that is not a version (V(latest), a digest, a branch), so that which is
        newer cannot be told.
    type: bool
    default: false
  timeout:
    description: Seconds Helm waits for the rollback.
    type: int
    default: 300
notes:
  - Supports check mode and diff mode.
requirements:
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: What a rollback would do
  fclairamb.dbbat.release_rollback:
    release_name: dbbat
    release_namespace: dbbat
  check_mode: true
  register: plan

- name: Roll back to revision 3
  fclairamb.dbbat.release_rollback:
    release_name: dbbat
    release_namespace: dbbat
    revision: 3
"""

RETURN = r"""
from_revision:
  description: The revision the release was at.
  returned: always
  type: int
to_revision:
  description: The revision rolled back to (the rollback itself makes a new revision with its content).
  returned: always
  type: int
from_app_version:
  description: Application version of RV(from_revision).
  returned: always
  type: str
to_app_version:
  description: Application version of RV(to_revision).
  returned: always
  type: str
from_chart_version:
  description: Chart version of RV(from_revision).
  returned: always
  type: str
to_chart_version:
  description: Chart version of RV(to_revision).
  returned: always
  type: str
schema_app_version:
  description: The newest application version the release ran, the schema the database may be at.
  returned: always
  type: str
changed_values:
  description: Top-level chart values that differ between the two revisions.
  returned: always
  type: list
  elements: str
summary:
  description: What the rollback changes, in words, one line each (the revisions, their chart and DBBat versions; the values that change).
  returned: always
  type: list
  elements: str
  sample:
    - "Release dbbat in namespace dbbat: revision 3 (chart 1.1.0, DBBat 0.4.0) back to revision 2 (chart 1.0.0, DBBat 0.3.2)."
    - "Chart values that change: image, replicaCount."
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import (
    cluster_helm, read_release_records, release_argument_spec)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import (
    changed_values, rollback_plan, rollback_refusal, rollback_summary)

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    pass


def main():
    spec = release_argument_spec(revision=dict(type="int", default=0),
                                 allow_schema_downgrade=dict(type="bool", default=False),
                                 timeout=dict(type="int", default=300), binary_path=dict(type="path"))
    module = AnsibleK8SModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    name, ns = p["release_name"], p["release_namespace"]
    records = read_release_records(module)
    try:
        plan = rollback_plan(records, p["revision"] or None)
    except ValueError as exc:
        module.fail_json(msg="cannot roll back release %s/%s: %s" % (ns, name, exc))
    current, target = plan["current"], plan["target"]
    result = {"from_revision": current["revision"], "to_revision": target["revision"],
              "from_app_version": current["app_version"], "to_app_version": target["app_version"],
              "from_chart_version": current["chart_version"], "to_chart_version": target["chart_version"],
              "schema_app_version": plan["schema_app_version"], "changed_values": changed_values(current, target),
              "summary": rollback_summary(name, ns, plan),
              "diff": {"before": {"revision": current["revision"], "app_version": current["app_version"],
                                  "chart_version": current["chart_version"], "values": current["release_values"]},
                       "after": {"revision": target["revision"], "app_version": target["app_version"],
                                 "chart_version": target["chart_version"], "values": target["release_values"]}}}
    # The role's variable is named too: the message reaches its users through the role.
    refusal = rollback_refusal(plan, "%s/%s" % (ns, name), "dbbat_rollback_allow_schema_downgrade=true for the"
                               " role, allow_schema_downgrade=true for the module")
    if refusal and not p["allow_schema_downgrade"]:
        module.fail_json(msg=refusal, **result)
    if module.check_mode:
        module.exit_json(changed=True, **result)
    try:
        helm, env = cluster_helm(module)
        rc, out, err = helm.run(helm_cli.rollback_argv(helm.binary, name, target["revision"], ns, p["timeout"]), env=env)
    except helm_cli.HelmError as exc:
        module.fail_json(msg=exc.message, **result)
    if rc != 0:
        module.fail_json(msg="helm rollback of release %s/%s to revision %s failed: %s"
                         % (ns, name, target["revision"], helm_cli.last_error_line(err or out)), **result)
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
