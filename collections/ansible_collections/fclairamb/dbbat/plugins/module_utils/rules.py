# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The collection's input rules, each written once.

The modules (helm_chart_publish, release_plan), the test plugins (fclairamb.dbbat.chart_version,
fclairamb.dbbat.encryption_key, fclairamb.dbbat.oci_repository, fclairamb.dbbat.dns1123_label,
fclairamb.dbbat.dns1123_subdomain, fclairamb.dbbat.helm_release_name), and through them the deploy
role and the publish playbook all ask these functions. Pure functions: no I/O, no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import difflib
import re

# Semantic Versioning 2.0.0, the regular expression recommended at semver.org. No leading "v":
# that is a tag name, not a version. The rules end with \Z, not $, which would accept a final newline.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)
SEMVER_HINT = "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], for example 1.2.3 or 1.2.3-rc.1"

# A repository path of the OCI distribution specification: lowercase components separated by
# '/', each made of [a-z0-9] runs joined by '.', '_', '__' or runs of '-'.
OCI_REPOSITORY_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\Z")
OCI_REPOSITORY_HINT = "lowercase letters, digits, '.', '_', '-' and '/', for example fclairamb/charts"

ENCRYPTION_KEY_BYTES = 32
# Standard base64 (RFC 4648 section 4: '+' and '/', '=' padding) of 32 bytes is 44 characters,
# the last one '='. In the canonical form (what `openssl rand -base64 32` prints) the two unused
# bits of the 43rd character are zero, so it is one of the 16 characters below.
_ENCRYPTION_KEY_RE = re.compile(r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\Z")
ENCRYPTION_KEY_HINT = ("standard base64 of exactly 32 bytes (44 characters ending with '=', as "
                       "`openssl rand -base64 32` prints)")


# Kubernetes object names (k8s.io/apimachinery validation): a DNS-1123 label (namespaces) and a
# DNS-1123 subdomain (most other objects, Secrets among them). Helm limits a release name to 53
# characters (its objects' names get suffixes, and it names its records sh.helm.release.v1.NAME.vN).
_DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
DNS1123_LABEL_MAX, DNS1123_SUBDOMAIN_MAX, HELM_RELEASE_NAME_MAX = 63, 253, 53


def _is_text(value):
    return isinstance(value, str)


def is_semver(value):
    """Whether ``value`` is a Semantic Versioning 2.0.0 version (``1.2.3``, ``1.2.3-rc.1+build.5``)."""
    return _is_text(value) and bool(SEMVER_RE.match(value))


def is_oci_repository(value):
    """Whether ``value`` is a valid OCI repository path (``fclairamb/charts``); the empty path is not."""
    return _is_text(value) and bool(OCI_REPOSITORY_RE.match(value))


def is_encryption_key(value):
    """Whether ``value`` is the canonical standard base64 encoding of exactly 32 bytes.

    Whitespace is not tolerated: callers that accept a trailing newline (a key read from a file)
    strip it themselves.
    """
    if not _is_text(value) or not _ENCRYPTION_KEY_RE.match(value):
        return False
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(decoded) == ENCRYPTION_KEY_BYTES and base64.b64encode(decoded).decode("ascii") == value


def is_dns1123_label(value):
    """Whether ``value`` is a DNS-1123 label, as a namespace name must be (``dbbat-prod``)."""
    return _is_text(value) and len(value) <= DNS1123_LABEL_MAX and bool(_DNS1123_LABEL_RE.match(value))


def is_dns1123_subdomain(value):
    """Whether ``value`` is a DNS-1123 subdomain, as a Secret's name must be (``dbbat-secrets``)."""
    return _is_text(value) and len(value) <= DNS1123_SUBDOMAIN_MAX and bool(_DNS1123_SUBDOMAIN_RE.match(value))


def is_helm_release_name(value):
    """Whether Helm accepts ``value`` as a release name: a DNS-1123 subdomain of at most 53 characters."""
    return is_dns1123_subdomain(value) and len(value) <= HELM_RELEASE_NAME_MAX


# An Ansible Vault id as the key backups use it: it goes into the file's header and into
# ansible-vault's ID@FILE argument, so no '@', ':', ';' nor space.
_VAULT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+\Z")


def is_vault_id(value):
    """Whether ``value`` is a usable vault id (``dbbat_backup``): letters, digits, '_', '-', '.'."""
    return _is_text(value) and bool(_VAULT_ID_RE.match(value))


def closest_names(names, known, ignore_prefixes=()):
    """The ``names`` that are not in ``known`` (and start with none of ``ignore_prefixes``), sorted,
    each as ``{"name", "closest"}``: the most similar known name, or None when none is close."""
    known = sorted(set(known))
    found = []
    for name in sorted(set(names) - set(known)):
        if any(name.startswith(prefix) for prefix in ignore_prefixes):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        found.append({"name": name, "closest": close[0] if close else None})
    return found
