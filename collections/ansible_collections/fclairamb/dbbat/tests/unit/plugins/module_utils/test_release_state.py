# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Pure logic of the release plan: Helm's records, fingerprints, refusals traced to variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import json

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import release_state as rs

SOURCES = {"replicaCount": "dbbat_replicas", "podDisruptionBudget.minAvailable": "dbbat_pdb_min_available",
           "podDisruptionBudget.enabled": "dbbat_pdb_enabled", "service.proxy.type": "dbbat_proxy_service_type"}


def record(version, status, values=None, chart="1.0.0", app="0.25.2", compress=True):
    release = {"version": version, "info": {"status": status, "last_deployed": "2026-11-30T00:00:00Z"},
               "chart": {"metadata": {"version": chart, "appVersion": app}}, "config": values or {}}
    raw = json.dumps(release).encode()
    if compress:
        raw = gzip.compress(raw)
    return {"data": {"release": base64.b64encode(base64.b64encode(raw)).decode()}}


def test_decode_release_gzip_and_plain():
    assert rs.decode_release(record(3, "deployed"))["version"] == 3
    assert rs.decode_release(record(4, "failed", compress=False))["info"]["status"] == "failed"


# An interrupted upgrade or rollback leaves the revision it was making pending, and the one that
# was running "deployed" (Helm supersedes it only once the new one is ready).
@pytest.mark.parametrize("status", ["pending-upgrade", "pending-rollback"])
def test_release_state_current_pending_and_last_deployed(status):
    assert rs.release_state([]) is None
    raw = (record(1, "superseded", chart="0.9.0"), record(2, "deployed"),
           record(3, status, {"replicaCount": 2}))
    records = [rs.decode_release(r) for r in raw]
    state = rs.release_state(list(reversed(records)))
    assert (state["revision"], state["status"], state["pending"]) == (3, status, True)
    assert state["release_values"] == {"replicaCount": 2}
    assert state["last_deployed"] == {"revision": 2, "chart_version": "1.0.0", "app_version": "0.25.2"}
    never = rs.release_state([rs.decode_release(record(1, "pending-install"))])
    assert never["pending"] and never["last_deployed"] is None


def test_helm_needed():
    deployed = {"status": "deployed", "chart_version": "1.0.0", "release_values": {"a": 1}}
    assert rs.helm_needed(None, {}, "1.0.0") == "install"
    assert rs.helm_needed(deployed, {"a": 1}, "1.0.0") is None
    assert rs.helm_needed(deployed, {"a": 2}, "1.0.0") == "values"
    assert rs.helm_needed(deployed, {"a": 1}, "1.1.0") == "chart 1.0.0 -> 1.1.0"
    assert rs.helm_needed(deployed, {"a": 1}, None) is None, "a local chart folder has no version to compare"
    assert rs.helm_needed(dict(deployed, status="failed"), {"a": 1}, "1.0.0") == "status failed"


def test_fingerprint_is_the_roles_text():
    data = {"DBB_KEY": "a2V5", "DBB_DSN": "ZHNu", "EXTRA": "eA=="}
    # the role hashes `data | to_json(sort_keys=true)`: json.dumps with sorted keys
    import hashlib
    expected = hashlib.sha256(json.dumps({"DBB_DSN": "ZHNu", "DBB_KEY": "a2V5"}, sort_keys=True).encode()).hexdigest()
    assert rs.fingerprint(data, ["DBB_KEY", "DBB_DSN"]) == expected
    assert rs.fingerprint(data) != expected


def test_schema_refusals_name_the_value_and_the_variable():
    stderr = ("Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
              "dbbat:\n- at '/replicaCount': got string, want integer\n"
              "- at '/service/proxy': additional properties 'tipe' not allowed\n")
    problems = rs.explain_refusal(stderr, {"service": {"proxy": {"tipe": "LB"}}}, SOURCES)
    assert problems == [
        {"values": ["replicaCount"], "variables": ["dbbat_replicas"], "message": "got string, want integer"},
        {"values": ["service.proxy.tipe"], "variables": ["dbbat_values.service.proxy.tipe"],
         "message": "additional properties 'tipe' not allowed"},
    ]


def test_chart_fail_messages_name_every_value_they_mention():
    stderr = ("Error: execution error at (dbbat/templates/_validation.tpl:12:4): podDisruptionBudget.minAvailable (1) "
              "with replicaCount 1 allows no voluntary disruption: node drains would hang.")
    (problem,) = rs.explain_refusal(stderr, {}, SOURCES)
    assert problem["values"] == ["podDisruptionBudget.minAvailable", "replicaCount"]
    assert problem["variables"] == ["dbbat_pdb_min_available", "dbbat_replicas"]
    assert problem["message"].startswith("podDisruptionBudget.minAvailable (1)")


