# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of what the deploy role says when Helm or a hook pod stopped it (the e2e tests of
tests/deploy and tests/realnode assert on the same words)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils.failure_report import (
    OUTCOMES,
    helm_action,
    helm_failure_message,
    helm_test_failure_intro,
    migration_failure_intro,
    newest_pod,
    pod_failure_report,
)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import explain_helm_failure

CONFLICT = ('Error: UPGRADE FAILED: conflict occurred while applying object ns/dbbat apps/v1, Kind=Deployment: Apply'
            ' failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas')
MIGRATION = ("Error: UPGRADE FAILED: release dbbat failed, and has been rolled back due to atomic being set:"
             " pre-upgrade hooks failed: 1 error occurred:\n\t* job dbbat-migrate failed: BackoffLimitExceeded")


def pod(name, created, phase="Failed", containers=()):
    return {"metadata": {"name": name, "creationTimestamp": created},
            "status": {"phase": phase, "containerStatuses": list(containers)}}


def ended(name, code, reason="Error", message=None):
    terminated = {"exitCode": code, "reason": reason}
    if message is not None:
        terminated["message"] = message
    return {"name": name, "state": {"terminated": terminated}}


def test_helm_action():
    assert (helm_action(True), helm_action(False)) == ("install", "upgrade")


def test_conflicts_name_the_fields_the_manager_and_the_way_through():
    message = helm_failure_message(explain_helm_failure(CONFLICT), "upgrade", "dbbat", "ns")
    assert message == (
        "Helm 4 stopped the upgrade of release dbbat: fields it manages were changed outside this inventory, by another"
        ' field manager: Deployment ns/dbbat .spec.replicas (by "kubectl", scale subresource). Either make the'
        " inventory ask for what the cluster should have (for example dbbat_replicas for .spec.replicas) and rerun,"
        " or rerun with dbbat_helm_force_conflicts=true to give these fields back to Helm: the change made outside"
        " the inventory is then overwritten.")


def test_several_conflicts_are_separated_and_the_outcome_comes_before_the_advice():
    failure = {"outcome": "rollback_failed", "conflicts": [
        {"manager": "kubectl-edit", "subresource": None, "fields": [".spec.replicas", ".spec.paused"], "object": None},
        {"manager": "kubectl", "subresource": "scale", "fields": [".spec.replicas"], "object": "Deployment ns/dbbat"}]}
    message = helm_failure_message(failure, "upgrade", "dbbat", "ns")
    assert ('field manager: .spec.replicas, .spec.paused (by "kubectl-edit"); Deployment ns/dbbat .spec.replicas'
            ' (by "kubectl", scale subresource). ' + OUTCOMES["rollback_failed"] + " Either make") in message


def test_another_failure_quotes_helms_cause_the_outcome_and_where_to_look():
    failure = explain_helm_failure("Error: UPGRADE FAILED: release dbbat failed, and has been rolled back due to"
                                   " atomic being set: context deadline exceeded")
    assert helm_failure_message(failure, "upgrade", "dbbat", "ns") == (
        "Helm's upgrade of release dbbat in namespace ns failed: UPGRADE FAILED: release dbbat failed, and has been"
        " rolled back due to atomic being set: context deadline exceeded. The release was rolled back (atomic): the"
        " pods of the previous revision keep serving. `helm -n ns history dbbat` and `kubectl -n ns get events` tell"
        " more.")


def test_a_long_cause_is_cut_and_a_missing_one_points_at_the_output():
    long_cause = helm_failure_message({"cause": "x" * 1000, "conflicts": []}, "install", "dbbat", "ns")
    assert "failed: %s. `helm" % ("x" * 600) in long_cause
    assert helm_failure_message({"cause": None, "conflicts": [], "outcome": None}, "install", "dbbat", "ns") == (
        "Helm's install of release dbbat in namespace ns failed: see the output above. `helm -n ns history dbbat`"
        " and `kubectl -n ns get events` tell more.")


