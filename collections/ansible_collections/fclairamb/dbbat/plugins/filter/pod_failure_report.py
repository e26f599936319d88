# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pod_failure_report
short_description: What a failed pod says, after the story of its failure
version_added: 1.1.0
description:
  - Words what a failed pod of a release's hook (the migration Job, the helm test) tells of its
    failure, as the P(fclairamb.dbbat.deploy#role) role reports it; O(intro) first, then the pod's
    phase, the exit code, reason and message of each container that ended, and the last lines of
    its log (what P(kubernetes.core.k8s_log#module) read), or why they could not be read.
  - Without a pod, it says that none is left to look at.
author:
  - Florent Clairambault (@fclairamb)
options:
  _input:
    description: The pod (as P(kubernetes.core.k8s_info#module) returns it), or null when there is none.
    type: dict
    required: true
  intro:
    description: What failed and what it means for the release, said first.
    type: str
    required: true
  what:
    description: What the pod ran, in words (V(migration Job), V(helm test)).
    type: str
    required: true
  log:
    description: The result of P(kubernetes.core.k8s_log#module) for the pod (its C(log_lines), or its C(msg) when it failed).
    type: dict
"""

EXAMPLES = r"""
- name: Explain the failure of the migration Job
  ansible.builtin.fail:
    msg: "{{ pod | fclairamb.dbbat.pod_failure_report(intro='The migration failed.', what='migration Job', log=pod_log) }}"
  vars:
    pod: "{{ job_pods.resources | fclairamb.dbbat.newest_pod }}"
"""

RETURN = r"""
_value:
  description: O(intro), then what the pod says.
  type: str
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.failure_report import pod_failure_report


def _pod_failure_report(pod, intro, what, log=None):
    # A log that could not be read has no lines: k8s_log failed (its msg says why; the role ignores
    # the failure, so its result is not marked failed) or did not run.
    log = log or {}
    return pod_failure_report(intro, what, pod, log.get("log_lines"), log.get("msg"))


class FilterModule(object):
    def filters(self):
        return {"pod_failure_report": _pod_failure_report}
