# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The deploy role's decisions from its variables (module_utils/deploy_inputs.py). The messages are
those tests/deploy/test_preflight.py and the end-to-end tests find in a run's output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import deploy_inputs as d
from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_options import OPTIONS
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint

KEY = base64.b64encode(bytes(range(32))).decode()
GOOD = {"dbbat_chart_version": "1.0.0", "dbbat_db_host": "db.example.com", "dbbat_db_password": "pw",
        "dbbat_encryption_key": KEY}


def unb64(text):
    return base64.b64decode(text).decode()


def test_normalize_fills_defaults_and_casts_survey_answers():
    inputs = d.normalize({"dbbat_replicas": "3", "dbbat_ingress_enabled": "yes", "dbbat_pdb_enabled": "false",
                          "dbbat_image_tag": 1.5, "my_own": "kept"})
    assert inputs["dbbat_replicas"] == 3 and inputs["dbbat_ingress_enabled"] is True
    assert inputs["dbbat_pdb_enabled"] is False and inputs["dbbat_image_tag"] == "1.5"
    assert inputs["dbbat_namespace"] == "dbbat" and inputs["my_own"] == "kept"


# --- what every entry point checks first ------------------------------------------------

def test_typos_are_refused_with_the_closest_option_and_other_playbooks_left_alone():
    variables = ["dbbat_replica", "dbbat_namespace", "dbbat_zzzzzzzzzzzzzz", "dbbat_publish_registry", "other"]
    assert d.common_problems({"dbbat_namespace": "dbbat", "dbbat_release_name": "dbbat",
                              "dbbat_secret_name": "dbbat-secrets"}, variables) == [
        "dbbat_replica is not an option of fclairamb.dbbat.deploy; did you mean dbbat_replicas?",
        "dbbat_zzzzzzzzzzzzzz is not an option of fclairamb.dbbat.deploy.",
        "(Options: `ansible-doc -t role fclairamb.dbbat.deploy`; dbbat_allow_unknown_variables: true warns only.)"]


def test_unknown_variables_allowed_are_a_warning_instead():
    allowed = {"dbbat_allow_unknown_variables": "yes"}
    assert d.common_problems(dict(GOOD, **allowed), ["dbbat_replica"]) == []
    assert d.unknown_variables_warning(allowed, ["dbbat_replica", "dbbat_imagetag"]) == (
        "dbbat_imagetag is not an option of fclairamb.dbbat.deploy; did you mean dbbat_image_tag?"
        " dbbat_replica is not an option of fclairamb.dbbat.deploy; did you mean dbbat_replicas?")
    assert d.unknown_variables_warning(allowed, ["dbbat_replicas"]) == ""
    assert d.unknown_variables_warning({}, ["dbbat_replica"]) == ""


def test_every_option_of_every_entry_point_is_known():
    assert d.unknown_variables([o["name"] for o in OPTIONS]) == []


@pytest.mark.parametrize("name, value, message", [
    ("dbbat_namespace", "DBBat", "dbbat_namespace 'DBBat' is not a valid namespace name: at most 63 characters,"
                                 " lowercase letters, digits and '-', starting and ending with a letter or digit."),
    ("dbbat_release_name", "r" * 54, "dbbat_release_name '%s' is not a valid Helm release name: at most 53"
                                     " characters, lowercase letters, digits, '-' and '.', starting and ending with a"
                                     " letter or digit." % ("r" * 54)),
    ("dbbat_secret_name", "db_secrets", "dbbat_secret_name 'db_secrets' is not a valid Secret name: at most 253"
                                        " characters, lowercase letters, digits, '-' and '.', starting and ending"
                                        " with a letter or digit."),
])
def test_names_the_api_server_or_helm_would_refuse(name, value, message):
    assert d.inventory_problems(dict(GOOD, **{name: value})) == [message]
    assert d.day2_problems("drift", d.normalize({name: value})) == [message]