def test_the_migration_job_intro_names_the_job_its_hook_and_the_outcome():
    assert migration_failure_intro(explain_helm_failure(MIGRATION), "upgrade", "dbbat") == (
        "The migration Job dbbat-migrate (`dbbat db migrate`, the chart's pre-upgrade hook) failed, so Helm stopped the"
        " upgrade of release dbbat before any pod rolled: the running pods are untouched. The release was rolled back"
        " (atomic): the pods of the previous revision keep serving.")


@pytest.mark.parametrize("output", [CONFLICT, "Error: pre-upgrade hooks failed: timed out waiting", ""])
def test_no_migration_intro_without_a_failed_hook_job(output):
    assert migration_failure_intro(explain_helm_failure(output), "upgrade", "dbbat") is None


def test_the_uninstalled_first_install_is_said():
    failure = explain_helm_failure(
        "Error: INSTALLATION FAILED: release dbbat failed, and has been uninstalled due to rollback-on-failure being"
        " set: failed pre-install: resource Job/ns/dbbat-migrate not ready. status: Failed")
    intro = migration_failure_intro(failure, "install", "dbbat")
    assert "the chart's pre-install hook) failed, so Helm stopped the install of release dbbat" in intro
    assert intro.endswith(OUTCOMES["uninstalled"])


def test_a_failed_test_pod_is_told_from_a_test_that_could_not_run():
    failed = helm_test_failure_intro([{"name": "dbbat-test", "phase": "Failed"}], "helm test of release dbbat failed",
                                     "dbbat", "ns", "dbbat-secrets")
    assert failed == (
        "Release dbbat is deployed, but its test failed: `dbbat db status` could not reach the storage database with"
        " the DSN and the key of Secret ns/dbbat-secrets (check dbbat_db_* and the database), or the schema is not"
        " what this DBBat expects. The failed test pod is kept.")
    assert helm_test_failure_intro([], "timed out waiting for the condition", "dbbat", "ns", "s") == (
        "Release dbbat is deployed, but its test could not run: timed out waiting for the condition")
    assert helm_test_failure_intro(None, None, "dbbat", "ns", "s") == "Release dbbat is deployed, but its test could not run: "


def test_the_newest_pod_is_the_last_created():
    pods = [pod("b", "2026-01-01T10:00:02Z"), pod("c", "2026-01-01T10:00:03Z"), pod("a", "2026-01-01T10:00:01Z")]
    assert newest_pod(pods)["metadata"]["name"] == "c"
    assert newest_pod([]) is None and newest_pod(None) is None


def test_the_report_says_how_each_container_ended_and_the_last_lines_of_the_log():
    failed = pod("dbbat-migrate-x", "t", containers=[
        ended("dbbat", 3, message="migration 42 failed"), ended("sidecar", 0, reason="Completed"),
        {"name": "waiting", "state": {"waiting": {"reason": "PodInitializing"}}}])
    report = pod_failure_report("The migration Job failed.", "migration Job", failed, ["first", "second", ""])
    assert report == (
        "The migration Job failed. Pod dbbat-migrate-x: Failed, container dbbat exited 3 (Error: migration 42 failed),"
        " container sidecar exited 0 (Completed). Last lines of its log: first | second")


def test_the_report_says_why_the_log_is_missing():
    failed = pod("p", "t", phase=None)
    assert pod_failure_report("Intro.", "helm test", failed, None, "pods \"p\" not found") == \
        'Intro. Pod p: ?. Its log could not be read (pods "p" not found).'
    assert pod_failure_report("Intro.", "helm test", failed) == "Intro. Pod p: ?. Its log could not be read (no log)."
    assert pod_failure_report("Intro.", "helm test", failed, [""]) == "Intro. Pod p: ?. Its log is empty."


def test_no_pod_left():
    assert pod_failure_report("Intro.", "migration Job", None) == "Intro. No migration Job pod is left to look at."
