# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the deploy role needs to know about a release and its Secrets, as pure functions.

- Helm's release records (the Secrets Helm 3 and 4 keep, type ``helm.sh/release.v1``): decoding,
  the current record, the last deployed one, and whether a run left the release pending;
- fingerprints of Secrets (a SHA-256 over chosen keys: pods carry it so that they roll when the
  data changes; it reveals nothing of a random key);
- Helm's refusals of values (its JSON schema check and the chart's own ``fail`` messages), each
  traced back to the inventory variable that set the value;
- why an install or upgrade failed, from Helm's output: server-side apply conflicts (which
  fields, changed by which manager) and what became of the release (rolled back, uninstalled).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import hashlib
import json
import re

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")


# --- Helm release records ----------------------------------------------------------------

def decode_release(secret):
    """The release JSON of one of Helm's record Secrets (``data.release``: base64 of the
    Secret API, then Helm's own base64 of a gzip of the JSON)."""
    raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw.decode("utf-8"))


def summarize_release(release):
    """The fields the role uses of a decoded release."""
    chart = (release.get("chart") or {}).get("metadata") or {}
    info = release.get("info") or {}
    values = release.get("config") or {}
    return {
        "revision": release.get("version"),
        "status": info.get("status"),
        "chart_version": chart.get("version"),
        # What DBBat runs: the image tag the values set, else the chart's appVersion.
        "app_version": str((values.get("image") or {}).get("tag") or chart.get("appVersion") or ""),
        "updated": info.get("last_deployed"),
        "description": info.get("description"),
        "release_values": release.get("config") or {},
    }


def release_state(records):
    """From the decoded records of one release: ``None`` when there is none, else the current
    record (highest revision) with ``pending`` and ``last_deployed`` (the newest record that
    reached ``deployed``, superseded since or not; ``None`` when the release never deployed)."""
    if not records:
        return None
    ordered = sorted(records, key=lambda r: r.get("version") or 0)
    current = summarize_release(ordered[-1])
    current["pending"] = current["status"] in PENDING
    deployed = [summarize_release(r) for r in ordered
                if (r.get("info") or {}).get("status") in ("deployed", "superseded")]
    last = deployed[-1] if deployed else None
    current["last_deployed"] = None if last is None else {
        "revision": last["revision"], "chart_version": last["chart_version"], "app_version": last["app_version"]}
    return current


def history(records):
    """Every decoded record, summarized, oldest first."""
    return [summarize_release(r) for r in sorted(records, key=lambda r: r.get("version") or 0)]


_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def is_version(version):
    """Whether an application version can be ordered (``0.25.2``, ``v1.2.0-rc.1``); a tag such as
    ``latest``, ``main`` or a digest (``sha256:...``) cannot."""
    return bool(_VERSION.match(str(version or "")))


def version_key(version):
    """A sort key for application versions (``0.25.2``, ``v1.2.0-rc.1``): numbers compare as numbers,
    a pre-release sorts before its release; anything unreadable sorts first (see is_version)."""
    match = _VERSION.match(str(version or ""))
    if not match:
        return (-1, -1, -1, ())
    pre = match.group(4)
    pre_key = (1,) if pre is None else (0,) + tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                                                    for p in pre.split("."))
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), pre_key)


def rollback_plan(records, revision=None):
    """What a rollback would do: ``{"current", "target", "schema_app_version", "schema_revision",
    "downgrade"}``. The target is ``revision`` or the newest earlier revision that was deployed. The
    database's schema is taken to be at the newest application version any revision ran, failed
    ones included (a failed upgrade may have migrated before its pods failed). ``downgrade`` says
    whether the target may run an older DBBat than that schema (see schema_downgrade). Raises
    ValueError when there is no such target."""
    revisions = history(records)
    if not revisions:
        raise ValueError("the release is not installed")
    current = revisions[-1]
    if revision:
        found = [r for r in revisions if r["revision"] == revision]
        if not found:
            raise ValueError("revision %s is not in the release's history (%s)"
                             % (revision, ", ".join(str(r["revision"]) for r in revisions)))
        target = found[0]
    else:
        earlier = [r for r in revisions[:-1] if r["status"] in ("deployed", "superseded")]
        if not earlier:
            raise ValueError("no earlier revision was deployed")
        target = earlier[-1]
    newest = max(revisions, key=lambda r: (version_key(r["app_version"]), r["revision"]))
    return {"current": current, "target": target, "schema_app_version": newest["app_version"],
            "schema_revision": newest["revision"], "downgrade": schema_downgrade(revisions, target, newest)}


