#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_plan
short_description: Read what a DBBat release needs from the cluster and prove its upgrade with a dry run
version_added: 1.1.0
description:
  - Reads, in one call, what the P(fclairamb.dbbat.deploy#role) role must know before it writes anything
    to a cluster, and proves the install or upgrade it is about to run. Writes nothing to the cluster.
  - "Reads: the namespace (does it exist, with which labels and annotations), the Secret of the
    encryption key and the storage DSN (which keys it has, whether its key is well formed and the one
    the inventory holds, a fingerprint of its data), fingerprints of other Secrets the pods read,
    Helm's release records (status, revision, values, chart, last deployed revision), and the
    release's Deployment and Services."
  - "Then, when the release would change (not installed, not C(deployed), other values or chart
    version), pulls the chart once into a temporary folder and runs Helm's own dry run of it against
    the cluster (C(helm upgrade --install --dry-run=server)), so that the chart's values schema and its
    template checks run with the exact values, chart and cluster of the deploy. Values Helm refuses
    are traced to the inventory variable that set them. The deploy then installs that same archive
    (RV(chart_archive)): the chart deployed is the chart proven, and the registry is reached once.
    Archives are kept by content (SHA-256) in C($XDG_CACHE_HOME/fclairamb.dbbat/charts), by default
    C(~/.cache/fclairamb.dbbat/charts): hosts of one run share them, and nothing needs removing."
  - Pod annotations named in O(checksums) are set, in RV(release_values), to fingerprints of the
    Secrets the pods read, so that the pods roll when those Secrets change.
  - "With O(inputs) (and O(secrets)), the variables of the P(fclairamb.dbbat.deploy#role) role, the
    module makes every decision of the role's preflight in one call: it refuses an inventory the
    role would refuse before reading anything (its failure's message lists every problem), renders the chart
    values, the Secret's fingerprint and the checksums from them, then says what the cluster
    holds that stops the deploy (RV(problems)), what the namespace and Secret step must write
    (RV(prerequisites)) and what changes in the values (RV(values_changes))."
  - With O(registry_username) and O(registry_password), logs in to the chart's registry
    (C(helm registry login --password-stdin)) into a private registry configuration in a temporary
    folder, removed as soon as the chart is pulled. Neither the user's helm configuration nor their
    keychain is touched.
author:
  - Florent Clairambault (@fclairamb)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - fclairamb.dbbat.release
  - fclairamb.dbbat.helm_binary
  - fclairamb.dbbat.helm_registry.connection
options:
  inputs:
    description:
      - The P(fclairamb.dbbat.deploy#role) role's variables (C(dbbat_*), as names and values), but for
        those given in O(secrets).
      - They give, unless set, O(values), O(user_values), O(value_sources), O(checksums),
        O(key_sha256), O(chart_ref), O(chart_version), O(registry_username), O(ca_file),
        O(plain_http) and O(binary_path).
    type: dict
  secrets:
    description: The role's secret variables, never shown; with O(inputs).
    type: dict
    suboptions:
      dbbat_encryption_key:
        description: The encryption key.
        type: str
        default: ""
      dbbat_db_password:
        description: The storage database's password.
        type: str
        default: ""
      dbbat_db_dsn:
        description: The storage database's DSN.
        type: str
        default: ""
      dbbat_registry_password:
        description: The chart registry's password (O(registry_password) unless set).
        type: str
        default: ""
  secret_name:
    description: Secret holding the encryption key C(DBB_KEY) and the storage DSN C(DBB_DSN).
    type: str
    required: true
  secret_keys:
    description: Keys of O(secret_name) the chart reads; RV(secret.missing_keys) lists those absent.
    type: list
    elements: str
    default: [DBB_KEY, DBB_DSN]
  key_sha256:
    description:
      - SHA-256 (hex) of the encryption key the inventory holds, to tell whether C(DBB_KEY) in the
        cluster is the same key (RV(secret.key_matches)) without the key itself crossing over.
    type: str
  checksums:
    description:
      - Pod annotations to set, in the returned RV(release_values), to a fingerprint of a Secret (SHA-256
        over its data, or over O(checksums[].keys) of it).
    type: list
    elements: dict
    default: []
    suboptions:
      annotation:
        description: Name of the pod annotation (chart value C(podAnnotations)).
        type: str
        required: true
      secret:
        description: Name of the Secret, in O(release_namespace).
        type: str
        required: true
      keys:
        description: Keys of the Secret the fingerprint covers; all when omitted.
        type: list
        elements: str
      sha256:
        description:
          - The fingerprint to use instead of reading the Secret (the data the deploy is about to write).
        type: str
  values:
    description: The chart values of the release, without the annotations of O(checksums).
    type: dict
    default: {}
  user_values:
    description: The part of O(values) the inventory gave as is (C(dbbat_values)), to name it in errors.
    type: dict
    default: {}
  value_sources:
    description: Chart value path to the inventory variable that sets it, to name it in errors.
    type: dict
    default: {}
  chart_ref:
    description:
      - Chart reference, C(oci://HOST/PATH/NAME) or a local chart folder.
      - Required unless O(render=never) (the dry run needs a chart; the reads do not).
    type: str
  chart_version:
    description: Exact chart version (ignored by Helm for a local folder).
    type: str
  registry_username:
    description:
      - User name for the chart's OCI registry; with O(registry_password), the dry run logs in first.
      - Without them, helm uses the existing login of the user running the module, or none.
    type: str
  registry_password:
    description: Password or token of O(registry_username); given to helm on standard input only.
    type: str
  render:
    description:
      - V(auto) runs the dry run when the release would change, V(always) runs it anyway,
        V(never) reads only (then O(chart_ref) may be omitted, and RV(change) does not look at the
        chart version).
    type: str
    choices: [auto, always, never]
    default: auto
notes:
  - Supports check mode; it never writes to the cluster, so it does the same in both modes.
  - The dry run needs C(get) and C(list) on Secrets in the namespace (Helm's records), like Helm itself.
  - A namespace the credentials may not read (HTTP 403) is reported as not readable, not as missing.
requirements:
  - helm >= 3.13 (Helm 3 or Helm 4) for the dry run (C(--dry-run=server)), >= 3.18 to log in over plain HTTP
  - kubernetes (Python) >= 24.2.0
"""

EXAMPLES = r"""
- name: Every decision of the deploy role's preflight, from its variables
  fclairamb.dbbat.release_plan:
    release_name: "{{ dbbat_release_name }}"
    release_namespace: "{{ dbbat_namespace }}"
    secret_name: "{{ dbbat_secret_name }}"
    inputs:
      dbbat_chart_version: 1.0.0
      dbbat_db_host: postgres.example.com
    secrets:
      dbbat_encryption_key: "{{ vault_dbbat_encryption_key }}"
      dbbat_db_password: "{{ vault_dbbat_db_password }}"
  register: plan

- name: What the cluster holds, and whether the upgrade would pass
  fclairamb.dbbat.release_plan:
    release_name: dbbat
    release_namespace: dbbat
    secret_name: dbbat-secrets
    key_sha256: "{{ dbbat_encryption_key | hash('sha256') }}"
    chart_ref: oci://ghcr.io/fclairamb/charts/dbbat
    chart_version: 1.0.0
    values:
      secrets:
        existingSecret: dbbat-secrets
    checksums:
      - annotation: dbbat.fclairamb.github.io/secret-sha256
        secret: dbbat-secrets
        keys: [DBB_KEY, DBB_DSN]
  register: plan

- name: Refuse a release left pending by an interrupted run
  ansible.builtin.assert:
    that: not (plan.release.pending | default(false))

- name: Only read the Secret, reduced to checks (no chart, no dry run)
  fclairamb.dbbat.release_plan:
    release_name: dbbat
    release_namespace: dbbat
    secret_name: dbbat-secrets
    key_sha256: "{{ backed_up_key | hash('sha256') }}"
    render: never
  register: current
"""

RETURN = r"""
namespace:
  description: The namespace as read.
  returned: always
  type: dict
  contains:
    exists:
      description: It exists (false also when it could not be read).
      type: bool
    readable:
      description: The credentials may read it (false on HTTP 403).
      type: bool
    labels:
      description: Its labels.
      type: dict
    annotations:
      description: Its annotations.
      type: dict
secret:
  description: The Secret O(secret_name), reduced to checks (no value is returned).
  returned: always
  type: dict
  contains:
    exists:
      description: It exists.
      type: bool
    missing_keys:
      description: Keys of O(secret_keys) it lacks.
      type: list
      elements: str
    key_valid:
      description: C(DBB_KEY) is standard base64 of exactly 32 bytes.
      type: bool
    key_matches:
      description: C(DBB_KEY) is the key of O(key_sha256) (null when either is absent).
      type: bool
    fingerprint:
      description: SHA-256 over its O(secret_keys).
      type: str
release_values:
  description: O(values) with the annotations of O(checksums) set, for kubernetes.core.helm's O(kubernetes.core.helm#module:release_values).
  returned: always
  type: dict
release:
  description: The release's current record, or null when it is not installed.
  returned: always
  type: dict
  contains:
    revision:
      description: Revision number.
      type: int
    status:
      description: Helm's status (deployed, failed, pending-upgrade...).
      type: str
    pending:
      description: A run was interrupted; Helm refuses to act on the release.
      type: bool
    chart_version:
      description: Chart version of the record.
      type: str
    app_version:
      description: Application version of the record.
      type: str
    updated:
      description: When it was written.
      type: str
    release_values:
      description: Its values (user-supplied).
      type: dict
    last_deployed:
      description: Revision, chart and app versions of the newest record that was deployed (null if none).
      type: dict
problems:
  description: What the cluster holds that stops the deploy, one message each (with O(inputs); else empty).
  returned: always
  type: list
  elements: str
prerequisites:
  description: What the namespace and Secret step must write (with O(inputs); else null).
  returned: always
  type: dict
  contains:
    namespace:
      description: The namespace is missing or lacks a label or annotation of the inventory.
      type: bool
    secret:
      description: The role manages the Secret and its data differs from the inventory's.
      type: bool
values_changes:
  description: The top-level keys of RV(release_values) that differ from the release's, each with C(before) and C(after).
  returned: always
  type: dict
chart_ref:
  description: The chart reference used (O(chart_ref), or the one O(inputs) give).
  returned: always
  type: str
change:
  description: Why an install or upgrade must run (V(install), V(values), V(chart 1.0.0 -> 1.1.0), a status), or null.
  returned: always
  type: str
render:
  description: The dry run.
  returned: always
  type: dict
  contains:
    done:
      description: It ran.
      type: bool
    ok:
      description: Helm accepted the values and rendered the chart.
      type: bool
    problems:
      description: What Helm refused, each with the chart values and the inventory variables concerned.
      type: list
      elements: dict
    error:
      description: Helm's error when it failed for another reason (registry, cluster).
      type: str
    message:
      description: What to tell of a refusal or a failure, naming values and variables (null when it passed or did not run).
      type: str
    services:
      description: The Services the chart renders (name, type, ports).
      type: list
      elements: dict
services:
  description: The release's Services in the cluster (name, type, ports, load-balancer address).
  returned: always
  type: list
  elements: dict
deployment:
  description: The release's Deployment in the cluster (name, replicas, ready replicas), or null.
  returned: always
  type: dict
chart_archive:
  description: The chart archive pulled and proven, for the deploy (null for a local chart folder or when no dry run ran).
  returned: always
  type: str
helm_version:
  description: Version of the helm binary used for the dry run (null when none ran).
  returned: always
  type: str
"""

import base64
import copy
import hashlib
import json
import os
import pwd
import shutil
import tempfile

from ansible_collections.fclairamb.dbbat.plugins.module_utils import deploy_inputs, helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.cluster_reads import ClusterReads
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import cluster_helm, release_argument_spec
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import (
    explain_refusal, fingerprint, helm_needed, key_fingerprint, release_state)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import is_encryption_key

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    HAS_KUBERNETES_CORE = True
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    HAS_KUBERNETES_CORE = False

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:  # pragma: no cover - reported by AnsibleK8SModule
    pass


def argument_spec():
    return release_argument_spec(
        inputs=dict(type="dict"),
        # The container is not a secret; each of its options is.
        secrets=dict(type="dict", no_log=False, options=dict(
            (name, dict(type="str", default="", no_log=True)) for name in deploy_inputs.SECRET_INPUTS)),
        secret_name=dict(type="str", required=True),
        secret_keys=dict(type="list", elements="str", default=["DBB_KEY", "DBB_DSN"], no_log=False),
        key_sha256=dict(type="str", no_log=False),
        checksums=dict(type="list", elements="dict", default=[], options=dict(
            annotation=dict(type="str", required=True),
            secret=dict(type="str", required=True, no_log=False),
            keys=dict(type="list", elements="str", no_log=False),
            sha256=dict(type="str", no_log=False),
        )),
        values=dict(type="dict", default={}),
        user_values=dict(type="dict", default={}),
        value_sources=dict(type="dict", default={}),
        chart_ref=dict(type="str"),
        chart_version=dict(type="str"),
        render=dict(type="str", choices=["auto", "always", "never"], default="auto"),
        # The chart registry's credentials are named registry_* as kubernetes.core's connection options
        # already have username, password, cert_file... for the cluster; ca_file and plain_http are free.
        registry_username=dict(type="str"),
        registry_password=dict(type="str", no_log=True),
        binary_path=dict(type="path"),
        **helm_cli.registry_connection_spec()
    )


def check_params(params):
    """Why the parameters cannot go together, or ``None``."""
    if params["render"] != "never" and not params["chart_ref"]:
        return ("chart_ref is required when render is %s: the dry run needs a chart (render=never reads the cluster"
                " only)" % params["render"])
    return None


def apply_inputs(params, k8s_auth_host=False):
    """Fill the parameters the role's variables give (``params["inputs"]`` and ``["secrets"]``),
    those left unset only; returns ``(inputs, problems)``: the variables as one dict, and what the
    role would refuse in them. Without ``inputs``, ``(None, [])``."""
    if params["inputs"] is None:
        return None, []
    inputs = deploy_inputs.normalize(dict(params["inputs"], **(params["secrets"] or {})))
    problems = deploy_inputs.inventory_problems(inputs, k8s_auth_host)
    managed = inputs["dbbat_secret_managed"]
    derived = {
        "values": deploy_inputs.chart_values(inputs),
        "user_values": inputs["dbbat_values"],
        "value_sources": deploy_inputs.value_sources(),
        "checksums": deploy_inputs.checksums(inputs, deploy_inputs.secret_sha256(inputs) if managed else None),
        "key_sha256": deploy_inputs.key_sha256(inputs) if managed else None,
        "chart_ref": deploy_inputs.chart_ref(inputs),
        "chart_version": inputs["dbbat_chart_version"],
        "registry_username": inputs["dbbat_registry_username"] or None,
        "registry_password": inputs["dbbat_registry_password"] or None,
        "ca_file": inputs["dbbat_registry_ca_file"] or None,
        "plain_http": inputs["dbbat_registry_plain_http"],
        "binary_path": inputs["dbbat_helm_binary"] or None,
    }
    for name, value in derived.items():
        if params[name] in (None, {}, []):
            params[name] = value
    return inputs, problems


def decisions(inputs, result):
    """What the role does with the plan's read: the cluster's problems and the prerequisites."""
    if inputs is None:
        return {"problems": [], "prerequisites": None}
    wanted = deploy_inputs.secret_sha256(inputs) if inputs["dbbat_secret_managed"] else None
    return {"problems": deploy_inputs.cluster_problems(inputs, result["namespace"], result["secret"], result["release"]),
            "prerequisites": deploy_inputs.prerequisites(inputs, result["namespace"], result["secret"]["fingerprint"],
                                                         wanted)}


def secret_checks(data, keys, key_sha256):
    """The Secret reduced to checks: nothing of its content leaves this function but a fingerprint."""
    if data is None:
        return {"exists": False, "missing_keys": list(keys), "key_valid": False, "key_matches": None,
                "fingerprint": None}
    key = base64.b64decode(data["DBB_KEY"]).decode("utf-8", "replace").strip() if "DBB_KEY" in data else None
    return {
        "exists": True,
        "missing_keys": [k for k in keys if k not in data],
        "key_valid": key is not None and is_encryption_key(key),
        "key_matches": None if key is None or not key_sha256 else
        key_fingerprint(key) == key_sha256,
        "fingerprint": fingerprint(data, keys),
    }


def with_checksums(values, checksums, read_secret):
    """``values`` with each checksum annotation set; ``read_secret(name)`` gives a Secret's data."""
    out = copy.deepcopy(values)
    annotations = out.setdefault("podAnnotations", {})
    for item in checksums:
        sha = item.get("sha256")
        if not sha:
            data = read_secret(item["secret"])
            sha = fingerprint(data, item.get("keys")) if data is not None else "absent"
        annotations[item["annotation"]] = sha
    return out


def rendered_services(manifest):
    """Name, type and ports of the Services of a rendered manifest (Helm's dry-run output)."""
    import yaml

    services = []
    for doc in yaml.safe_load_all(manifest or ""):
        if isinstance(doc, dict) and doc.get("kind") == "Service":
            spec = doc.get("spec") or {}
            services.append({"name": doc["metadata"]["name"], "type": spec.get("type", "ClusterIP"),
                             "ports": [{"name": p.get("name"), "port": p.get("port"), "node_port": p.get("nodePort")}
                                       for p in spec.get("ports") or []],
                             "address": None})
    return services


def registry_tls(params):
    """The registry connection options, as helm_cli's registry flags name them."""
    oci = params["chart_ref"].startswith("oci://")
    return {"plain_http": bool(params["plain_http"]) and oci, "ca_file": params["ca_file"] if oci else None}


def chart_cache():
    """Where pulled charts are kept, by content."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir,
                                                            ".cache")
    return os.path.join(base, "fclairamb.dbbat", "charts")


def pull(module, helm):
    """Pull the OCI chart (logging in first when credentials are given, into a private registry
    config removed right after) and keep it in the chart cache under its SHA-256; returns its path."""
    p = module.params
    cache = chart_cache()
    if not os.path.isdir(cache):
        os.makedirs(cache, 0o700)
    # In the cache (0700), so that the archive moves into place atomically, on the same file system.
    work_dir = tempfile.mkdtemp(prefix=".pull-", dir=cache)
    try:
        registry_config = None
        if p["registry_username"] and p["registry_password"]:
            registry_config = os.path.join(work_dir, "registry.json")
            host = helm_cli.parse_registry(p["chart_ref"])[0]
            with open(registry_config, "w") as config:
                config.write(helm_cli.private_registry_config(host))
            os.chmod(registry_config, 0o600)
            helm.check(helm_cli.login_argv(helm.binary, helm.version, host, p["registry_username"],
                                           registry_config=registry_config, **registry_tls(p)),
                       "helm registry login to %s" % host, data=p["registry_password"])
        helm.check(helm_cli.pull_argv(helm.binary, helm.version, p["chart_ref"], p["chart_version"], work_dir,
                                      registry_config=registry_config, **registry_tls(p)),
                   "helm pull %s --version %s" % (p["chart_ref"], p["chart_version"]))
        (pulled,) = [os.path.join(work_dir, f) for f in os.listdir(work_dir) if f.endswith(".tgz")]
        with open(pulled, "rb") as archive:
            digest = hashlib.sha256(archive.read()).hexdigest()
        cached = os.path.join(cache, "%s.tgz" % digest)
        os.replace(pulled, cached)  # atomic: hosts pulling the same chart at once get the same file
        return cached
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def dry_run(module, helm, env, values, chart):
    """Helm's server-side dry run of the install or upgrade of ``chart`` (an archive or a folder);
    returns the ``render`` result."""
    p = module.params
    argv = helm_cli.upgrade_argv(helm.binary, helm.version, p["release_name"], chart, p["release_namespace"],
                                 dry_run=True)
    # Values go on stdin (-f -): nothing of them in argv or on disk.
    rc, out, err = helm.run(argv, data=json.dumps(values), env=env)
    if rc == 0:
        manifest = out.split("\nMANIFEST:\n", 1)[-1].split("\nNOTES:\n", 1)[0]
        return {"done": True, "ok": True, "problems": [], "error": None, "services": rendered_services(manifest)}
    if "values don't meet the specifications" in err or "execution error at" in err:
        return {"done": True, "ok": False, "error": None, "services": [],
                "problems": explain_refusal(err, p["user_values"], p["value_sources"])}
    return {"done": True, "ok": False, "problems": [], "services": [],
            "error": helm_cli.last_error_line(err or out)}


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    # The inventory is refused before anything reads the cluster.
    inputs, problems = apply_inputs(p, bool(os.environ.get("K8S_AUTH_HOST")))
    if problems:
        module.fail_json(msg=" ".join(problems), inventory_problems=problems)
    problem = check_params(p)
    if problem:
        module.fail_json(msg=problem)
    ns, name = p["release_namespace"], p["release_name"]
    result = {"changed": False, "helm_version": None}
    try:
        cluster = ClusterReads(get_api_client(module=module).client)
        result["namespace"] = cluster.namespace(ns)
        data = cluster.secret_data(p["secret_name"], ns)
        result["secret"] = secret_checks(data, p["secret_keys"], p["key_sha256"])

        def read_secret(secret):
            return data if secret == p["secret_name"] else cluster.secret_data(secret, ns)
        values = with_checksums(p["values"], p["checksums"], read_secret)
        result["release_values"] = values
        release = release_state(cluster.release_records(name, ns))
        result["release"] = release
        oci = (p["chart_ref"] or "").startswith("oci://")
        result["change"] = helm_needed(release, values, p["chart_version"] if oci else None)
        result["services"] = cluster.services(name, ns)
        result["deployment"] = cluster.deployment(name, ns)
    except (CoreException, DynamicApiError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        status = getattr(exc, "status", None)
        module.fail_json(msg="cannot read namespace %s from the Kubernetes API%s: %s"
                         % (ns, " (HTTP %s)" % status if status else "", reason), status=status)
    except Exception as exc:  # connection refused, DNS, TLS: urllib3 errors
        module.fail_json(msg="cannot reach the Kubernetes API: %s" % exc)

    result["render"] = {"done": False, "ok": None, "problems": [], "error": None, "services": []}
    result["chart_archive"] = None
    if p["render"] == "always" or (p["render"] == "auto" and result["change"]):
        try:
            helm, env = cluster_helm(module)
            result["helm_version"] = helm_cli.format_version(helm.version)
            chart = p["chart_ref"]
            if chart.startswith("oci://"):
                chart = result["chart_archive"] = pull(module, helm)
            result["render"] = dry_run(module, helm, env, values, chart)
        except helm_cli.HelmError as exc:
            result["chart_archive"] = None
            result["render"] = {"done": True, "ok": False, "problems": [], "services": [], "error": exc.message}
    result["render"]["message"] = deploy_inputs.refusal_message(result["render"], name)
    result["values_changes"] = deploy_inputs.values_changes((result["release"] or {}).get("release_values"), values)
    result["chart_ref"] = p["chart_ref"]
    result.update(decisions(inputs, result))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
