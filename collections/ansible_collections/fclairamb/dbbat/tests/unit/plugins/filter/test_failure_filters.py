# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The failure filters hand the role's facts (Helm's output) to plugins/module_utils/failure_report.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fclairamb.dbbat.plugins.filter.helm_failure import helm_failure

MIGRATION = ("Error: INSTALLATION FAILED: release dbbat failed, and has been uninstalled due to rollback-on-failure"
             " being set: failed pre-install: resource Job/ns/dbbat-migrate not ready. status: Failed")


def test_helm_failure_reads_helms_output_and_words_it_for_the_release():
    failure = helm_failure(MIGRATION, release="dbbat", namespace="ns", first_install=True)
    assert failure["hook"] == {"phase": "pre-install", "job": "dbbat-migrate"} and failure["outcome"] == "uninstalled"
    assert failure["migration_intro"].startswith("The migration Job dbbat-migrate")
    assert "so Helm stopped the install of release dbbat" in failure["migration_intro"]
    assert failure["message"].startswith("Helm's install of release dbbat in namespace ns failed: INSTALLATION FAILED")


def test_helm_failure_without_a_release_only_reads():
    failure = helm_failure(MIGRATION)
    assert failure["message"] is None and failure["migration_intro"] is None and failure["outcome"] == "uninstalled"