def test_values_from_dbbat_values_are_named_there():
    assert rs.value_source("replicaCount", {"replicaCount": 3}, SOURCES) == "dbbat_values.replicaCount"
    assert rs.value_source("image.digest", {}, SOURCES) is None
    assert rs.value_source("podDisruptionBudget.minAvailable.x", {}, SOURCES) == "dbbat_pdb_min_available"


def test_other_failures_keep_helms_last_line():
    (problem,) = rs.explain_refusal("Error: something else\n", {}, SOURCES)
    assert problem == {"values": [], "variables": [], "message": "Error: something else"}


def test_helm_failure_names_conflicts_in_both_forms_and_the_outcome():
    single = ('Error: UPGRADE FAILED: an error occurred while rolling back the release. original upgrade error: conflict'
              ' occurred while applying object ns/dbbat apps/v1, Kind=Deployment: Apply failed with 1 conflict: conflict'
              ' with "kubectl" with subresource "scale" using apps/v1: .spec.replicas')
    found = rs.explain_helm_failure(single)
    assert found["conflicts"] == [{"manager": "kubectl", "subresource": "scale", "fields": [".spec.replicas"],
                                   "object": "Deployment ns/dbbat"}]
    assert found["outcome"] == "rollback_failed"
    several = ('Error: UPGRADE FAILED: conflict occurred while applying object ns/dbbat apps/v1, Kind=Deployment: Apply'
               ' failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n'
               '- .spec.template.spec.containers[name="dbbat"].image')
    assert rs.explain_helm_failure(several)["conflicts"][0]["fields"] == [
        ".spec.replicas", '.spec.template.spec.containers[name="dbbat"].image']


def test_helm_failure_outcomes_and_cause():
    assert rs.explain_helm_failure("Error: UPGRADE FAILED: release dbbat failed, and has been rolled back due to"
                                   " atomic being set: context deadline exceeded")["outcome"] == "rolled_back"
    uninstalled = rs.explain_helm_failure("Error: release dbbat failed, and has been uninstalled due to"
                                          " rollback-on-failure being set: timed out")
    assert uninstalled["outcome"] == "uninstalled" and uninstalled["cause"].startswith("release dbbat failed")
    assert rs.explain_helm_failure("nothing useful") == {"conflicts": [], "hook": None, "outcome": None, "cause": None}


def test_helm_failure_names_the_failed_hook_job_in_both_majors():
    helm3 = ("Error: UPGRADE FAILED: release dbbat failed, and has been rolled back due to atomic being set:"
             " pre-upgrade hooks failed: 1 error occurred:\n\t* job dbbat-migrate failed: BackoffLimitExceeded")
    helm4 = ("Error: UPGRADE FAILED: release dbbat failed, and has been rolled back due to rollback-on-failure being"
             " set: pre-upgrade hooks failed: resource Job/ns/dbbat-migrate not ready. status: Failed")
    for text in (helm3, helm4):
        found = rs.explain_helm_failure(text)
        assert found["hook"] == {"phase": "pre-upgrade", "job": "dbbat-migrate"} and found["outcome"] == "rolled_back"


def test_helm_failure_names_the_failed_hook_job_of_a_first_install_with_helm_4():
    # As Helm 4.3 said it on the local cluster's real node, the Job's pod refused by PostgreSQL.
    text = ("Error: INSTALLATION FAILED: release dbbat failed, and has been uninstalled due to rollback-on-failure"
            " being set: failed pre-install: resource Job/ns/dbbat-migrate not ready. status: Failed, message:"
            " Job Failed. failed: 1/1")
    found = rs.explain_helm_failure(text)
    assert found["hook"] == {"phase": "pre-install", "job": "dbbat-migrate"} and found["outcome"] == "uninstalled"


def test_an_unknown_key_is_named_itself():
    stderr = ("Error: values don't meet the specifications of the schema(s) in the following chart(s):\ndbbat:\n"
              "- at '': additional properties 'serivce' not allowed\n")
    assert rs.explain_refusal(stderr, {"serivce": {"a": 1}}, SOURCES)[0]["values"] == ["serivce"]


def test_rollback_plan_targets_the_last_deployed_revision_and_the_newest_version_ran():
    records = [rs.decode_release(r) for r in (
        record(1, "superseded", app="0.25.2"), record(2, "superseded", {"image": {"tag": "0.26.0"}}),
        record(3, "failed", {"image": {"tag": "0.27.0-rc.1"}}), record(4, "deployed", {"replicaCount": 2}))]
    plan = rs.rollback_plan(records)
    assert (plan["current"]["revision"], plan["target"]["revision"]) == (4, 2)
    assert plan["target"]["app_version"] == "0.26.0", "the image tag of the values is what DBBat runs"
    assert (plan["schema_app_version"], plan["schema_revision"]) == ("0.27.0-rc.1", 3), "failed upgrades count"
    assert plan["downgrade"] == {"reason": "older"}
    assert rs.rollback_plan(records, 1)["target"]["app_version"] == "0.25.2"
    assert rs.rollback_plan(records, 3)["downgrade"] is None, "the newest version itself is no downgrade"