def schema_downgrade(revisions, target, newest):
    """Whether rolling back to ``target`` may put an older DBBat in front of the schema: ``None``
    when it cannot (every revision ran the target's version or an older one); ``{"reason": "older"}``
    when ``newest`` runs a newer version; ``{"reason": "unordered", "tags", "revisions"}`` when the
    target's version or another that a revision ran is a tag that cannot be ordered (``latest``, a
    digest, a branch: it sorts nowhere, so the schema may be ahead whatever it says): ``tags`` are
    those, ``revisions`` the ``(revision, app_version)`` that ran something else than the target.
    The same string as the target's is the same DBBat, whatever it is."""
    others = [r for r in revisions if r["app_version"] != target["app_version"]]
    tags = [v for v in [target["app_version"]] + [r["app_version"] for r in others] if not is_version(v)]
    if others and tags:
        unordered = others if not is_version(target["app_version"]) else \
            [r for r in others if not is_version(r["app_version"])]
        return {"reason": "unordered", "tags": sorted(set(tags), key=tags.index),
                "revisions": [(r["revision"], r["app_version"]) for r in unordered]}
    if version_key(target["app_version"]) < version_key(newest["app_version"]):
        return {"reason": "older"}
    return None


def rollback_refusal(plan, where, allow_variable):
    """The message refusing ``plan`` (see rollback_plan) for the release ``where`` (``ns/name``), or
    ``None`` when the rollback cannot put an older DBBat in front of a newer schema.
    ``allow_variable`` is how the caller names the option that allows it."""
    downgrade, target = plan["downgrade"], plan["target"]
    if downgrade is None:
        return None
    head = "Refusing to roll release %s back to revision %s: it runs DBBat %s" % (
        where, target["revision"], target["app_version"] or "''")
    if downgrade["reason"] == "older":
        return (head + ", older than DBBat %s (revision %s), which the storage database's schema may already be"
                " migrated to. An old DBBat in front of a newer schema can fail or damage data. Roll the schema"
                " back first (`dbbat db rollback` with DBBat %s), then rerun with the schema downgrade allowed (%s)."
                % (plan["schema_app_version"], plan["schema_revision"], plan["schema_app_version"], allow_variable))
    ran = ", ".join("revision %s ran DBBat %s" % (rev, version or "''") for rev, version in downgrade["revisions"])
    tags = ", ".join("'%s'" % tag for tag in downgrade["tags"])
    return (head + ", while %s. %s %s not a version (an image tag such as latest, a digest or a branch): which DBBat"
            " is newer cannot be told, and the storage database's schema may be newer than the target's DBBat. An"
            " old DBBat in front of a newer schema can fail or damage data. Find out which DBBat versions these tags"
            " ran; if none is newer than the target's, or once the schema is rolled back (`dbbat db rollback` with"
            " the newest one), rerun with the schema downgrade allowed (%s)."
            % (ran, tags, "is" if len(downgrade["tags"]) == 1 else "are", allow_variable))


def changed_values(current, target):
    """The top-level chart values that differ between two revisions, sorted."""
    a, b = current["release_values"], target["release_values"]
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def rollback_summary(release_name, namespace, plan):
    """What a rollback will change, in two lines: the revisions with their chart and DBBat
    versions, and the top-level chart values that change."""
    current, target = plan["current"], plan["target"]
    return ["Release %s in namespace %s: revision %s (chart %s, DBBat %s) back to revision %s (chart %s, DBBat %s)."
            % (release_name, namespace, current["revision"], current["chart_version"], current["app_version"],
               target["revision"], target["chart_version"], target["app_version"]),
            "Chart values that change: %s." % (", ".join(changed_values(current, target)) or "none")]


