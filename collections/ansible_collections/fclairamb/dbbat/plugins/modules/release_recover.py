#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_recover
short_description: Recover a Helm release that an interrupted run left pending
version_added: 1.1.0
description:
  - A Helm run that is interrupted (a killed job, a lost connection) leaves its release
    C(pending-install), C(pending-upgrade) or C(pending-rollback), and Helm then refuses every
    operation on it ("another operation (install/upgrade/rollback) is in progress").
  - This module rolls such a release back to its last deployed revision (C(helm rollback --wait)),
    or uninstalls it when it never deployed (C(helm uninstall --wait); Secrets that are not part
    of the release, such as the one of the deploy role, stay). A release that is not pending is
    left alone (C(changed=false)).
  - Run it only when no other operation on the release is running; the deploy role runs it when
    asked with C(dbbat_recover_pending_release).
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - fclairamb.dbbat.release
  - fclairamb.dbbat.helm_binary
options:
  timeout:
    description: Seconds Helm waits for the rollback or the removal.
    type: int
    default: 300
notes:
  - Supports check mode, which reports what it would do.
requirements:
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: Recover a release left pending
  fclairamb.dbbat.release_recover:
    release_name: dbbat
    release_namespace: dbbat
"""

RETURN = r"""
action:
  description: V(rollback), V(uninstall) or V(none).
  returned: always
  type: str
status:
  description: The release's status before recovery (null when it is not installed).
  returned: always
  type: str
revision:
  description: The revision rolled back to (null unless RV(action) is V(rollback)).
  returned: always
  type: int
command:
  description: The helm command run (or, in check mode, that would run).
  returned: always
  type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import (
    cluster_helm, read_release_records, release_argument_spec)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import release_state

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    pass


def recovery(release):
    """(action, revision) for a release state (see release_state.release_state)."""
    if release is None or not release["pending"]:
        return "none", None
    if release["last_deployed"]:
        return "rollback", release["last_deployed"]["revision"]
    return "uninstall", None


def main():
    spec = release_argument_spec(timeout=dict(type="int", default=300), binary_path=dict(type="path"))
    module = AnsibleK8SModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    name, ns = p["release_name"], p["release_namespace"]
    release = release_state(read_release_records(module))
    action, revision = recovery(release)
    result = {"changed": action != "none", "action": action, "revision": revision,
              "status": release["status"] if release else None, "command": None}
    if action == "none":
        module.exit_json(**result)
    try:
        helm, env = cluster_helm(module)
        if action == "rollback":
            argv = helm_cli.rollback_argv(helm.binary, name, revision, ns, p["timeout"])
        else:
            argv = helm_cli.uninstall_argv(helm.binary, name, ns, p["timeout"])
        result["command"] = " ".join(argv)
        if not module.check_mode:
            rc, out, err = helm.run(argv, env=env)
            if rc != 0:
                module.fail_json(msg="%s of release %s/%s (%s) failed: %s"
                                 % (action, ns, name, result["status"], helm_cli.last_error_line(err or out)),
                                 **result)
    except helm_cli.HelmError as exc:
        module.fail_json(msg=exc.message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
