# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What drifted in a release's objects, as pure functions (the module release_drift does the I/O).

Drift is what deploying the release again would change: the objects of the release's current
manifest (hooks left out) that are missing from the cluster, and, for each object present, the
fields whose live value differs from what a server-side apply of the manifest would give (the API
server's own dry run: defaults, field ownership and merge rules are the server's, not guessed
here). Fields only others set (a label added with ``kubectl label``) are not drift, since a deploy
would leave them too. Server-owned metadata and ``status`` are left out; values of Secrets are
never returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

# Metadata the API server (or kubectl) owns: it changes without anyone changing the object.
IGNORED_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink",
                    "deletionTimestamp", "deletionGracePeriodSeconds")
# kubectl's bookkeeping; for a Secret it even holds the data in clear.
IGNORED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
# Fields whose values are never shown, by kind.
HIDDEN_FIELDS = {"Secret": ("data", "stringData")}
HIDDEN = "(hidden)"
HIDDEN_NOTE = "value differs"

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


def current_record(records):
    """The decoded record of the highest revision, or ``None`` when there is none."""
    if not records:
        return None
    return sorted(records, key=lambda r: r.get("version") or 0)[-1]


def manifest_objects(manifest):
    """The objects of a release manifest (a multi-document YAML string); ``kind: List`` documents
    are unpacked and empty documents skipped."""
    import yaml

    objects = []
    for doc in yaml.safe_load_all(manifest or ""):
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            objects.extend(item for item in doc["items"] if isinstance(item, dict) and item.get("kind"))
        else:
            objects.append(doc)
    return objects


def object_ref(kind, name, namespace=None):
    """``Kind namespace/name`` (``Kind name`` for a cluster-scoped object)."""
    return "%s %s%s" % (kind, "%s/" % namespace if namespace else "", name)


def comparable(obj):
    """A copy of an object without what the server owns: ``status``, the server's metadata and
    kubectl's last-applied annotation."""
    out = copy.deepcopy(obj or {})
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in IGNORED_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in IGNORED_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                meta.pop("annotations")
    return out


def _key(path, key):
    """``path.key``, or ``path["key"]`` for keys with dots, slashes... (label and annotation names)."""
    key = str(key)
    if _PLAIN_KEY.match(key):
        return "%s.%s" % (path, key) if path else key
    return '%s["%s"]' % (path, key)


def _named(items):
    """``{name: item}`` when every item is a dict with a distinct ``name`` (containers, ports, env),
    else ``None``."""
    if not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    named = dict((i["name"], i) for i in items)
    return named if len(named) == len(items) else None


def differences(live, release, path=""):
    """``[(path, live value, release value)]`` where the two trees differ; ``None`` stands for a
    field absent on that side. Lists of named items are matched by name (``containers[name=dbbat]``),
    other lists by position when their lengths agree, else compared whole."""
    if isinstance(live, dict) and isinstance(release, dict):
        out = []
        for key in sorted(set(live) | set(release), key=str):
            out.extend(differences(live.get(key), release.get(key), _key(path, key)))
        return out
    if isinstance(live, list) and isinstance(release, list) and live != release:
        live_named, release_named = _named(live), _named(release)
        if live and release and live_named is not None and release_named is not None:
            out = []
            names = [i["name"] for i in release] + [i["name"] for i in live if i["name"] not in release_named]
            for name in names:
                out.extend(differences(live_named.get(name), release_named.get(name), "%s[name=%s]" % (path, name)))
            return out
        if len(live) == len(release):
            out = []
            for index, (a, b) in enumerate(zip(live, release)):
                out.extend(differences(a, b, "%s[%d]" % (path, index)))
            return out
    if live != release:
        return [(path, live, release)]
    return []


def _hidden(kind, path):
    for field in HIDDEN_FIELDS.get(kind, ()):
        if path == field or path.startswith((field + ".", field + "[")):
            return True
    return False


def object_drift(kind, live, release):
    """The fields of one object whose live value differs from the dry run of the release's apply:
    ``[{"path", "live", "release"}]``; for hidden fields (a Secret's data) both values are
    ``(hidden)`` and ``note`` says ``value differs``."""
    fields = []
    for path, a, b in differences(comparable(live), comparable(release)):
        if _hidden(kind, path):
            fields.append({"path": path, "live": None if a is None else HIDDEN,
                           "release": None if b is None else HIDDEN, "note": HIDDEN_NOTE})
        else:
            fields.append({"path": path, "live": a, "release": b})
    return fields


# --- the report ---------------------------------------------------------------------------

def _shown(value):
    return "absent" if value is None else json.dumps(value)[:200]


def _field_line(ref, field):
    if field.get("note"):
        return "%s: %s: %s" % (ref, field["path"], field["note"])
    return "%s: %s: %s in the cluster, %s in the release" % (ref, field["path"], _shown(field["live"]),
                                                             _shown(field["release"]))


def drift_report(release_name, namespace, release, objects, drift):
    """``(report, message)``: the report of a drift check, one line for the whole and one per
    deleted object or drifted field (values cut at 200 characters); and, when something drifted,
    the one-line failure that says how to put the release back (empty otherwise). ``release``,
    ``objects`` and ``drift`` are what release_drift returns."""
    status = release.get("status")
    where = "release %s in namespace %s (revision %s, chart %s%s)" % (
        release_name, namespace, release.get("revision"), release.get("chart_version"),
        ", " + status if status != "deployed" else "")
    if not drift:
        return ["No drift: the %d objects of %s are as deployed." % (len(objects), where)], ""
    report = ["%d of the %d objects of %s drifted:" % (len(drift), len(objects), where)]
    for item in drift:
        if item["state"] == "deleted":
            note = " (%s)" % item["note"] if item.get("note") else ""
            report.append("%s: deleted from the cluster%s" % (item["object"], note))
        else:
            report.extend(_field_line(item["object"], field) for field in item["fields"])
    message = ("%s %s. To put the release's values back, `helm -n %s rollback %s %s` applies its revision again (with"
               " Helm 4, add --force-conflicts to take back fields another manager changed), and so does the next"
               " deploy that changes something (playbooks/deploy.yml, with dbbat_helm_force_conflicts=true under"
               " Helm 4); or make the inventory ask for what the cluster has. dbbat_drift_fail=false only reports."
               % (report[0], "; ".join(report[1:]), namespace, release_name, release.get("revision")))
    return report, message