def helm_needed(release, values, chart_version):
    """Why an install or upgrade must run (a short reason), or ``None`` when the release already
    is what is asked: deployed, with the same values and chart version."""
    if release is None:
        return "install"
    if release["status"] != "deployed":
        return "status %s" % release["status"]
    if chart_version and release["chart_version"] != chart_version:
        return "chart %s -> %s" % (release["chart_version"], chart_version)
    if release["release_values"] != values:
        return "values"
    return None


# --- Secret fingerprints ----------------------------------------------------------------

def key_fingerprint(key):
    """SHA-256 of an encryption key's text (trimmed): the inventory's and the Secret's keys are
    compared through it, so that neither is handled beside the other."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def fingerprint(data, keys=None):
    """SHA-256 over a Secret's ``data`` (base64 values as the API returns them), limited to
    ``keys`` when given: JSON with sorted keys. The one fingerprint of the collection: the pods'
    annotation and the plan's comparison (deploy_inputs), the fclairamb.dbbat.secret_fingerprint
    filter (key backup and restore)."""
    chosen = dict((k, v) for k, v in (data or {}).items() if keys is None or k in keys)
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode("utf-8")).hexdigest()


# --- values Helm refused ----------------------------------------------------------------

# Helm 3.19 and Helm 4 name a schema failure the same way: "- at '/image/tag': got ..."
_SCHEMA_AT = re.compile(r"^- at '(/?[^']*)': (.*)$", re.M)
_ADDITIONAL = re.compile(r"additional propert(?:y|ies) ((?:'[^']+'(?:, )?)+) not allowed")
# Older wording, kept for Helm 3 releases before the jsonschema library change: "- image.tag: ..."
_SCHEMA_DOTTED = re.compile(r"^- ([A-Za-z0-9_.\[\]-]+): (.*)$", re.M)
_FAIL = re.compile(r"execution error at \([^)]*\): (.*)$", re.M)


def schema_path(pointer):
    """A JSON pointer (``/service/proxy/port``) as the dotted path of values (``service.proxy.port``)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p]
    return ".".join(parts)


def flatten(values, prefix=""):
    """Every leaf path of nested values: ``{"a": {"b": 1}}`` -> ``["a.b"]`` (lists are leaves)."""
    paths = []
    for key, value in (values or {}).items():
        path = "%s.%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, dict) and value:
            paths.extend(flatten(value, path))
        else:
            paths.append(path)
    return paths


def value_source(path, user_values, sources):
    """The inventory variable a chart value came from: ``dbbat_values.<path>`` when the user set
    it (or a value under it) there, else the variable ``sources`` maps the path (or its nearest
    parent) to, else ``None``."""
    user_paths = flatten(user_values)
    if any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in user_paths):
        return "dbbat_values.%s" % path
    candidate = path
    while candidate:
        if candidate in sources:
            return sources[candidate]
        candidate = candidate.rpartition(".")[0]
    return None