def _files(backup_kind="missing", folder_exists=True, password_kind="file", same=(), password="/pw"):
    return {"backup": {"path": "/b/x.vault", "kind": backup_kind, "folder": "/b", "folder_exists": folder_exists},
            "password": {"path": password, "kind": password_kind}, "same_file_hosts": list(same), "host": "prod"}


DAY2 = {"dbbat_backup_file": "b/x.vault", "dbbat_backup_vault_id": "dbbat_backup"}


@pytest.mark.parametrize("entry_point, inputs, files, message", [
    ("backup_key", {"dbbat_backup_file": ""}, _files(), "dbbat_backup_file is empty: name the backup file, for"
                                                        " example -e dbbat_backup_file=backups/dbbat-prod-eu.vault."),
    ("backup_key", {}, _files("folder"), "dbbat_backup_file /b/x.vault is a folder; name a file in it."),
    ("backup_key", {}, _files(folder_exists=False), "The folder of dbbat_backup_file, /b, does not exist; create it"
                                                    " first (the backup is written nowhere else)."),
    ("backup_key", {}, _files(same=["dev", "test"]), "dbbat_backup_file is /b/x.vault for prod and for dev, test too:"
                                                     " each environment needs a file of its own (set it per host, or"
                                                     " limit the run to one host)."),
    ("restore_key", {}, _files("folder"), "dbbat_backup_file /b/x.vault does not exist (or is not a file)."),
    ("restore_key", {}, _files("file", password=""),
     'No vault password file: set dbbat_backup_vault_password_file, or the environment variable'
     ' DBBAT_BACKUP_VAULT_PASSWORD_FILE (an AWX credential of the type "DBBat backup vault password" does), to a'
     ' file holding the password.'),
    ("backup_key", {}, _files(password_kind="missing"),
     "The vault password file /pw (dbbat_backup_vault_password_file or DBBAT_BACKUP_VAULT_PASSWORD_FILE) does not"
     " exist."),
    ("restore_key", {"dbbat_backup_vault_id": "a@b"}, _files("file"),
     "dbbat_backup_vault_id 'a@b' is not a usable vault id: letters, digits, '_', '-' and '.' only (it goes into"
     " the file's header and ansible-vault's ID@FILE)."),
])
def test_key_backup_inputs(entry_point, inputs, files, message):
    assert d.day2_problems(entry_point, d.normalize(dict(DAY2, **inputs)), [], files) == [message]


def test_key_backup_inputs_that_are_right():
    assert d.day2_problems("backup_key", d.normalize(DAY2), ["dbbat_backup_file"], _files()) == []
    assert d.day2_problems("restore_key", d.normalize(DAY2), [], _files("file")) == []
    # drift and rollback read no file.
    assert d.day2_problems("rollback", d.normalize({"dbbat_backup_vault_id": "a@b"}), [], None) == []


def test_a_good_inventory_has_no_problem():
    assert d.inventory_problems(GOOD) == []


