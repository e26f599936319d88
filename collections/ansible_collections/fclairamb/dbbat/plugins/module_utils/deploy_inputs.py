# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the deploy role decides from its variables, as pure functions.

The role hands its ``dbbat_*`` variables over as one dict (``inputs``: the keys are the
variables' names; vars/main.yml builds it, the secrets apart). From it, and from what the
release plan read of the cluster:

- the problems of the inventory that no argument spec can express, one message each, for
  every entry point (typos found from the options' declaration, names, the key backup's files);
- the Secret the chart reads (the key and the DSN, built with its parts URL-escaped), its
  fingerprint (release_state.fingerprint) and the fingerprint of the key;
- the chart values, from the value rules of deploy_options (dbbat_values merged last), the
  variable that set each value, and the pods' checksum annotations;
- the problems of what the cluster holds, and what the namespace and Secret step must write;
- what changes in the values, key by key;
- what a run says at its end: the release's state and how to reach DBBat.

No I/O, no Ansible import but its module_utils: release_plan, the role's filters and the unit tests call them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import re

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 module sanity only
    from urllib import quote

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.fclairamb.dbbat.plugins.module_utils.deploy_options import OPTIONS
# The one fingerprint of the collection (pods' annotation, the plan's comparison, key backup and restore).
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint, key_fingerprint
from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import (
    closest_names, is_dns1123_label, is_dns1123_subdomain, is_encryption_key, is_helm_release_name, is_semver,
    is_vault_id)

SECRET_KEYS = ["DBB_KEY", "DBB_DSN"]
# The role's variables that are secrets (no_log in the declaration), handed over apart, as
# scripts/role-options.py splits them into __dbbat_secret_inputs.
SECRET_INPUTS = tuple(o["name"] for o in OPTIONS if o.get("no_log") and "main" in o["entry_points"])
# Pods carry these checksums as annotations, so that they roll when a Secret they read changes:
# the Secret of the key and the DSN, and each listener's TLS Secret named in dbbat_proxy_tls.
SECRET_CHECKSUM_ANNOTATION = "dbbat.fclairamb.github.io/secret-sha256"
TLS_CHECKSUM_ANNOTATION = "dbbat.fclairamb.github.io/tls-%s-sha256"
RBAC_EXAMPLE = "roles/deploy/files/rbac/namespaced-deployer.yml"
ROLE = "fclairamb.dbbat.deploy"
# Every option of every entry point: a dbbat_ variable named otherwise is a typo. Those of
# playbooks/publish.yml are its own.
KNOWN_VARIABLES = frozenset(o["name"] for o in OPTIONS)
OTHER_PLAYBOOKS_PREFIXES = ("dbbat_publish_",)


# --- the variables, as their types make them ------------------------------------------

def _typed(option, value):
    kind = option.get("type", "str")
    if kind == "bool":
        # As Ansible's ``| bool``: AWX survey answers are strings ("true", "yes", "1").
        return boolean(value, strict=False)
    if kind == "int":
        return int(value)
    if kind == "str":
        return "" if value is None else str(value)
    return value


def normalize(inputs, options=None):
    """``inputs`` with every declared option set (its default when missing) and cast to its type
    ("3" -> 3, "true" -> True); undeclared keys are kept as they are."""
    out = dict(inputs or {})
    for option in options or OPTIONS:
        name = option["name"]
        out[name] = _typed(option, out[name]) if name in out else copy.deepcopy(option["default"])
    return out


# --- the inventory ------------------------------------------------------------------------

def _secret_values(user_values):
    """Paths of dbbat_values that hold a secret: Helm keeps every value in its release history."""
    secrets = user_values.get("secrets") or {}
    external = (user_values.get("postgresql") or {}).get("external") or {}
    found = []
    for path, value in (("secrets.encryptionKey", secrets.get("encryptionKey")),
                        ("secrets.databasePassword", secrets.get("databasePassword")),
                        ("postgresql.external.password", external.get("password")),
                        ("postgresql.external.dsn", external.get("dsn"))):
        if value:
            found.append(path)
    return found


def unknown_variables(variables):
    """The ``dbbat_`` variables (names) that no entry point of the role takes, each with the
    closest option: ``[{"name", "closest"}]``."""
    return closest_names([v for v in variables if v.startswith("dbbat_")], KNOWN_VARIABLES, OTHER_PLAYBOOKS_PREFIXES)


def _not_an_option(item):
    hint = "; did you mean %s?" % item["closest"] if item["closest"] else "."
    return "%s is not an option of %s%s" % (item["name"], ROLE, hint)


def unknown_variables_warning(inputs, variables):
    """What replaces the refusal of unknown variables when dbbat_allow_unknown_variables: one line,
    empty when there is nothing to say."""
    if not normalize(inputs)["dbbat_allow_unknown_variables"]:
        return ""
    return " ".join(_not_an_option(item) for item in unknown_variables(variables))


def common_problems(inputs, variables=None):
    """What every entry point refuses before it reads the cluster: the names the API server or
    Helm would refuse, and ``variables`` (the names of the inventory's dbbat_ variables) that are
    no option (unless dbbat_allow_unknown_variables). One message each."""
    i = normalize(inputs)
    problems = []
    unknown = unknown_variables(variables or ())
    if unknown and not i["dbbat_allow_unknown_variables"]:
        problems.extend(_not_an_option(item) for item in unknown)
        problems.append("(Options: `ansible-doc -t role %s`; dbbat_allow_unknown_variables: true warns only.)"
                        % ROLE)
    if not is_dns1123_label(i["dbbat_namespace"]):
        problems.append("dbbat_namespace '%s' is not a valid namespace name: at most 63 characters, lowercase"
                        " letters, digits and '-', starting and ending with a letter or digit." % i["dbbat_namespace"])
    if not is_helm_release_name(i["dbbat_release_name"]):
        problems.append("dbbat_release_name '%s' is not a valid Helm release name: at most 53 characters,"
                        " lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."
                        % i["dbbat_release_name"])
    if not is_dns1123_subdomain(i["dbbat_secret_name"]):
        problems.append("dbbat_secret_name '%s' is not a valid Secret name: at most 253 characters, lowercase"
                        " letters, digits, '-' and '.', starting and ending with a letter or digit."
                        % i["dbbat_secret_name"])
    return problems


def inventory_problems(inputs, k8s_auth_host=False, variables=None):
    """What the inventory gets wrong, one message each (naming the variable and the fix), before
    anything reads the cluster: common_problems first. ``k8s_auth_host``: an AWX Kubernetes
    credential is in use. ``variables``: the inventory's dbbat_ variable names, for typos."""
    i = normalize(inputs)
    present = i["dbbat_state"] == "present"
    problems = common_problems(i, variables)
    if present and not is_semver(i["dbbat_chart_version"]):
        problems.append("dbbat_chart_version must be an exact chart version such as 1.0.0 (got '%s'). Ranges and"
                        " 'latest' are refused so that every run of this inventory deploys the same chart."
                        % i["dbbat_chart_version"])
    if present and i["dbbat_ingress_enabled"] and not i["dbbat_ingress_host"]:
        problems.append("dbbat_ingress_enabled is true but dbbat_ingress_host is empty; set the host name of the"
                        " Ingress.")
    if present and i["dbbat_autoscaling_enabled"] \
            and i["dbbat_autoscaling_min_replicas"] > i["dbbat_autoscaling_max_replicas"]:
        problems.append("dbbat_autoscaling_min_replicas (%s) is above dbbat_autoscaling_max_replicas (%s)."
                        % (i["dbbat_autoscaling_min_replicas"], i["dbbat_autoscaling_max_replicas"]))
    secret_values = _secret_values(i["dbbat_values"])
    if present and secret_values:
        problems.append("dbbat_values sets %s: Helm would keep it in its release history. Use dbbat_encryption_key,"
                        " dbbat_db_password or dbbat_db_dsn (in Vault) instead; the role puts them in the Secret."
                        % ", ".join(secret_values))
    if i["dbbat_kube_context"] and k8s_auth_host:
        # helm refuses a kubeconfig context together with the CA of an AWX credential: say so clearly.
        problems.append("dbbat_kube_context is '%s' while K8S_AUTH_HOST is set (an AWX Kubernetes credential): the"
                        ' credential already says which cluster to use. Set dbbat_kube_context to "" for this'
                        " job, for example in the job template's extra variables." % i["dbbat_kube_context"])
    if present and i["dbbat_secret_managed"]:
        problems.extend(_secret_input_problems(i))
    return problems


def _secret_input_problems(i):
    problems = []
    dsn = i["dbbat_db_dsn"]
    if not dsn and not i["dbbat_db_host"]:
        problems.append("No storage database: set dbbat_db_dsn (the full DSN, in Vault) or dbbat_db_host (with"
                        " dbbat_db_user, dbbat_db_name and dbbat_db_password in Vault), or set dbbat_secret_managed"
                        " to false and provide the Secret yourself.")
    elif dsn and not re.match(r"^postgres(ql)?://", dsn):
        problems.append("dbbat_db_dsn must be a URL DSN starting with postgres:// or postgresql://.")
    key = i["dbbat_encryption_key"]
    if not key:
        problems.append("dbbat_encryption_key is empty: generate one with `openssl rand -base64 32`, keep it in"
                        " Ansible Vault and back it up (losing it makes stored credentials unreadable).")
    elif not is_encryption_key(key.strip()):
        problems.append("dbbat_encryption_key must be standard base64 of exactly 32 bytes (44 characters ending"
                        " with '=', as `openssl rand -base64 32` prints); the value given is not (it is not shown).")
    return problems


# Entry points that read or write a key backup on the controller.
KEY_BACKUP_ENTRY_POINTS = ("backup_key", "restore_key")


def day2_problems(entry_point, inputs, variables=None, files=None):
    """What the entry points backup_key, restore_key, drift and rollback refuse before they read the
    cluster: common_problems, and for the key backup ones what ``files`` (plugins/filter/
    key_backup_files.py: the controller's file system) says of dbbat_backup_file and of the vault
    password file. One message each."""
    inputs = normalize(inputs)
    problems = common_problems(inputs, variables)
    if entry_point not in KEY_BACKUP_ENTRY_POINTS:
        return problems
    backup, password = files["backup"], files["password"]
    if not inputs["dbbat_backup_file"]:
        problems.append("dbbat_backup_file is empty: name the backup file, for example"
                        " -e dbbat_backup_file=backups/dbbat-prod-eu.vault.")
    elif entry_point == "backup_key" and backup["kind"] == "folder":
        problems.append("dbbat_backup_file %s is a folder; name a file in it." % backup["path"])
    elif entry_point == "backup_key" and not backup["folder_exists"]:
        problems.append("The folder of dbbat_backup_file, %s, does not exist; create it first (the backup is"
                        " written nowhere else)." % backup["folder"])
    elif entry_point == "backup_key" and files["same_file_hosts"]:
        problems.append("dbbat_backup_file is %s for %s and for %s too: each environment needs a file of its own"
                        " (set it per host, or limit the run to one host)."
                        % (backup["path"], files["host"], ", ".join(files["same_file_hosts"])))
    elif entry_point == "restore_key" and backup["kind"] != "file":
        problems.append("dbbat_backup_file %s does not exist (or is not a file)." % backup["path"])
    if not password["path"]:
        problems.append("No vault password file: set dbbat_backup_vault_password_file, or the environment variable"
                        ' DBBAT_BACKUP_VAULT_PASSWORD_FILE (an AWX credential of the type "DBBat backup vault'
                        ' password" does), to a file holding the password.')
    elif password["kind"] != "file":
        problems.append("The vault password file %s (dbbat_backup_vault_password_file or"
                        " DBBAT_BACKUP_VAULT_PASSWORD_FILE) does not exist." % password["path"])
    if not is_vault_id(inputs["dbbat_backup_vault_id"]):
        problems.append("dbbat_backup_vault_id '%s' is not a usable vault id: letters, digits, '_', '-' and '.'"
                        " only (it goes into the file's header and ansible-vault's ID@FILE)."
                        % inputs["dbbat_backup_vault_id"])
    return problems


# --- the Secret -----------------------------------------------------------------------------

def _escape(text):
    # Everything but unreserved characters, '/' included, which would end the userinfo part.
    return quote(str(text).encode("utf-8"), safe="")


def database_dsn(inputs):
    """dbbat_db_dsn, else the DSN built from the parts, user, password and database URL-escaped."""
    i = normalize(inputs)
    if i["dbbat_db_dsn"]:
        return i["dbbat_db_dsn"]
    userinfo = _escape(i["dbbat_db_user"]) + (":" + _escape(i["dbbat_db_password"]) if i["dbbat_db_password"] else "")
    return "postgres://%s@%s:%s/%s?sslmode=%s" % (userinfo, i["dbbat_db_host"], i["dbbat_db_port"],
                                                  _escape(i["dbbat_db_name"]), i["dbbat_db_sslmode"])


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def secret_data(inputs):
    """The data of the Secret the role writes, base64 as in the API."""
    i = normalize(inputs)
    return {"DBB_KEY": _b64(i["dbbat_encryption_key"].strip()), "DBB_DSN": _b64(database_dsn(i))}


def secret_sha256(inputs):
    """The fingerprint of the Secret the role writes, as the plan compares it with the cluster's."""
    return fingerprint(secret_data(inputs), SECRET_KEYS)


def key_sha256(inputs):
    """SHA-256 of the encryption key (trimmed), to compare with the Secret's without handling it."""
    return key_fingerprint(normalize(inputs)["dbbat_encryption_key"])


# --- the chart ------------------------------------------------------------------------------

def chart_ref(inputs):
    """The chart reference the run uses: on the mirror's host when dbbat_registry_mirror is set."""
    i = normalize(inputs)
    ref, mirror = i["dbbat_chart_ref"], i["dbbat_registry_mirror"]
    if mirror and ref.startswith("oci://"):
        return re.sub(r"^oci://[^/]+", lambda m: "oci://" + mirror.rstrip("/"), ref)
    return ref


def _public_url(value, i):
    if value:
        return value
    if i["dbbat_ingress_enabled"]:
        return ("https://" if i["dbbat_ingress_tls_secret"] else "http://") + i["dbbat_ingress_host"]
    return None


def _proxy_tls(value, i):
    out = {}
    for listener, tls in value.items():
        if not tls:
            continue
        if tls.get("secret"):
            out[listener] = {"existingSecret": tls["secret"]}
        else:
            out[listener] = {"certManager": {
                "enabled": True,
                "issuerRef": {"name": tls.get("issuer"), "kind": tls.get("issuer_kind", "Issuer"),
                              "group": tls.get("issuer_group", "cert-manager.io")},
                "dnsNames": tls.get("dns_names", []),
                "duration": tls.get("duration", "")}}
    return out


# How a value is made from its option when it is not the option's value as its type makes it.
CONVERTERS = {
    "strip_slash": lambda value, i: value.rstrip("/"),
    "public_url": _public_url,
    "ingress_hosts": lambda value, i: [{"host": value, "paths": [{"path": "/", "pathType": "Prefix"}]}],
    "ingress_tls": lambda value, i: [{"secretName": value, "hosts": [i["dbbat_ingress_host"]]}],
    "proxy_tls": _proxy_tls,
}


def _set(values, path, value):
    keys = path.split(".")
    for key in keys[:-1]:
        values = values.setdefault(key, {})
    values[keys[-1]] = value


def merge(base, override):
    """``override`` merged into ``base`` recursively (Ansible's ``combine(recursive=True)``: dicts
    merge, anything else, lists included, replaces)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def chart_values(inputs, options=None):
    """The chart values: each option's value rule (only what the inventory sets is rendered, so the
    chart's defaults stay in charge of the rest), then dbbat_values merged last. The pods' checksum
    annotations are added by the release plan, which reads the Secrets."""
    options = options or OPTIONS
    i = normalize(inputs, options)
    values = {}
    for option in options:
        rule = option.get("value")
        if not rule:
            continue
        name = option["name"]
        if not all(i[gate] for gate in rule.get("when", [name])):
            continue
        value = i[name]
        if "how" in rule:
            value = CONVERTERS[rule["how"]](value, i)
        if value is not None:
            _set(values, rule["path"], value)
    return merge(values, i.get("dbbat_values") or {})


def value_sources(options=None):
    """Which variable sets which chart value (dotted path -> variable), to name the variable when
    Helm refuses a value."""
    return dict((o["value"]["path"], o["name"]) for o in options or OPTIONS if o.get("value"))


def checksums(inputs, secret_sha256=None):
    """The pods' checksum annotations: of the role's Secret (its fingerprint given when the role
    writes it, else read), and of each listener's TLS Secret named in dbbat_proxy_tls (read)."""
    i = normalize(inputs)
    items = [{"annotation": SECRET_CHECKSUM_ANNOTATION, "secret": i["dbbat_secret_name"], "keys": SECRET_KEYS,
              "sha256": secret_sha256}]
    for listener, tls in sorted(i["dbbat_proxy_tls"].items()):
        if tls and tls.get("secret"):
            items.append({"annotation": TLS_CHECKSUM_ANNOTATION % listener, "secret": tls["secret"], "keys": None,
                          "sha256": None})
    return items


# --- what the cluster holds -------------------------------------------------------------------

def cluster_problems(inputs, namespace, secret, release):
    """What the plan read that stops the deploy, one message each: a namespace it may not read, a
    Secret managed elsewhere that is missing or incomplete, a key that differs from the inventory's
    (the key-loss guard), a release left pending."""
    i = normalize(inputs)
    where = "Secret %s/%s" % (i["dbbat_namespace"], i["dbbat_secret_name"])
    problems = []
    if not namespace["readable"] and i["dbbat_namespace_managed"]:
        problems.append("The credentials may not read Namespace %s (HTTP 403), so the role cannot check its labels"
                        " (dbbat_namespace_labels). Grant `get` on it (%s of the collection shows the least a deploy"
                        " user needs), or set dbbat_namespace_managed: false to leave the namespace to the cluster"
                        " admins." % (i["dbbat_namespace"], RBAC_EXAMPLE))
    if not i["dbbat_secret_managed"]:
        if not secret["exists"]:
            problems.append("%s does not exist. With dbbat_secret_managed false it must be created before the"
                            " deployment (by External Secrets, sealed-secrets or by hand) with the keys DBB_KEY and"
                            " DBB_DSN; or set dbbat_secret_managed to true to let the role write it." % where)
        elif secret["missing_keys"]:
            problems.append("%s lacks the key(s) %s that the chart reads (DBB_KEY: base64 of 32 bytes; DBB_DSN:"
                            " postgres://user:password@host:5432/db?sslmode=...). Add them, then rerun."
                            % (where, ", ".join(secret["missing_keys"])))
        elif not secret["key_valid"]:
            problems.append("DBB_KEY in %s is not standard base64 of exactly 32 bytes (`openssl rand -base64 32`);"
                            " the program would refuse it." % where)
    elif secret["key_matches"] is False and not i["dbbat_allow_key_rotation"]:
        problems.append("Refusing to replace DBB_KEY in %s: it differs from dbbat_encryption_key. Changing the"
                        " encryption key makes every stored credential and the audit chain unreadable (data loss)."
                        " If the inventory's key is wrong, restore the key in use (read it from the Secret); to"
                        " rotate on purpose, re-encrypt the data first, then rerun with"
                        " dbbat_allow_key_rotation=true." % where)
    if release and release["pending"] and not i["dbbat_recover_pending_release"]:
        last = release["last_deployed"]
        recovery = ("roll it back to revision %s (its last deployed one)" % last["revision"] if last else
                    "uninstall it (it never deployed; the Secret %s stays)" % i["dbbat_secret_name"])
        problems.append('Release %s in namespace %s is %s (revision %s, since %s): a Helm run was interrupted before'
                        ' it finished, and Helm refuses any other operation on it ("another operation is in'
                        ' progress"). If no other deploy of this release is running, rerun with'
                        " dbbat_recover_pending_release=true: the role will %s, then deploy."
                        % (i["dbbat_release_name"], i["dbbat_namespace"], release["status"], release["revision"],
                           release["updated"], recovery))
    return problems


def prerequisites(inputs, namespace, secret_fingerprint, wanted_fingerprint):
    """What the namespace and Secret step must write: ``{"namespace": bool, "secret": bool}``. The
    namespace when the role manages it and it is missing or lacks one of the inventory's labels or
    annotations (others' stay); the Secret when the role manages it and its data differs."""
    i = normalize(inputs)
    labels, annotations = namespace.get("labels") or {}, namespace.get("annotations") or {}
    namespace_differs = i["dbbat_namespace_managed"] and (
        not namespace["exists"]
        or any(labels.get(k) != v for k, v in i["dbbat_namespace_labels"].items())
        or any(annotations.get(k) != v for k, v in i["dbbat_namespace_annotations"].items()))
    secret_differs = i["dbbat_secret_managed"] and secret_fingerprint != wanted_fingerprint
    return {"namespace": bool(namespace_differs), "secret": bool(secret_differs)}


# --- what changes ---------------------------------------------------------------------------

def values_changes(current, wanted):
    """The top-level keys of the values that change: ``{key: {"before", "after"}}``, sorted."""
    current, wanted = current or {}, wanted or {}
    return dict((key, {"before": current.get(key), "after": wanted.get(key)})
                for key in sorted(set(current) | set(wanted)) if current.get(key) != wanted.get(key))


def refusal_message(render, release_name):
    """What the role says when Helm's dry run refused the values or failed (None when it passed)."""
    if render.get("ok") is not False:
        return None
    if render.get("problems"):
        lines = []
        for problem in render["problems"]:
            origin = " (from %s)" % ", ".join(problem["variables"]) if problem["variables"] else ""
            lines.append("%s%s: %s." % (", ".join(problem["values"]) or "a value", origin, problem["message"]))
        return "The chart refuses these values (helm's dry run, nothing was written): " + " ".join(lines)
    return "Helm's dry run of release %s failed, nothing was written: %s" % (release_name, render.get("error"))


# --- the report ---------------------------------------------------------------------------

def access_report(inputs, plan, helm_result=None):
    """What a run says at its end: the release's state (deployed by this run, from Helm's result
    ``helm_result``, or unchanged, from the plan's read of its Deployment) and how to reach the API
    and web UI and the PostgreSQL proxy (the Service with a port named "postgres"): the Services of
    the plan's dry run when Helm ran, else the live ones the plan read, whose load-balancer
    addresses it knows. One line each."""
    i = normalize(inputs)
    ns, release = i["dbbat_namespace"], i["dbbat_release_name"]
    live = plan.get("services") or []
    addresses = dict((svc["name"], svc.get("address")) for svc in live)
    services = ((plan.get("render") or {}).get("services") or []) or live
    base_url = ((plan.get("release_values") or {}).get("config") or {}).get("baseUrl") or "/app"
    deployment = plan.get("deployment")
    lines = []
    if helm_result is not None:
        lines.append("DBBat release %s is deployed in namespace %s (revision %s); Helm waited for its pods to be"
                     " ready." % (release, ns, (helm_result.get("status") or {}).get("revision", "?")))
    elif deployment:
        lines.append("DBBat release %s is unchanged in namespace %s: Deployment %s, %s/%s pods ready."
                     % (release, ns, deployment["name"], deployment["ready"], deployment["replicas"]))
    if i["dbbat_ingress_enabled"]:
        lines.append("API and web UI: %s://%s%s (health at /api/v1/health)."
                     % ("https" if i["dbbat_ingress_tls_secret"] else "http", i["dbbat_ingress_host"], base_url))
    for svc in services:
        name, ports = svc["name"], svc.get("ports") or []
        pg = [p for p in ports if p.get("name") == "postgres"]
        if not pg:
            if not i["dbbat_ingress_enabled"] and ports:
                lines.append("API and web UI: kubectl -n %s port-forward svc/%s 8080:%s, then open"
                             " http://localhost:8080%s (health at /api/v1/health)."
                             % (ns, name, ports[0]["port"], base_url))
        elif svc.get("type") == "LoadBalancer":
            address = addresses.get(name)
            lines.append("PostgreSQL proxy (LoadBalancer): %s" % ("%s:%s" % (address, pg[0]["port"]) if address else
                         "address pending, watch it with: kubectl -n %s get svc %s -w" % (ns, name)))
        elif svc.get("type") == "NodePort":
            lines.append("PostgreSQL proxy (NodePort): port %s on any node address (kubectl get nodes -o wide)."
                         % (pg[0].get("node_port") or "?"))
        else:
            lines.append("PostgreSQL proxy (ClusterIP): %s.%s.svc:%s inside the cluster; from your machine: kubectl -n"
                         " %s port-forward svc/%s 5432:%s, then psql -h localhost -p 5432."
                         % (name, ns, pg[0]["port"], ns, name, pg[0]["port"]))
    return lines
