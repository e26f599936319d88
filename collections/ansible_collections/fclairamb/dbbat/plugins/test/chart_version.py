# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: chart_version
short_description: Whether a value is an exact chart version (Semantic Versioning 2)
version_added: 1.1.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - True when the input is a Semantic Versioning 2.0.0 version such as C(1.2.3),
    C(1.2.3-rc.1) or C(1.2.3-rc.1+build.5); false for anything else, including ranges
    (C(^1.0.0)), C(latest), a leading C(v) (C(v1.2.3) is a tag name, not a version), and
    values that are not strings.
  - It is the rule M(fclairamb.dbbat.helm_chart_publish) applies to O(fclairamb.dbbat.helm_chart_publish#module:version),
    and the one the P(fclairamb.dbbat.deploy#role) role applies to C(dbbat_chart_version).
options:
  _input:
    description: The value to test.
    type: raw
    required: true
seealso:
  - name: Semantic Versioning 2.0.0
    description: The specification.
    link: https://semver.org/spec/v2.0.0.html
"""

EXAMPLES = r"""
- name: Refuse a chart version that is not exact
  ansible.builtin.assert:
    that: dbbat_chart_version is fclairamb.dbbat.chart_version
    fail_msg: "dbbat_chart_version must be an exact chart version such as 1.0.0 (got '{{ dbbat_chart_version }}')"

- name: Accept a release tag by dropping its leading v first
  ansible.builtin.assert:
    that: release_tag | regex_replace('^v', '') is fclairamb.dbbat.chart_version
"""

RETURN = r"""
_value:
  description: Whether the input is a Semantic Versioning 2 version.
  type: boolean
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import is_semver


def chart_version(value):
    return is_semver(value)


class TestModule(object):
    def tests(self):
        return {"chart_version": chart_version}
