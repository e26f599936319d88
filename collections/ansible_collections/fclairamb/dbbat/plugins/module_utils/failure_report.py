# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the deploy role says when Helm or one of the release's hook pods stopped it, as pure functions.

- why Helm's install or upgrade failed (what :func:`release_state.explain_helm_failure` read in
  its output) and what became of the release, with the way out;
- the story of a failed hook: the migration Job that stopped Helm, the ``helm test`` that failed
  after a deploy or could not run;
- what the newest pod of such a hook says: its phase, how each container ended, the last lines
  of its log.

The role's tasks read the cluster and hand the facts over; the words are all here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What became of the release, by the outcome explain_helm_failure reads in Helm's output.
OUTCOMES = {
    "rolled_back": "The release was rolled back (atomic): the pods of the previous revision keep serving.",
    "rollback_failed": "Rolling it back failed too, for the same reason: the release is marked failed, its objects "
                       "are those of the previous revision but for what could not be applied, and the pods of that "
                       "revision keep serving.",
    "uninstalled": "The new release was uninstalled again (atomic): only the namespace and the Secret are left.",
}

# Helm's cause is quoted up to this length: a failed wait can list every object it waited for.
CAUSE_MAX_CHARS = 600


def _sentences(*parts):
    """The parts that say something, one space between them."""
    return " ".join(part for part in parts if part)


def helm_action(first_install):
    """What Helm was doing: ``install`` when the release did not exist, else ``upgrade``."""
    return "install" if first_install else "upgrade"


def _conflict(conflict):
    subresource = ", %s subresource" % conflict["subresource"] if conflict.get("subresource") else ""
    subject = "%s %s" % (conflict["object"], ", ".join(conflict["fields"])) if conflict.get("object") \
        else ", ".join(conflict["fields"])
    return '%s (by "%s"%s)' % (subject, conflict["manager"], subresource)


def helm_failure_message(failure, action, release, namespace):
    """Why Helm's ``action`` (install, upgrade) of ``release`` in ``namespace`` failed, what became of
    the release, and what to do: ``failure`` is what ``explain_helm_failure`` read in Helm's output."""
    outcome = OUTCOMES.get(failure.get("outcome"))
    if failure.get("conflicts"):
        # Helm 4's server-side apply: another field manager owns fields the chart sets.
        return _sentences(
            "Helm 4 stopped the %s of release %s: fields it manages were changed outside this inventory, by another"
            " field manager: %s." % (action, release, "; ".join(_conflict(c) for c in failure["conflicts"])),
            outcome,
            "Either make the inventory ask for what the cluster should have (for example dbbat_replicas for"
            " .spec.replicas) and rerun, or rerun with dbbat_helm_force_conflicts=true to give these fields back to"
            " Helm: the change made outside the inventory is then overwritten.")
    return _sentences(
        "Helm's %s of release %s in namespace %s failed: %s." % (
            action, release, namespace, (failure.get("cause") or "see the output above")[:CAUSE_MAX_CHARS]),
        outcome,
        "`helm -n %s history %s` and `kubectl -n %s get events` tell more." % (namespace, release, namespace))


def migration_failure_intro(failure, action, release):
    """The story of a migration Job that stopped Helm's ``action`` of ``release``, or None when
    Helm's output names no failed hook Job (then there is no Job's pod to report)."""
    hook = failure.get("hook") or {}
    if not hook.get("job"):
        return None
    return _sentences(
        "The migration Job %s (`dbbat db migrate`, the chart's %s hook) failed, so Helm stopped the %s of release %s"
        " before any pod rolled: the running pods are untouched." % (hook["job"], hook["phase"], action, release),
        OUTCOMES.get(failure.get("outcome")))


def helm_test_failure_intro(tests, error, release, namespace, secret_name):
    """The story of a ``helm test`` that failed after a deploy: ``tests`` are the test pods
    (``name``, ``phase``) as fclairamb.dbbat.release_test returns them, ``error`` its message. A
    test pod that ended Failed ran and could not reach the storage database (or found another
    schema); without one, the test could not run at all and ``error`` says why."""
    if any(test.get("phase") == "Failed" for test in tests or []):
        return ("Release %s is deployed, but its test failed: `dbbat db status` could not reach the storage database"
                " with the DSN and the key of Secret %s/%s (check dbbat_db_* and the database), or the schema is not"
                " what this DBBat expects. The failed test pod is kept." % (release, namespace, secret_name))
    return "Release %s is deployed, but its test could not run: %s" % (release, error or "")


def newest_pod(pods):
    """The most recently created of ``pods`` (Kubernetes objects), or None when there is none: the
    one whose failure stopped the run, when a Job retried."""
    if not pods:
        return None
    return sorted(pods, key=lambda pod: (pod.get("metadata") or {}).get("creationTimestamp") or "")[-1]


def _container_ending(status):
    ended = (status.get("state") or {}).get("terminated")
    if not ended:
        return None
    reason = "%s: %s" % (ended.get("reason") or "", ended["message"]) if ended.get("message") \
        else ended.get("reason") or ""
    return ", container %s exited %s (%s)" % (status.get("name"), ended.get("exitCode"), reason)


def pod_failure_report(intro, what, pod, log_lines=None, log_error=None):
    """``intro``, then what ``pod`` (the newest pod of the ``what``, or None) says of its failure:
    its phase, the exit code, reason and message of each container that ended, and ``log_lines``
    (the last lines of its log, None when it could not be read, ``log_error`` saying why)."""
    if not pod:
        return _sentences(intro, "No %s pod is left to look at." % what)
    status = pod.get("status") or {}
    endings = [_container_ending(container) for container in status.get("containerStatuses") or []]
    state = "Pod %s: %s%s." % (pod["metadata"]["name"], status.get("phase") or "?", "".join(e for e in endings if e))
    lines = list(log_lines or [])
    while lines and not lines[-1].strip():
        lines.pop()  # the newline that ends a log is no line of it
    if lines:
        log = "Last lines of its log: %s" % " | ".join(lines)
    elif log_lines is not None and not log_error:
        log = "Its log is empty."
    else:
        log = "Its log could not be read (%s)." % (log_error or "no log")
    return _sentences(intro, state, log)
