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
  - Given the release's name and namespace, it also words the failure as the
    P(fclairamb.dbbat.deploy#role) role reports it.
author:
  - Florent Clairambault (@fclairamb)
options:
  _input:
    description: Helm's output (standard error, or the module's message).
    type: str
    required: true
  release:
    description: The release's name, for RV(_value.message) and RV(_value.migration_intro).
    type: str
  namespace:
    description: The release's namespace, for RV(_value.message).
    type: str
  first_install:
    description: Whether Helm was installing the release (it did not exist), rather than upgrading it.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Say why the upgrade failed
  ansible.builtin.fail:
    msg: "{{ (failed.stderr | fclairamb.dbbat.helm_failure).cause }}"

- name: Say it as the deploy role does
  ansible.builtin.fail:
    msg: "{{ (failed.stderr | fclairamb.dbbat.helm_failure(release='dbbat', namespace='dbbat')).message }}"
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
    hook:
      description: The failed hook, with its C(phase) (such as C(pre-upgrade)) and C(job) (the Job's name, or null); null when no hook failed.
      type: dict
    outcome:
      description: V(rolled_back), V(rollback_failed), V(uninstalled), or null.
      type: str
    cause:
      description: Helm's last C(Error:) line.
      type: str
    message:
      description:
        - Why Helm stopped, what became of the release, and what to do (the conflicts and
          C(dbbat_helm_force_conflicts), or the cause with C(helm history) and C(kubectl get events)).
        - Null without O(release).
      type: str
    migration_intro:
      description:
        - The story of the failed migration Job (the chart's hook) that stopped Helm, to be followed
          by what its pod says.
        - Null when no hook Job failed, or without O(release).
      type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.failure_report import (
    helm_action, helm_failure_message, migration_failure_intro)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import explain_helm_failure


def helm_failure(output, release=None, namespace=None, first_install=False):
    failure = explain_helm_failure(output)
    action = helm_action(first_install)
    told = release is not None
    return dict(failure,
                message=helm_failure_message(failure, action, release, namespace) if told else None,
                migration_intro=migration_failure_intro(failure, action, release) if told else None)


class FilterModule(object):
    def filters(self):
        return {"helm_failure": helm_failure}
