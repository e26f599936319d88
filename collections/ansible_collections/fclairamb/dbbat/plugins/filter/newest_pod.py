# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: newest_pod
short_description: The most recently created of a list of pods
version_added: 1.1.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - The pod with the latest C(metadata.creationTimestamp), or null when the list is empty. Of the
    pods of a Job that retried, the one whose failure stopped the run.
options:
  _input:
    description: Pods, as P(kubernetes.core.k8s_info#module) returns them (its C(resources)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: The log of the Job's last pod
  kubernetes.core.k8s_log:
    namespace: dbbat
    name: "{{ (job_pods.resources | fclairamb.dbbat.newest_pod).metadata.name }}"
"""

RETURN = r"""
_value:
  description: The newest pod, or null.
  type: dict
"""

from ansible_collections.fclairamb.dbbat.plugins.module_utils.failure_report import newest_pod


class FilterModule(object):
    def filters(self):
        return {"newest_pod": newest_pod}
