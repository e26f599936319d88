# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: deploy_warnings
short_description: What the deploy role warns of in its variables instead of refusing it
version_added: 1.1.0
description:
  - With C(dbbat_allow_unknown_variables), the C(dbbat_) variables that are no option of the
    P(fclairamb.dbbat.deploy#role) role, each with the closest option, which
    P(fclairamb.dbbat.deploy_problems#filter) refuses otherwise.
author:
  - Florent Clairambault (@fclairamb)
positional: variables
options:
  _input:
    description: The role's variables (C(dbbat_*), names and values); C(dbbat_allow_unknown_variables) is read.
    type: dict
    required: true
  variables:
    description: The names of the inventory's C(dbbat_) variables.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Warn of unknown variables
  ansible.builtin.debug:
    msg: "{{ warnings }}"
  vars:
    warnings: "{{ __dbbat_inputs | fclairamb.dbbat.deploy_warnings(query('ansible.builtin.varnames', '^dbbat_')) }}"
  when: warnings | length > 0
"""

RETURN = r"""
_value:
  description: The warnings, one line each; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_inputs import unknown_variables_warning


def deploy_warnings(inputs, variables=None):
    warning = unknown_variables_warning(inputs, variables or ())
    return [warning] if warning else []


class FilterModule(object):
    def filters(self):
        return {"deploy_warnings": deploy_warnings}
