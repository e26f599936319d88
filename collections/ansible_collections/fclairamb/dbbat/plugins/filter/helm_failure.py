# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: helm_failure
short_description: What Helm's output says of a failed install or upgrade
version_added: 1.1.0
description:
  - Reads the output of a failed C(helm install) or C(helm upgrade) (for example what
    P(kubernetes.core.helm#module) returns) and says why and what became of the release, so
    that a playbook can explain it in its own words.
  - Server-side apply conflicts (Helm 4) are listed with the fields, the field manager that
    changed them (and its subresource, such as C(scale)) and the object.
  - The outcome tells whether the release was rolled back, whether that rollback failed too, or
    whether a failed first install was uninstalled (C(--atomic), C(--rollback-on-failure)).
author:
  - Florent Clairambault (@fclairamb)
options:
  _input:
    description: Helm's output (standard error, or the module's message).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say why the upgrade failed
  ansible.builtin.fail:
    msg: "{{ (failed.stderr | fclairamb.dbbat.helm_failure).cause }}"
"""

RETURN = r"""
_value:
  description: What went wrong.
  type: dict
  contains:
    conflicts:
      description: Server-side apply conflicts, each with C(manager), C(subresource), C(fields) and C(object).
      type: list
      elements: dict
    outcome:
      description: V(rolled_back), V(rollback_failed), V(uninstalled), or null.
      type: str
    cause:
      description: Helm's last C(Error:) line.
      type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import explain_helm_failure


class FilterModule(object):
    def filters(self):
        return {"helm_failure": explain_helm_failure}
