# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: encryption_key
short_description: Whether a value is a DBBat encryption key (standard base64 of exactly 32 bytes)
version_added: 1.1.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - True when the input is the standard base64 encoding (alphabet C(A-Z a-z 0-9 + /), C(=)
    padding) of exactly 32 bytes, in canonical form, as C(openssl rand -base64 32) prints it, that is
    44 characters, the last one C(=).
  - False for anything else, including the URL-safe alphabet (C(-) and C(_)), missing padding,
    surrounding whitespace (apply P(ansible.builtin.trim#filter) first to accept a trailing
    newline), and values that are not strings.
  - It is the rule the P(fclairamb.dbbat.deploy#role) role applies to C(dbbat_encryption_key)
    and to C(DBB_KEY) in a Secret managed elsewhere.
  - The test never shows the value; use C(no_log) on tasks that handle the key, as for any secret.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the key without showing it
  ansible.builtin.assert:
    that: dbbat_encryption_key | trim is fclairamb.dbbat.encryption_key
    fail_msg: dbbat_encryption_key must be standard base64 of exactly 32 bytes (`openssl rand -base64 32`)
    quiet: true
  no_log: true
"""

RETURN = r"""
_value:
  description: Whether the input is standard base64 of exactly 32 bytes.
  type: boolean
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import is_encryption_key


def encryption_key(value):
    return is_encryption_key(value)


class TestModule(object):
    def tests(self):
        return {"encryption_key": encryption_key}