@pytest.mark.parametrize("overrides, message", [
    ({"dbbat_chart_version": "latest"}, "dbbat_chart_version must be an exact chart version such as 1.0.0 (got"
                                        " 'latest'). Ranges and 'latest' are refused so that every run of this"
                                        " inventory deploys the same chart."),
    ({"dbbat_ingress_enabled": "true"}, "dbbat_ingress_enabled is true but dbbat_ingress_host is empty; set the host"
                                        " name of the Ingress."),
    ({"dbbat_autoscaling_enabled": True, "dbbat_autoscaling_min_replicas": "6"},
     "dbbat_autoscaling_min_replicas (6) is above dbbat_autoscaling_max_replicas (5)."),
    ({"dbbat_values": {"secrets": {"encryptionKey": "x"}, "postgresql": {"external": {"dsn": "y"}}}},
     "dbbat_values sets secrets.encryptionKey, postgresql.external.dsn: Helm would keep it in its release history."
     " Use dbbat_encryption_key, dbbat_db_password or dbbat_db_dsn (in Vault) instead; the role puts them in the"
     " Secret."),
    ({"dbbat_db_host": ""}, "No storage database: set dbbat_db_dsn (the full DSN, in Vault) or dbbat_db_host (with"
                            " dbbat_db_user, dbbat_db_name and dbbat_db_password in Vault), or set"
                            " dbbat_secret_managed to false and provide the Secret yourself."),
    ({"dbbat_db_dsn": "host=db"}, "dbbat_db_dsn must be a URL DSN starting with postgres:// or postgresql://."),
    ({"dbbat_encryption_key": ""}, "dbbat_encryption_key is empty: generate one with `openssl rand -base64 32`, keep"
                                   " it in Ansible Vault and back it up (losing it makes stored credentials"
                                   " unreadable)."),
    ({"dbbat_encryption_key": KEY[:-4] + "AA=="},
     "dbbat_encryption_key must be standard base64 of exactly 32 bytes (44 characters ending with '=', as"
     " `openssl rand -base64 32` prints); the value given is not (it is not shown)."),
], ids=lambda v: str(v)[:40] if isinstance(v, dict) else None)
def test_each_inventory_problem_is_named(overrides, message):
    assert d.inventory_problems(dict(GOOD, **overrides)) == [message]


def test_the_kube_context_is_refused_next_to_an_awx_credential_only():
    inputs = dict(GOOD, dbbat_kube_context="prod")
    assert d.inventory_problems(inputs) == []
    (problem,) = d.inventory_problems(inputs, k8s_auth_host=True)
    assert problem.startswith("dbbat_kube_context is 'prod' while K8S_AUTH_HOST is set")


def test_removal_and_a_secret_managed_elsewhere_skip_the_checks_that_do_not_concern_them():
    assert d.inventory_problems({"dbbat_state": "absent"}) == []
    assert d.inventory_problems({"dbbat_chart_version": "1.0.0", "dbbat_secret_managed": "false"}) == []


def test_the_dsn_escapes_user_password_and_database_slashes_included():
    inputs = dict(GOOD, dbbat_db_user="a/b@c", dbbat_db_password="p@ss/w:rd%é", dbbat_db_name="x y",
                  dbbat_db_port="6432", dbbat_db_sslmode="verify-full")
    assert d.database_dsn(inputs) == ("postgres://a%2Fb%40c:p%40ss%2Fw%3Ard%25%C3%A9@db.example.com:6432/x%20y"
                                      "?sslmode=verify-full")
    assert d.database_dsn(dict(GOOD, dbbat_db_password="")) == \
        "postgres://dbbat@db.example.com:5432/dbbat?sslmode=require"
    assert d.database_dsn(dict(GOOD, dbbat_db_dsn="postgresql://u@h/db")) == "postgresql://u@h/db"


def test_the_secret_data_its_fingerprint_and_the_key_hash():
    data = d.secret_data(dict(GOOD, dbbat_encryption_key=" %s\n" % KEY))
    assert unb64(data["DBB_KEY"]) == KEY
    assert unb64(data["DBB_DSN"]) == "postgres://dbbat:pw@db.example.com:5432/dbbat?sslmode=require"
    assert d.secret_sha256(GOOD) == fingerprint(data) == fingerprint(dict(data, other="x"), ["DBB_KEY", "DBB_DSN"])
    assert d.key_sha256(GOOD) == hashlib.sha256(KEY.encode()).hexdigest()


def test_defaults_render_only_what_the_role_always_sets():
    assert d.chart_values({}) == {"replicaCount": 1, "secrets": {"existingSecret": "dbbat-secrets"},
                                  "service": {"proxy": {"type": "ClusterIP"}}}


