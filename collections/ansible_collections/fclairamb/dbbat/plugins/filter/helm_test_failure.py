# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: helm_test_failure
short_description: Why a release's helm test failed, in words
version_added: 1.1.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - Reads the result of a failed P(fclairamb.dbbat.release_test#module) and says, as the
    P(fclairamb.dbbat.deploy#role) role reports it, whether a test pod ran and failed (DBBat could
    not reach its storage database with the Secret's DSN and key, or found another schema) or
    the test could not run at all (and why).
  - What the failed test pod itself says is for P(fclairamb.dbbat.pod_failure_report#filter) to add.
options:
  _input:
    description: The failed result of P(fclairamb.dbbat.release_test#module) (C(tests) and C(msg)).
    type: dict
    required: true
  release:
    description: The release's name.
    type: str
    required: true
  namespace:
    description: The release's namespace.
    type: str
    required: true
  secret_name:
    description: The name of the Secret that holds DBBat's DSN and key.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say why the test failed
  ansible.builtin.fail:
    msg: "{{ ansible_failed_result | fclairamb.dbbat.helm_test_failure('dbbat', 'dbbat', 'dbbat-secrets') }}"
"""

RETURN = r"""
_value:
  description: What became of the release and why its test failed.
  type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.failure_report import helm_test_failure_intro


def helm_test_failure(result, release, namespace, secret_name):
    return helm_test_failure_intro(result.get("tests"), result.get("msg"), release, namespace, secret_name)


class FilterModule(object):
    def filters(self):
        return {"helm_test_failure": helm_test_failure}
