#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_test
short_description: Run a Helm release's tests (helm test)
version_added: 1.1.0
description:
  - Runs C(helm test) for a release and reports each test pod's outcome. The DBBat chart's test
    runs the DBBat image itself (C(dbbat db status)) against the storage database with the
    release's configuration, so it fails when the pods could not reach the database with their
    DSN and key.
  - A failed test fails the module with the names of the test pods; their exit codes and logs are
    read by the caller (the P(fclairamb.dbbat.deploy#role) role reports them).
  - Test pods are created, and kept when they fail (the chart's C(hook-delete-policy)); nothing
    else changes, so the module reports C(changed=false).
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - fclairamb.dbbat.release
  - fclairamb.dbbat.helm_binary
options:
  timeout:
    description: Seconds Helm waits for each test pod.
    type: int
    default: 300
notes:
  - In check mode nothing runs (the release may not even be installed yet).
requirements:
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: The release's tests pass
  fclairamb.dbbat.release_test:
    release_name: dbbat
    release_namespace: dbbat
"""

RETURN = r"""
tests:
  description: Each test pod and the phase Helm reports for it.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The test pod.
      type: str
    phase:
      description: V(Succeeded) or V(Failed).
      type: str
output:
  description: What helm printed.
  returned: always
  type: str
"""

import re

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import cluster_helm, release_argument_spec

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    pass

_SUITE = re.compile(r"^TEST SUITE:\s+(\S+)\s*$(?:(?!^TEST SUITE:).)*?^Phase:\s+(\S+)", re.M | re.S)


def parse_tests(output):
    """[{"name", "phase"}] from `helm test`'s output (Helm 3 and 4 print one block a test pod)."""
    return [{"name": name, "phase": phase} for name, phase in _SUITE.findall(output or "")]


def main():
    spec = release_argument_spec(timeout=dict(type="int", default=300), binary_path=dict(type="path"))
    # helm only: no check of the Kubernetes client nor PyYAML, whose version checks import both
    # (kubernetes.core's gather_versions), at a cost above that of helm test itself.
    module = AnsibleK8SModule(argument_spec=spec, supports_check_mode=True, check_k8s=False, check_pyyaml=False)
    p = module.params
    if module.check_mode:
        module.exit_json(changed=False, tests=[], output="")
    try:
        helm, env = cluster_helm(module)
        rc, out, err = helm.run(helm_cli.test_argv(helm.binary, p["release_name"], p["release_namespace"], p["timeout"]),
                                env=env)
    except helm_cli.HelmError as exc:
        module.fail_json(msg=exc.message, tests=[], output="")
    tests = parse_tests(out + "\n" + err)
    if rc != 0:
        failed = [t["name"] for t in tests if t["phase"] != "Succeeded"]
        module.fail_json(msg="helm test of release %s failed%s: %s"
                         % (p["release_name"], " (%s)" % ", ".join(failed) if failed else "",
                            helm_cli.last_error_line(err or out)), tests=tests, output=out + err)
    module.exit_json(changed=False, tests=tests, output=out)


if __name__ == "__main__":
    main()