def test_every_section_rendered_and_dbbat_values_merged_last():
    values = d.chart_values({
        "dbbat_replicas": "4", "dbbat_registry_mirror": "mirror:5000//", "dbbat_image_tag": "1.2.3",
        "dbbat_ingress_enabled": True, "dbbat_ingress_host": "dbbat.example.com", "dbbat_ingress_tls_secret": "tls",
        "dbbat_autoscaling_enabled": True, "dbbat_pdb_enabled": True, "dbbat_pdb_allow_blocking_drains": True,
        "dbbat_network_policy_enabled": True,
        "dbbat_proxy_tls": {"pg": {"secret": "pg-tls"}, "mysql": {"issuer": "ca"}, "mongo": None},
        "dbbat_values": {"service": {"proxy": {"port": 1}}, "ingress": {"hosts": []}}})
    assert values == {
        "replicaCount": 4, "global": {"imageRegistry": "mirror:5000"}, "image": {"tag": "1.2.3"},
        "secrets": {"existingSecret": "dbbat-secrets"}, "config": {"publicUrl": "https://dbbat.example.com"},
        "service": {"proxy": {"type": "ClusterIP", "port": 1}},
        "ingress": {"enabled": True, "hosts": [],
                    "tls": [{"secretName": "tls", "hosts": ["dbbat.example.com"]}]},
        "autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70},
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1, "allowBlockingDrains": True},
        "networkPolicy": {"enabled": True, "allowedNamespaces": [], "allowedPodLabels": {}},
        "tls": {"pg": {"existingSecret": "pg-tls"},
                "mysql": {"certManager": {"enabled": True, "dnsNames": [], "duration": "",
                                          "issuerRef": {"name": "ca", "kind": "Issuer", "group": "cert-manager.io"}}}},
    }


def _flatten(values, prefix=""):
    out = {}
    for key, value in (values or {}).items():
        path = "%s.%s" % (prefix, key) if prefix else key
        if isinstance(value, dict) and value:
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _changed_value(option, default):
    if option.get("options"):  # a dict of known keys: set the first sub-option of the first key
        key, sub = next(iter(option["options"].items()))
        return {key: {next(iter(sub["options"])): "zz-test"}} if sub.get("options") else {key: "zz-test"}
    if option.get("choices"):
        return next(c for c in option["choices"] if c != default)
    kind = option["type"]
    if kind == "int":
        return default + 3
    if kind == "bool":
        return not default
    return {"str": "zz-test.example.com", "dict": {"zz-test": "x"}, "list": ["zz-test"]}[kind]


def test_value_sources_name_the_variable_that_sets_each_value():
    """Each option is changed in turn, every section on: a path the sources give to a variable
    changes with it, and every path that changes is in the sources (Helm's refusals name it)."""
    sources = d.value_sources()
    base = dict((o["name"], o["default"]) for o in OPTIONS)
    base.update(dbbat_ingress_enabled=True, dbbat_ingress_host="dbbat.example.com", dbbat_autoscaling_enabled=True,
                dbbat_pdb_enabled=True, dbbat_network_policy_enabled=True)
    rendered = _flatten(d.chart_values(base))

    def covered(path):
        return any(path == p or path.startswith(p + ".") for p in sources)

    for option in OPTIONS:
        name = option["name"]
        if name == "dbbat_values":
            continue
        changed_values = _flatten(d.chart_values(dict(base, **{name: _changed_value(option, base[name])})))
        changed = set(p for p in set(changed_values) | set(rendered) if changed_values.get(p) != rendered.get(p))
        assert not sorted(p for p in changed if not covered(p)), "%s sets values the sources do not name" % name
        for path, variable in sources.items():
            if variable == name:
                assert any(p == path or p.startswith(path + ".") for p in changed), \
                    "the sources say %s sets %s, but changing it leaves %s alone" % (name, path, path)


def test_an_option_declared_with_a_value_rule_is_rendered_and_traced():
    options = copy.deepcopy(OPTIONS) + [{"name": "dbbat_zz_extra", "type": "int", "default": 7, "description": "x",
                                         "entry_points": {"main": None}, "value": {"path": "zz.extra", "when": []}}]
    assert d.chart_values({"dbbat_zz_extra": "8"}, options)["zz"] == {"extra": 8}
    assert d.value_sources(options)["zz.extra"] == "dbbat_zz_extra"


