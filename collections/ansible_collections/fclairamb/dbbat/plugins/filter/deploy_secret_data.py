# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: deploy_secret_data
short_description: The data of the Secret the deploy role writes
version_added: 1.1.0
description:
  - From the P(fclairamb.dbbat.deploy#role) role's variables, the data of the Secret the chart
    reads, base64 as in the API, C(DBB_KEY) the encryption key (trimmed) and C(DBB_DSN)
    C(dbbat_db_dsn), or the DSN built from C(dbbat_db_host) and the other parts, the user, password
    and database name URL-escaped (C(/) included).
  - Its result is a secret; give it to a C(no_log) option only.
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - fclairamb.dbbat.deploy_inputs
"""

EXAMPLES = r"""
- name: The Secret of the key and the DSN
  fclairamb.dbbat.namespace_and_secret:
    namespace:
      name: dbbat
    secret:
      name: dbbat-secrets
      data: "{{ __dbbat_inputs | fclairamb.dbbat.deploy_secret_data(__dbbat_secret_inputs) }}"
"""

RETURN = r"""
_value:
  description: C(DBB_KEY) and C(DBB_DSN), base64-encoded.
  type: dict
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_inputs import secret_data


def deploy_secret_data(inputs, secrets=None):
    return secret_data(dict(inputs, **(secrets or {})))


class FilterModule(object):
    def filters(self):
        return {"deploy_secret_data": deploy_secret_data}