def test_rollback_plan_refuses_what_cannot_be():
    with pytest.raises(ValueError, match="not installed"):
        rs.rollback_plan([])
    with pytest.raises(ValueError, match="no earlier revision was deployed"):
        rs.rollback_plan([rs.decode_release(record(1, "deployed"))])
    with pytest.raises(ValueError, match="revision 9 is not in the release's history"):
        rs.rollback_plan([rs.decode_release(record(1, "deployed"))], 9)


def test_version_order():
    assert rs.version_key("0.25.2") < rs.version_key("0.26.0-rc.1") < rs.version_key("0.26.0")
    assert rs.version_key("v1.10.0") > rs.version_key("1.9.9") and rs.version_key("latest") < rs.version_key("0.0.1")


def _tags(*versions):
    """A history whose revision N (from 1) runs ``versions[N - 1]``, as an image tag of its values."""
    return [rs.decode_release(record(n, "superseded", {"image": {"tag": v}} if v else {}, app="0.25.2"))
            for n, v in enumerate(versions, 1)]


def test_is_version():
    assert all(rs.is_version(v) for v in ("0.25.2", "v1.2.0", "1.2.3-rc.1"))
    assert not any(rs.is_version(v) for v in ("latest", "main", "sha256:" + "a" * 64, "1.2", "", None))


@pytest.mark.parametrize("versions, target, tags, revisions", [
    (("0.25.2", "latest"), 1, ["latest"], [(2, "latest")]),                   # from a tag: it may be newer
    (("latest", "0.25.2"), 1, ["latest"], [(2, "0.25.2")]),                   # to a tag: it may be older
    (("0.26.0", "main", "0.25.2"), 3, ["main"], [(2, "main")]),               # a tag ran in between
    (("sha256:" + "a" * 64, "0.25.2"), 1, ["sha256:" + "a" * 64], [(2, "0.25.2")]),
    (("latest", "main"), 1, ["latest", "main"], [(2, "main")]),
], ids=["from-latest", "to-latest", "main-in-between", "to-digest", "latest-to-main"])
def test_rollback_plan_cannot_order_a_tag_that_is_not_a_version(versions, target, tags, revisions):
    plan = rs.rollback_plan(_tags(*versions), target)
    assert plan["downgrade"] == {"reason": "unordered", "tags": tags, "revisions": revisions}


def test_rollback_plan_same_tag_everywhere_is_no_downgrade():
    assert rs.rollback_plan(_tags("latest", "latest"), 1)["downgrade"] is None, "the same string: the same DBBat"
    assert rs.rollback_plan(_tags("0.26.0", "0.25.2", "0.26.0"), 1)["downgrade"] is None


def test_rollback_refusal_names_the_tag_and_the_variable_that_allows_it():
    allow = "dbbat_rollback_allow_schema_downgrade=true for the role"
    assert rs.rollback_refusal(rs.rollback_plan(_tags("0.25.2", "0.25.2"), 1), "ns/dbbat", allow) is None
    message = rs.rollback_refusal(rs.rollback_plan(_tags("0.25.2", "latest"), 1), "ns/dbbat", allow)
    assert message.startswith("Refusing to roll release ns/dbbat back to revision 1: it runs DBBat 0.25.2,"
                              " while revision 2 ran DBBat latest. 'latest' is not a version")
    assert message.endswith("rerun with the schema downgrade allowed (%s)." % allow)
    message = rs.rollback_refusal(rs.rollback_plan(_tags("0.25.2", "0.26.0"), 1), "ns/dbbat", allow)
    assert "it runs DBBat 0.25.2, older than DBBat 0.26.0 (revision 2)" in message and allow in message


def test_rollback_summary_says_revisions_versions_and_values():
    current = {"revision": 3, "chart_version": "1.1.0", "app_version": "0.4.0",
               "release_values": {"image": {"tag": "0.4.0"}, "replicaCount": 2, "same": 1}}
    target = {"revision": 2, "chart_version": "1.0.0", "app_version": "0.3.2",
              "release_values": {"image": {"tag": "0.3.2"}, "same": 1, "ingress": {}}}
    assert rs.rollback_summary("dbbat", "prod", {"current": current, "target": target}) == [
        "Release dbbat in namespace prod: revision 3 (chart 1.1.0, DBBat 0.4.0) back to revision 2 (chart 1.0.0,"
        " DBBat 0.3.2).",
        "Chart values that change: image, ingress, replicaCount."]
    same = {"current": current, "target": dict(current, revision=1)}
    assert rs.rollback_summary("dbbat", "prod", same)[1] == "Chart values that change: none."
