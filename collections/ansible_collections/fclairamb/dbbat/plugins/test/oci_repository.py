# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: oci_repository
short_description: Whether a value is a valid OCI repository path
version_added: 1.1.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - True when the input is a repository path of the OCI distribution specification, such as
    C(fclairamb/charts), that is components separated by C(/), each made of lowercase letters and
    digits joined by C(.), C(_), C(__) or runs of C(-). False for anything else, including upper case,
    a leading or trailing C(/), an empty component, a host name with a port, and values that are
    not strings.
  - It is the rule M(fclairamb.dbbat.helm_chart_publish) applies to the path of
    O(fclairamb.dbbat.helm_chart_publish#module:registry).
options:
  _input:
    description: The value to test.
    type: raw
    required: true
seealso:
  - name: OCI distribution specification
    description: The repository name rule (C(<name>)).
    link: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
"""

EXAMPLES = r"""
- name: Refuse a repository path the registry would refuse
  ansible.builtin.assert:
    that: charts_repository is fclairamb.dbbat.oci_repository
    fail_msg: "charts_repository must be a lowercase OCI repository path, e.g. fclairamb/charts (got '{{ charts_repository }}')"
"""

RETURN = r"""
_value:
  description: Whether the input is a valid OCI repository path.
  type: boolean
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import is_oci_repository


def oci_repository(value):
    return is_oci_repository(value)


class TestModule(object):
    def tests(self):
        return {"oci_repository": oci_repository}
