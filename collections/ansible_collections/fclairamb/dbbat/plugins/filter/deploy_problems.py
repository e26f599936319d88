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
  - The checks of the P(fclairamb.dbbat.deploy#role) role's entry points that their argument specs
    cannot express, each problem a message that names the variable and the fix.
  - For every entry point, C(dbbat_) variables that are no option of the role (typos, with the
    closest option; unless C(dbbat_allow_unknown_variables)) and names the API server or Helm would
    refuse (C(dbbat_namespace), C(dbbat_release_name), C(dbbat_secret_name)).
  - For C(main) (deploy), an exact chart version, a storage database, a well-formed encryption key,
    no secret in C(dbbat_values), the Ingress host, the autoscaler's bounds, no kube context next to
    an AWX credential; the same checks as P(fclairamb.dbbat.release_plan#module) makes of its
    O(fclairamb.dbbat.release_plan#module:inputs).
  - For C(backup_key) and C(restore_key), the backup file and the vault password file (O(files)) and
    the vault id.
  - Runs on the controller, before anything reads the cluster; secrets are never part of a message.
author:
  - Florent Clairambault (@fclairamb)
positional: secrets, variables, entry_point, files
options:
  variables:
    description:
      - The names of the inventory's C(dbbat_) variables, for example
        C(query('ansible.builtin.varnames', '^dbbat_')); none are checked when empty.
    type: list
    elements: str
    default: []
  entry_point:
    description: The entry point of the role whose checks apply.
    type: str
    choices: [main, backup_key, restore_key, drift, rollback]
    default: main
  files:
    description: For C(backup_key) and C(restore_key), what P(fclairamb.dbbat.backup_files#filter) returns.
    type: dict
extends_documentation_fragment:
  - fclairamb.dbbat.deploy_inputs
"""

EXAMPLES = r"""
- name: Refuse a bad inventory
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ __dbbat_inputs | fclairamb.dbbat.deploy_problems(__dbbat_secret_inputs,
         query('ansible.builtin.varnames', '^dbbat_')) }}
"""

RETURN = r"""
_value:
  description: The problems, one message each; empty when there is none.
  type: list
  elements: str
"""

import os

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_inputs import day2_problems, inventory_problems


def deploy_problems(inputs, secrets=None, variables=None, entry_point="main", files=None):
    if entry_point != "main":
        return day2_problems(entry_point, inputs, variables, files)
    # An AWX Kubernetes credential sets K8S_AUTH_HOST in the controller's environment.
    return inventory_problems(dict(inputs, **(secrets or {})), k8s_auth_host=bool(os.environ.get("K8S_AUTH_HOST")),
                              variables=variables)


class FilterModule(object):
    def filters(self):
        return {"deploy_problems": deploy_problems}
