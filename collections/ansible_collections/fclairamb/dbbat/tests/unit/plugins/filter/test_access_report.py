# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The access_report filter: a skipped helm task is a run where Helm did not run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fclairamb.dbbat.plugins.filter.access_report import access_report

PLAN = {"services": [], "deployment": {"name": "dbbat", "ready": 1, "replicas": 2}}


def test_a_skipped_helm_task_reports_the_release_unchanged():
    assert access_report(PLAN, {}, {"skipped": True, "changed": False}) == [
        "DBBat release dbbat is unchanged in namespace dbbat: Deployment dbbat, 1/2 pods ready."]
    assert access_report(PLAN, {}, None) == access_report(PLAN, {}, {"skipped": True})
    assert access_report(PLAN, {}, {"status": {"revision": 2}})[0].startswith("DBBat release dbbat is deployed")
