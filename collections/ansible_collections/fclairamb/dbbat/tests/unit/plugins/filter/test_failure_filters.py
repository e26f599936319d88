# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The failure filters hand the role's facts (Helm's output, the registered results of
release_test and k8s_log) to plugins/module_utils/failure_report.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fclairamb.dbbat.plugins.filter.helm_failure import helm_failure
from ansible_collections.fclairamb.dbbat.plugins.filter.helm_test_failure import helm_test_failure
from ansible_collections.fclairamb.dbbat.plugins.filter.newest_pod import FilterModule as NewestPod
from ansible_collections.fclairamb.dbbat.plugins.filter.pod_failure_report import FilterModule as PodFailureReport

MIGRATION = ("Error: INSTALLATION FAILED: release dbbat failed, and has been uninstalled due to rollback-on-failure"
             " being set: failed pre-install: resource Job/ns/dbbat-migrate not ready. status: Failed")
POD = {"metadata": {"name": "dbbat-test", "creationTimestamp": "t"}, "status": {"phase": "Failed"}}


def test_helm_failure_reads_helms_output_and_words_it_for_the_release():
    failure = helm_failure(MIGRATION, release="dbbat", namespace="ns", first_install=True)
    assert failure["hook"] == {"phase": "pre-install", "job": "dbbat-migrate"} and failure["outcome"] == "uninstalled"
    assert failure["migration_intro"].startswith("The migration Job dbbat-migrate")
    assert "so Helm stopped the install of release dbbat" in failure["migration_intro"]
    assert failure["message"].startswith("Helm's install of release dbbat in namespace ns failed: INSTALLATION FAILED")


def test_helm_failure_without_a_release_only_reads():
    failure = helm_failure(MIGRATION)
    assert failure["message"] is None and failure["migration_intro"] is None and failure["outcome"] == "uninstalled"


def test_helm_test_failure_reads_release_tests_result():
    result = {"failed": True, "msg": "helm test of release dbbat failed", "tests": [{"name": "t", "phase": "Failed"}]}
    assert "its test failed" in helm_test_failure(result, "dbbat", "ns", "dbbat-secrets")
    assert helm_test_failure({"failed": True, "msg": "no helm"}, "dbbat", "ns", "s").endswith(
        "could not run: no helm")


def test_pod_failure_report_reads_k8s_logs_result():
    report = PodFailureReport().filters()["pod_failure_report"]
    assert report(POD, "Intro.", "helm test", {"changed": False, "log": "a\nb\n", "log_lines": ["a", "b", ""]}) == \
        "Intro. Pod dbbat-test: Failed. Last lines of its log: a | b"
    # k8s_log failed, and failed_when: false took the failure off its result
    assert report(POD, "Intro.", "helm test", {"failed": False, "msg": "Forbidden"}).endswith(
        "Its log could not be read (Forbidden).")
    assert report(None, "Intro.", "helm test", {"skipped": True}) == "Intro. No helm test pod is left to look at."
    assert NewestPod().filters()["newest_pod"]([POD]) is POD
