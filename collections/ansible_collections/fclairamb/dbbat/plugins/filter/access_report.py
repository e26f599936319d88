# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: access_report
short_description: What a deploy says at its end, the release's state and how to reach DBBat
version_added: 1.1.0
description:
  - The last message of the P(fclairamb.dbbat.deploy#role) role, from the plan of
    P(fclairamb.dbbat.release_plan#module) and, when Helm ran, its result; no read of the cluster.
  - The release deployed by this run (its revision) or unchanged (its Deployment's ready pods),
    then the address of the API and web UI (the Ingress, or a port-forward) and of the PostgreSQL
    proxy for its Service's type (ClusterIP, NodePort, LoadBalancer with its address).
author:
  - Florent Clairambault (@fclairamb)
positional: inputs, helm_result
options:
  _input:
    description: What P(fclairamb.dbbat.release_plan#module) returned.
    type: dict
    required: true
  inputs:
    description: The role's variables (C(__dbbat_inputs)).
    type: dict
    required: true
  helm_result:
    description: What C(kubernetes.core.helm) returned when it ran in this run; null when it did not.
    type: dict
"""

EXAMPLES = r"""
- name: How to reach DBBat
  ansible.builtin.debug:
    msg: "{{ __dbbat_plan | fclairamb.dbbat.access_report(__dbbat_inputs, __dbbat_helm_result | default(none)) }}"
"""

RETURN = r"""
_value:
  description: The message, one line each.
  type: list
  elements: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_inputs import access_report as report


def access_report(plan, inputs, helm_result=None):
    # A skipped task's result (Helm did not run) is no result.
    if helm_result is not None and helm_result.get("skipped"):
        helm_result = None
    return report(inputs, plan, helm_result)


class FilterModule(object):
    def filters(self):
        return {"access_report": access_report}
