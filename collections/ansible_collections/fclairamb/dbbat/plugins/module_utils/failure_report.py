# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the deploy role says when Helm stopped it, as pure functions.

- why Helm's install or upgrade failed (what :func:`release_state.explain_helm_failure` read in
  its output) and what became of the release, with the way out;
- the story of the migration Job that stopped Helm.

The role's tasks hand the facts over; the words are all here.
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
