# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The pure parts of release_plan and release_recover (the cluster parts run end to end in
tests/deploy, on the local cluster)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint
from ansible_collections.fclairamb.dbbat.plugins.modules import release_plan, release_recover

KEY = base64.b64encode(bytes(range(32))).decode()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_secret_checks_reveal_nothing_but_checks_and_a_fingerprint():
    data = {"DBB_KEY": b64(KEY + "\n"), "DBB_DSN": b64("postgres://u:p@db/dbbat")}
    checks = release_plan.secret_checks(data, ["DBB_KEY", "DBB_DSN"], hashlib.sha256(KEY.encode()).hexdigest())
    assert checks == {"exists": True, "missing_keys": [], "key_valid": True, "key_matches": True,
                      "fingerprint": fingerprint(data, ["DBB_KEY", "DBB_DSN"])}
    other = release_plan.secret_checks(data, ["DBB_KEY", "DBB_DSN"], hashlib.sha256(b"other").hexdigest())
    assert other["key_matches"] is False
    assert KEY not in repr(checks) and b64(KEY) not in repr(checks)


def test_secret_checks_of_missing_and_incomplete_secrets():
    assert release_plan.secret_checks(None, ["DBB_KEY", "DBB_DSN"], None) == {
        "exists": False, "missing_keys": ["DBB_KEY", "DBB_DSN"], "key_valid": False, "key_matches": None,
        "fingerprint": None}
    partial = release_plan.secret_checks({"DBB_DSN": b64("x")}, ["DBB_KEY", "DBB_DSN"], "abc")
    assert partial["missing_keys"] == ["DBB_KEY"] and partial["key_valid"] is False and partial["key_matches"] is None
    bad = release_plan.secret_checks({"DBB_KEY": b64("short"), "DBB_DSN": b64("x")}, ["DBB_KEY", "DBB_DSN"], None)
    assert bad["key_valid"] is False


def test_checksum_annotations_use_the_given_sha_or_the_secret_read():
    values = {"replicaCount": 1, "podAnnotations": {"team": "db"}}
    read = {"tls": {"tls.crt": "Y2VydA=="}}
    out = release_plan.with_checksums(values, [
        {"annotation": "a/secret", "secret": "s", "keys": None, "sha256": "given"},
        {"annotation": "a/tls", "secret": "tls", "keys": None, "sha256": None},
        {"annotation": "a/missing", "secret": "nope", "keys": None, "sha256": None},
    ], read.get)
    assert out["podAnnotations"] == {"team": "db", "a/secret": "given", "a/tls": fingerprint(read["tls"]),
                                     "a/missing": "absent"}
    assert values == {"replicaCount": 1, "podAnnotations": {"team": "db"}}, "the input is left alone"


def test_rendered_services_come_from_the_dry_run_manifest():
    manifest = """---
apiVersion: v1
kind: Service
metadata: {name: dbbat-pg}
spec: {type: NodePort, ports: [{name: postgres, port: 5432, nodePort: 30432}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dbbat}
"""
    assert release_plan.rendered_services(manifest) == [
        {"name": "dbbat-pg", "type": "NodePort", "ports": [{"name": "postgres", "port": 5432, "node_port": 30432}],
         "address": None}]


def test_recovery_rolls_back_to_the_last_deployed_revision_or_uninstalls():
    pending = {"pending": True, "last_deployed": {"revision": 4}}
    assert release_recover.recovery(pending) == ("rollback", 4)
    assert release_recover.recovery(dict(pending, last_deployed=None)) == ("uninstall", None)
    assert release_recover.recovery({"pending": False, "last_deployed": {"revision": 4}}) == ("none", None)
    assert release_recover.recovery(None) == ("none", None)


def test_namespace_and_secret_applies_only_what_is_asked_in_order():
    from ansible_collections.fclairamb.dbbat.plugins.modules.namespace_and_secret import manifests

    namespace = {"name": "dbbat", "apply": True, "labels": {"a": "b"}, "annotations": {}}
    secret = {"name": "s", "type": "Opaque", "labels": {}, "data": {"DBB_KEY": "eA=="}}
    both = manifests(namespace, secret)
    assert [(kind, path) for kind, path, _body in both] == [
        ("Namespace", "/api/v1/namespaces/dbbat"), ("Secret", "/api/v1/namespaces/dbbat/secrets/s")]
    assert both[1][2]["metadata"]["namespace"] == "dbbat" and both[1][2]["data"] == {"DBB_KEY": "eA=="}
    assert [k for k, _p, _b in manifests(dict(namespace, apply=False), secret)] == ["Secret"]
    assert [k for k, _p, _b in manifests(namespace, None)] == ["Namespace"]


