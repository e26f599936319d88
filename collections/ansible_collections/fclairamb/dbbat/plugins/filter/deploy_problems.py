# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: deploy_problems
short_description: What the deploy role refuses in its variables, one message each
version_added: 1.1.0
description:
  - The checks of the P(fclairamb.dbbat.deploy#role) role's preflight that its argument spec cannot
    express (an exact chart version, a storage database, a well-formed encryption key, no secret in
    C(dbbat_values), the Ingress host, the autoscaler's bounds, no kube context next to an AWX
    credential), each problem a message that names the variable and the fix.
  - Runs on the controller, before anything reads the cluster; secrets are never part of a message.
  - The same checks as P(fclairamb.dbbat.release_plan#module) makes of its O(fclairamb.dbbat.release_plan#module:inputs).
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - fclairamb.dbbat.deploy_inputs
"""

EXAMPLES = r"""
- name: Refuse a bad inventory
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ __dbbat_inputs | fclairamb.dbbat.deploy_problems(__dbbat_secret_inputs) }}"
"""

RETURN = r"""
_value:
  description: The problems, one message each; empty when there is none.
  type: list
  elements: str
"""

import os

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_inputs import inventory_problems


def deploy_problems(inputs, secrets=None):
    # An AWX Kubernetes credential sets K8S_AUTH_HOST in the controller's environment.
    return inventory_problems(dict(inputs, **(secrets or {})), k8s_auth_host=bool(os.environ.get("K8S_AUTH_HOST")))


class FilterModule(object):
    def filters(self):
        return {"deploy_problems": deploy_problems}