def explain_refusal(stderr, user_values, sources):
    """What Helm refused, one entry a problem: ``[{"values": [path], "variables": [name],
    "message"}]``. A schema complaint names its value; a chart ``fail`` message names the values
    it mentions (the chart's messages quote their values' paths)."""
    text = stderr or ""
    problems = []
    found = [(schema_path(m.group(1)), m.group(2)) for m in _SCHEMA_AT.finditer(text)]
    if not found and "don't meet the specifications of the schema" in text:
        found = [(m.group(1), m.group(2)) for m in _SCHEMA_DOTTED.finditer(text)]
    for path, message in found:
        # an unknown key is reported at its parent: name the key itself
        extra = _ADDITIONAL.search(message)
        keys = re.findall(r"'([^']+)'", extra.group(1)) if extra else []
        paths = [".".join(p for p in (path, key) if p) for key in keys] or [path]
        problems.append(_problem(paths, message, user_values, sources))
    known = set(flatten(user_values)) | set(sources)
    for match in _FAIL.finditer(text):
        message = match.group(1).strip()
        mentioned = [p for p in known if re.search(r"(?<![\w.])%s(?!\w)" % re.escape(p), message)]
        # "podDisruptionBudget" is also found inside "podDisruptionBudget.minAvailable": keep the longer
        mentioned = [p for p in mentioned if not any(q.startswith(p + ".") for q in mentioned)]
        problems.append(_problem(sorted(mentioned, key=message.find), message, user_values, sources))
    if not problems and text.strip():
        problems.append(_problem([], text.strip().splitlines()[-1], user_values, sources))
    return problems


def _problem(paths, message, user_values, sources):
    variables = []
    for path in paths:
        variable = value_source(path, user_values, sources)
        if variable and variable not in variables:
            variables.append(variable)
    return {"values": paths, "variables": variables, "message": message.strip()}


# --- why an install or upgrade failed --------------------------------------------------

# Kubernetes' server-side apply conflicts, as Helm 4 relays them: one field on the same line
#   conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas
# or several, one a line:  conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- ...
_CONFLICT = re.compile(r'conflicts? with "([^"]+)"(?: with subresource "([^"]+)")?(?: using [^:\s]+)?:'
                       r'(?: (\.[^\s:]+)|((?:\n- \.[^\n]+)+))')
_OBJECT = re.compile(r"while applying object ([^ ]+) [^,]+, Kind=(\w+)")


# A failed hook Job: Helm 3 "job NAME failed: ...", Helm 4 "resource Job/NAMESPACE/NAME not ready";
# the phase as "PHASE hooks failed", or, on a first install with Helm 4.3, "failed PHASE:".
_PHASES = "pre-install|pre-upgrade|post-install|post-upgrade|pre-rollback|post-rollback"
_HOOK_PHASE = re.compile(r"(?:(%s) hooks failed|\bfailed (%s):)" % (_PHASES, _PHASES))
_HOOK_JOB = re.compile(r"(?:\bjob ([a-z0-9][-a-z0-9.]*) failed|resource Job/[^/\s]+/([a-z0-9][-a-z0-9.]*) not ready)")


def explain_helm_failure(output):
    """What Helm's output says of a failed install or upgrade: ``{"conflicts": [{"manager",
    "subresource", "fields", "object"}], "hook": {"phase", "job"} | None, "outcome": "rolled_back" |
    "rollback_failed" | "uninstalled" | None, "cause": the last "Error:" line}``."""
    text = output or ""
    phase, job = _HOOK_PHASE.search(text), _HOOK_JOB.search(text)
    hook = {"phase": phase.group(1) or phase.group(2), "job": (job.group(1) or job.group(2)) if job else None} \
        if phase else None
    conflicts = []
    for match in _CONFLICT.finditer(text):
        fields = [match.group(3)] if match.group(3) else \
            [line[2:].strip() for line in match.group(4).strip("\n").split("\n")]
        before = _OBJECT.findall(text[:match.start()])
        obj = "%s %s" % (before[-1][1], before[-1][0]) if before else None
        entry = {"manager": match.group(1), "subresource": match.group(2), "fields": fields, "object": obj}
        if entry not in conflicts:
            conflicts.append(entry)
    if "has been uninstalled" in text:
        outcome = "uninstalled"
    elif "error occurred while rolling back" in text:
        outcome = "rollback_failed"
    elif "rolled back" in text:
        outcome = "rolled_back"
    else:
        outcome = None
    errors = re.findall(r"^Error: (.*)$", text, re.M)
    return {"conflicts": conflicts, "hook": hook, "outcome": outcome, "cause": errors[-1].strip() if errors else None}