def test_the_chart_cache_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert release_plan.chart_cache() == str(tmp_path / "fclairamb.dbbat" / "charts")


def test_chart_ref_is_only_required_for_the_dry_run():
    assert release_plan.check_params({"render": "never", "chart_ref": None}) is None
    assert release_plan.check_params({"render": "auto", "chart_ref": "oci://example.org/charts/dbbat"}) is None
    for render in ("auto", "always"):
        problem = release_plan.check_params({"render": render, "chart_ref": None})
        assert problem.startswith("chart_ref is required when render is %s" % render), problem
    assert "chart_ref" not in [name for name, spec in release_plan.argument_spec().items() if spec.get("required")]


def _unset_params(**given):
    params = dict((name, spec.get("default")) for name, spec in release_plan.argument_spec().items())
    params.update(given)
    return params


def test_the_role_variables_give_the_parameters_left_unset():
    from ansible_collections.fclairamb.dbbat.plugins.module_utils import deploy_inputs

    params = _unset_params(inputs={"dbbat_chart_version": "1.0.0", "dbbat_db_host": "db", "dbbat_registry_mirror": "m:5000",
                                   "dbbat_registry_plain_http": "true"},
                           secrets={"dbbat_encryption_key": KEY, "dbbat_registry_password": "pw"},
                           binary_path="/opt/helm")
    inputs, problems = release_plan.apply_inputs(params)
    assert problems == []
    assert params["chart_ref"] == "oci://m:5000/fclairamb/charts/dbbat" and params["chart_version"] == "1.0.0"
    assert params["values"] == deploy_inputs.chart_values(inputs)
    assert params["checksums"][0]["sha256"] == deploy_inputs.secret_sha256(inputs)
    assert params["key_sha256"] == hashlib.sha256(KEY.encode()).hexdigest()
    assert params["registry_password"] == "pw" and params["plain_http"] is True
    assert params["binary_path"] == "/opt/helm", "a parameter given stays"


def test_the_role_variables_are_refused_before_anything_is_read():
    params = _unset_params(inputs={"dbbat_chart_version": "latest"}, secrets={})
    problems = release_plan.apply_inputs(params)[1]
    assert any(p.startswith("dbbat_chart_version must be an exact chart version") for p in problems)
    assert release_plan.apply_inputs(_unset_params()) == (None, [])


def test_every_secret_variable_of_the_role_is_a_no_log_option():
    from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_options import OPTIONS

    secrets = release_plan.argument_spec()["secrets"]["options"]
    assert sorted(secrets) == sorted(o["name"] for o in OPTIONS if o.get("no_log") and "main" in o["entry_points"])
    assert all(spec["no_log"] for spec in secrets.values())


def test_a_secret_managed_elsewhere_is_fingerprinted_from_the_cluster():
    params = _unset_params(inputs={"dbbat_chart_version": "1.0.0", "dbbat_secret_managed": False}, secrets={})
    release_plan.apply_inputs(params)
    assert params["checksums"][0]["sha256"] is None and params["key_sha256"] is None


@pytest.mark.parametrize("names", [("ca_file", "plain_http"), ("registry_ca_file", "registry_plain_http")])
def test_registry_connection_options_take_both_names(names):
    """ca_file and plain_http (kubernetes.core's names) or their aliases, the names before 1.1.0."""
    ca_name, plain_name = names
    params = {"release_name": "dbbat", "release_namespace": "dbbat", "secret_name": "dbbat",
              "chart_ref": "oci://example.org/charts/dbbat", ca_name: "/etc/ca.pem",
              plain_name: True}
    result = ArgumentSpecValidator(release_plan.argument_spec()).validate(params)
    assert result.error_messages == []
    assert release_plan.registry_tls(result.validated_parameters) == {"plain_http": True, "ca_file": "/etc/ca.pem"}
