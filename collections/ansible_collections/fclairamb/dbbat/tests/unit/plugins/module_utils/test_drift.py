# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Pure logic of release_drift: the manifest's objects, what is compared, how fields are named,
and Secrets' values never returned (the cluster part runs end to end in tests/deploy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.fclairamb.dbbat.plugins.module_utils import drift


def deployment(**changes):
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "dbbat", "namespace": "ns", "uid": "u-1", "resourceVersion": "10", "generation": 1,
                     "creationTimestamp": "2026-11-30T00:00:00Z", "managedFields": [{"manager": "helm"}],
                     "labels": {"app.kubernetes.io/name": "dbbat"},
                     "annotations": {"deployment.kubernetes.io/revision": "1",
                                     "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "dbbat", "image": "ghcr.io/fclairamb/dbbat:0.25.2", "ports": [{"containerPort": 4200}]},
            {"name": "sidecar", "image": "busybox"}]}}},
        "status": {"readyReplicas": 1},
    }
    for path, value in changes.items():
        target = obj
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return obj


def test_current_record_is_the_highest_revision():
    assert drift.current_record([]) is None
    assert drift.current_record([{"version": 2}, {"version": 10}, {"version": 9}])["version"] == 10


def test_manifest_objects_skip_empty_documents_and_unpack_lists():
    manifest = """---
# Source: dbbat/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: dbbat
---
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
"""
    assert [(o["kind"], o["metadata"]["name"]) for o in drift.manifest_objects(manifest)] == [
        ("ServiceAccount", "dbbat"), ("ConfigMap", "a"), ("ConfigMap", "b")]
    assert drift.manifest_objects("") == [] and drift.manifest_objects(None) == []


def test_object_ref():
    assert drift.object_ref("Deployment", "dbbat", "ns") == "Deployment ns/dbbat"
    assert drift.object_ref("ClusterRole", "dbbat") == "ClusterRole dbbat"


def test_nothing_drifts_when_only_server_owned_fields_differ():
    live = deployment()
    release = deployment(metadata__resourceVersion="11", metadata__generation=2, metadata__uid="u-1",
                         metadata__managedFields=[{"manager": "fclairamb.dbbat-drift"}], status={})
    del release["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert drift.object_drift("Deployment", live, release) == []


def test_fields_are_named_by_path_with_named_list_items_and_quoted_keys():
    live = deployment(spec__replicas=3)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "example.org/dbbat:patched"
    live["metadata"]["labels"]["app.kubernetes.io/name"] = "other"
    release = deployment()
    assert drift.object_drift("Deployment", live, release) == [
        {"path": 'metadata.labels["app.kubernetes.io/name"]', "live": "other", "release": "dbbat"},
        {"path": "spec.replicas", "live": 3, "release": 1},
        {"path": "spec.template.spec.containers[name=dbbat].image", "live": "example.org/dbbat:patched",
         "release": "ghcr.io/fclairamb/dbbat:0.25.2"},
    ]


def test_absent_fields_items_and_unnamed_lists():
    release = deployment()
    live = copy.deepcopy(release)
    del live["metadata"]["labels"]
    live["spec"]["template"]["spec"]["containers"].pop()
    live["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 4200}, {"containerPort": 5433}]
    fields = drift.object_drift("Deployment", live, release)
    assert fields == [
        {"path": "metadata.labels", "live": None, "release": {"app.kubernetes.io/name": "dbbat"}},
        {"path": "spec.template.spec.containers[name=dbbat].ports", "live": [{"containerPort": 4200},
                                                                             {"containerPort": 5433}],
         "release": [{"containerPort": 4200}]},
        {"path": "spec.template.spec.containers[name=sidecar]", "live": None,
         "release": {"name": "sidecar", "image": "busybox"}},
    ]
    same_length = drift.differences({"args": ["a", "b"]}, {"args": ["a", "c"]})
    assert same_length == [("args[1]", "b", "c")]


def test_secret_values_are_never_returned():
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"team": "db"}},
            "data": {"DBB_KEY": "c2VjcmV0", "GONE": "eA=="},
            "stringData": None}
    release = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"team": "ops"}},
               "data": {"DBB_KEY": "b3RoZXI=", "NEW": "eQ=="}}
    fields = drift.object_drift("Secret", live, release)
    assert fields == [
        {"path": "data.DBB_KEY", "live": "(hidden)", "release": "(hidden)", "note": "value differs"},
        {"path": "data.GONE", "live": "(hidden)", "release": None, "note": "value differs"},
        {"path": "data.NEW", "live": None, "release": "(hidden)", "note": "value differs"},
        {"path": 'metadata.labels.team', "live": "db", "release": "ops"},
    ]
    text = repr(fields)
    for value in ("c2VjcmV0", "b3RoZXI=", "eA==", "eQ=="):
        assert value not in text
    whole = drift.object_drift("Secret", {"kind": "Secret"}, {"kind": "Secret", "data": {"K": "c2VjcmV0"}})
    assert whole == [{"path": "data", "live": None, "release": "(hidden)", "note": "value differs"}]


