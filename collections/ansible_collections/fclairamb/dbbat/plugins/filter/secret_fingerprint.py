# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret_fingerprint
short_description: The collection's fingerprint of a Secret's data
version_added: 1.1.0
description:
  - SHA-256 over a Secret's data (its base64 values as the API returns them), as JSON with sorted
    keys, limited to O(keys) when given. The fingerprint that pods carry in the annotation
    C(dbbat.fclairamb.github.io/secret-sha256) and that P(fclairamb.dbbat.release_plan#module)
    returns, so that a playbook compares its own data with a Secret without showing either.
author:
  - Florent Clairambault (@fclairamb)
options:
  _input:
    description: The Secret's data.
    type: dict
    required: true
  keys:
    description: The keys the fingerprint covers; all when omitted.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Whether the cluster's Secret holds the backup's data
  ansible.builtin.debug:
    msg: "{{ backup.data | fclairamb.dbbat.secret_fingerprint == plan.secret.fingerprint }}"
"""

RETURN = r"""
_value:
  description: The SHA-256, in hexadecimal.
  type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint


class FilterModule(object):
    def filters(self):
        return {"secret_fingerprint": fingerprint}