def test_the_chart_comes_from_the_mirror_host_with_its_path_kept():
    assert d.chart_ref({"dbbat_registry_mirror": "mirror.internal:5000/"}) == \
        "oci://mirror.internal:5000/fclairamb/charts/dbbat"
    assert d.chart_ref({"dbbat_registry_mirror": "m", "dbbat_chart_ref": "./charts/dbbat"}) == "./charts/dbbat"


def test_checksums_of_the_role_secret_and_of_each_listener_secret():
    items = d.checksums({"dbbat_proxy_tls": {"pg": {"secret": "pg-tls"}, "mysql": {"issuer": "ca"}}}, "abc")
    assert items == [
        {"annotation": "dbbat.fclairamb.github.io/secret-sha256", "secret": "dbbat-secrets",
         "keys": ["DBB_KEY", "DBB_DSN"], "sha256": "abc"},
        {"annotation": "dbbat.fclairamb.github.io/tls-pg-sha256", "secret": "pg-tls", "keys": None, "sha256": None}]


NS = {"exists": True, "readable": True, "labels": {"pod-security.kubernetes.io/enforce": "restricted", "x": "y"},
      "annotations": {}}
SECRET_OK = {"exists": True, "missing_keys": [], "key_valid": True, "key_matches": True, "fingerprint": "f"}


def test_cluster_problems_each_named():
    unreadable = dict(NS, readable=False)
    (problem,) = d.cluster_problems({}, unreadable, SECRET_OK, None)
    assert problem.startswith("The credentials may not read Namespace dbbat (HTTP 403)")
    assert d.cluster_problems({"dbbat_namespace_managed": False}, unreadable, SECRET_OK, None) == []
    (problem,) = d.cluster_problems({}, NS, dict(SECRET_OK, key_matches=False), None)
    assert problem.startswith("Refusing to replace DBB_KEY in Secret dbbat/dbbat-secrets: it differs")
    assert d.cluster_problems({"dbbat_allow_key_rotation": True}, NS, dict(SECRET_OK, key_matches=False), None) == []
    elsewhere = {"dbbat_secret_managed": False}
    (problem,) = d.cluster_problems(elsewhere, NS, dict(SECRET_OK, exists=False), None)
    assert problem.startswith("Secret dbbat/dbbat-secrets does not exist. With dbbat_secret_managed false")
    (problem,) = d.cluster_problems(elsewhere, NS, dict(SECRET_OK, missing_keys=["DBB_DSN"]), None)
    assert problem.startswith("Secret dbbat/dbbat-secrets lacks the key(s) DBB_DSN that the chart reads")
    (problem,) = d.cluster_problems(elsewhere, NS, dict(SECRET_OK, key_valid=False), None)
    assert problem.startswith("DBB_KEY in Secret dbbat/dbbat-secrets is not standard base64")


def test_a_pending_release_says_what_recovery_would_do():
    release = {"pending": True, "status": "pending-upgrade", "revision": 3, "updated": "today",
               "last_deployed": {"revision": 2}}
    (problem,) = d.cluster_problems({}, NS, SECRET_OK, release)
    assert problem.startswith("Release dbbat in namespace dbbat is pending-upgrade (revision 3, since today)")
    assert "the role will roll it back to revision 2 (its last deployed one), then deploy." in problem
    (problem,) = d.cluster_problems({}, NS, SECRET_OK, dict(release, last_deployed=None))
    assert "uninstall it (it never deployed; the Secret dbbat-secrets stays)" in problem
    assert d.cluster_problems({"dbbat_recover_pending_release": "true"}, NS, SECRET_OK, release) == []


def test_prerequisites_write_only_what_is_missing_or_different():
    assert d.prerequisites({}, NS, "f", "f") == {"namespace": False, "secret": False}
    assert d.prerequisites({}, dict(NS, exists=False), "f", "f")["namespace"] is True
    assert d.prerequisites({"dbbat_namespace_annotations": {"a": "b"}}, NS, "f", "f")["namespace"] is True
    assert d.prerequisites({"dbbat_namespace_managed": False}, dict(NS, exists=False), "f", "f")["namespace"] is False
    assert d.prerequisites({}, NS, None, "f")["secret"] is True
    assert d.prerequisites({"dbbat_secret_managed": False}, NS, None, None)["secret"] is False


