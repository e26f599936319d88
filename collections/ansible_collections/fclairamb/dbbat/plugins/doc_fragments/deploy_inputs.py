# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The deploy role's variables, as its filters take them (vars/main.yml builds both dicts).
    DOCUMENTATION = r"""
options:
  _input:
    description: The role's variables (C(dbbat_*), names and values), but for the secrets.
    type: dict
    required: true
  secrets:
    description: The role's secret variables (C(dbbat_encryption_key), C(dbbat_db_password), C(dbbat_db_dsn)...).
    type: dict
    default: {}
"""