def test_kubectl_last_applied_annotation_is_left_out_as_it_may_hold_a_secret():
    live = {"kind": "Secret", "metadata": {"name": "s", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"DBB_KEY":"c2VjcmV0"}}'}}}
    assert drift.object_drift("Secret", live, {"kind": "Secret", "metadata": {"name": "s"}}) == []
    assert drift.comparable(live) == {"kind": "Secret", "metadata": {"name": "s"}}
    assert "annotations" in live["metadata"], "the input is left alone"


RELEASE = {"revision": 2, "status": "deployed", "chart_version": "1.0.0"}
OBJECTS = ["ServiceAccount ns/dbbat", "ConfigMap ns/dbbat", "Deployment ns/dbbat"]


def test_report_of_no_drift():
    report, message = drift.drift_report("dbbat", "ns", RELEASE, OBJECTS, [])
    assert report == ["No drift: the 3 objects of release dbbat in namespace ns (revision 2, chart 1.0.0) are as"
                      " deployed."] and message == ""


def test_report_names_each_deleted_object_and_drifted_field():
    found = [{"object": "ConfigMap ns/dbbat", "state": "deleted", "note": None, "fields": []},
             {"object": "Secret ns/x", "state": "deleted", "note": "the cluster does not serve v1 X", "fields": []},
             {"object": "Deployment ns/dbbat", "state": "changed", "fields": [
                 {"path": "spec.replicas", "live": 3, "release": 1},
                 {"path": 'metadata.labels["team"]', "live": "db", "release": None},
                 {"path": "data.DBB_KEY", "live": "(hidden)", "release": "(hidden)", "note": "value differs"},
                 {"path": "spec.x", "live": "y" * 300, "release": {"a": [1]}}]}]
    report, message = drift.drift_report("dbbat", "ns", dict(RELEASE, status="failed"), OBJECTS, found)
    assert report == [
        "3 of the 3 objects of release dbbat in namespace ns (revision 2, chart 1.0.0, failed) drifted:",
        "ConfigMap ns/dbbat: deleted from the cluster",
        "Secret ns/x: deleted from the cluster (the cluster does not serve v1 X)",
        "Deployment ns/dbbat: spec.replicas: 3 in the cluster, 1 in the release",
        'Deployment ns/dbbat: metadata.labels["team"]: "db" in the cluster, absent in the release',
        "Deployment ns/dbbat: data.DBB_KEY: value differs",
        'Deployment ns/dbbat: spec.x: "%s in the cluster, {"a": [1]} in the release' % ("y" * 199)]
    assert message.startswith(report[0] + " ConfigMap ns/dbbat: deleted from the cluster; Secret ns/x: ")
    assert "`helm -n ns rollback dbbat 2` applies its revision again" in message
    assert message.endswith("dbbat_drift_fail=false only reports.")