def test_values_changes_key_by_key():
    assert d.values_changes(None, {"a": 1}) == {"a": {"before": None, "after": 1}}
    assert d.values_changes({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}}) == \
        {"b": {"before": {"c": 2}, "after": {"c": 3}}}


def test_refusal_message_names_values_and_variables():
    render = {"ok": False, "problems": [{"values": ["replicaCount"], "variables": ["dbbat_replicas"],
                                         "message": "got string"}]}
    assert d.refusal_message(render, "dbbat") == ("The chart refuses these values (helm's dry run, nothing was"
                                                  " written): replicaCount (from dbbat_replicas): got string.")
    assert d.refusal_message({"ok": False, "problems": [], "error": "boom"}, "dbbat") == \
        "Helm's dry run of release dbbat failed, nothing was written: boom"
    assert d.refusal_message({"ok": True}, "dbbat") is None and d.refusal_message({"ok": None}, "dbbat") is None


# --- the report ---------------------------------------------------------------------------

API = {"name": "dbbat-api", "type": "ClusterIP", "ports": [{"name": "http", "port": 8080, "node_port": None}]}


def _proxy(kind, node_port=None):
    return {"name": "dbbat-proxy", "type": kind, "ports": [{"name": "postgres", "port": 5432, "node_port": node_port}]}


def test_access_report_after_helm_ran_names_the_services_rendered():
    plan = {"render": {"services": [API, _proxy("ClusterIP")]}, "services": [],
            "release_values": {"config": {"baseUrl": "/dbbat"}}}
    assert d.access_report({"dbbat_namespace": "prod"}, plan, {"status": {"revision": 3}}) == [
        "DBBat release dbbat is deployed in namespace prod (revision 3); Helm waited for its pods to be ready.",
        "API and web UI: kubectl -n prod port-forward svc/dbbat-api 8080:8080, then open http://localhost:8080/dbbat"
        " (health at /api/v1/health).",
        "PostgreSQL proxy (ClusterIP): dbbat-proxy.prod.svc:5432 inside the cluster; from your machine: kubectl -n prod"
        " port-forward svc/dbbat-proxy 5432:5432, then psql -h localhost -p 5432."]


def test_access_report_of_an_unchanged_release_reads_the_live_services():
    live = [API, dict(_proxy("LoadBalancer"), address="203.0.113.7")]
    plan = {"render": {"services": []}, "services": live, "release_values": {},
            "deployment": {"name": "dbbat", "ready": 2, "replicas": 2}}
    inputs = {"dbbat_ingress_enabled": True, "dbbat_ingress_host": "dbbat.example.com", "dbbat_ingress_tls_secret": "t"}
    assert d.access_report(inputs, plan) == [
        "DBBat release dbbat is unchanged in namespace dbbat: Deployment dbbat, 2/2 pods ready.",
        "API and web UI: https://dbbat.example.com/app (health at /api/v1/health).",
        "PostgreSQL proxy (LoadBalancer): 203.0.113.7:5432"]


def test_access_report_of_proxy_services_without_an_address_yet():
    pending = {"services": [dict(_proxy("LoadBalancer"), address=None)]}
    assert d.access_report({}, pending) == [
        "PostgreSQL proxy (LoadBalancer): address pending, watch it with: kubectl -n dbbat get svc dbbat-proxy -w"]
    assert d.access_report({}, {"services": [_proxy("NodePort", 30432)]}) == [
        "PostgreSQL proxy (NodePort): port 30432 on any node address (kubectl get nodes -o wide)."]
    assert d.access_report({}, {"services": [_proxy("NodePort")]})[0].startswith("PostgreSQL proxy (NodePort): port ?")
