# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: unknown_variables
short_description: The variables of a role's prefix that are not its options, with the closest option
version_added: 1.1.0
description:
  - Given variable names (for example C(query('ansible.builtin.varnames', '^dbbat_'))) and the
    options of a role, returns those names that are not options, each with the most similar
    option, so that a misspelt inventory variable is reported instead of silently ignored.
author:
  - Florent Clairambault (@fclairamb)
positional: known, ignore_prefixes
options:
  _input:
    description: Variable names to check.
    type: list
    elements: str
    required: true
  known:
    description: The role's options (the names its argument specification declares).
    type: list
    elements: str
    required: true
  ignore_prefixes:
    description: Names starting with one of these are not checked (variables of other playbooks).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Refuse misspelt variables
  vars:
    unknown: "{{ query('ansible.builtin.varnames', '^dbbat_') | fclairamb.dbbat.unknown_variables(options, ['dbbat_publish_']) }}"
  ansible.builtin.assert:
    that: unknown | length == 0
    fail_msg: "{{ unknown | map(attribute='name') | join(', ') }}: not options of the role"
"""

RETURN = r"""
_value:
  description:
    - One entry per unknown name, sorted; C(closest) is null when no option is similar enough.
  type: list
  elements: dict
  contains:
    name: {description: The unknown variable., type: str}
    closest: {description: The most similar option., type: str}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import closest_names


def unknown_variables(names, known, ignore_prefixes=None):
    if not isinstance(names, (list, tuple)) or not isinstance(known, (list, tuple)):
        raise AnsibleFilterError("unknown_variables expects a list of names and a list of known options")
    return closest_names(names, known, ignore_prefixes or ())


class FilterModule(object):
    def filters(self):
        return {"unknown_variables": unknown_variables}
