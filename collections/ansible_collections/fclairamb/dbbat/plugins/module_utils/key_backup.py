# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the deploy role's backup_key and restore_key entry points decide and say, as pure
functions (the role's tasks do the I/O: the cluster reads, the vault, the files; the
fclairamb.dbbat.key_backup filter calls these).

A backup is a JSON document, vault-encrypted: ``format`` and ``version`` say what it is, ``data``
holds the Secret's data as the API returns it (base64), beside where it came from. Functions that
see a decrypted document or a Secret's data return checks and words only, never a value of it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii

from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint, key_fingerprint

FORMAT = "fclairamb.dbbat/key-backup"
VERSION = 1


def _is_backup(doc):
    return isinstance(doc, dict) and doc.get("format") == FORMAT and isinstance(doc.get("data"), dict)


def document(secret, namespace, secret_name, release_name, created):
    """The backup of ``secret`` (the Secret as the API returns it), taken at ``created``."""
    return {"format": FORMAT, "version": VERSION, "namespace": namespace, "secret": secret_name,
            "release": release_name, "created": created, "type": secret.get("type") or "Opaque",
            "labels": (secret.get("metadata") or {}).get("labels") or {}, "data": secret.get("data") or {}}


def checks(doc):
    """A decrypted backup reduced to what may be shown: whether it is a key backup with DBB_KEY, its
    keys, the fingerprints of its key and of its data (release_state's, as the cluster's Secret's
    are computed), and where it came from."""
    data = doc.get("data") if _is_backup(doc) else {}
    key_sha256 = ""
    try:
        key_sha256 = key_fingerprint(base64.b64decode(data["DBB_KEY"], validate=True).decode("utf-8"))
    except (KeyError, binascii.Error, TypeError, UnicodeDecodeError):
        pass  # no DBB_KEY, or none DBBat could read
    source = doc if isinstance(doc, dict) else {}
    return {"is_backup": _is_backup(doc), "has_key": bool(key_sha256), "keys": sorted(data),
            "key_sha256": key_sha256, "fingerprint": fingerprint(data),
            "namespace": source.get("namespace", "?"), "secret": source.get("secret", "?"),
            "created": source.get("created", "?")}


def earlier_state(old, data, namespace, secret_name):
    """What an earlier backup holds, in one word: ``same`` (this Secret's data, from it),
    ``updated`` (the same key, other data or another source), ``other_key``, or ``unreadable``
    (not a key backup)."""
    if not _is_backup(old):
        return "unreadable"
    if old["data"].get("DBB_KEY") != data.get("DBB_KEY"):
        return "other_key"
    if old["data"] == data and old.get("namespace") == namespace and old.get("secret") == secret_name:
        return "same"
    return "updated"


NOTHING_WRITTEN = "Nothing was written."


def source_problems(secret, where):
    """backup_key: the Secret (release_plan's ``secret``: exists, missing_keys) must exist and hold DBB_KEY."""
    if not secret["exists"]:
        return ["%s does not exist: there is nothing to back up (check dbbat_namespace and dbbat_secret_name). %s"
                % (where, NOTHING_WRITTEN)]
    if "DBB_KEY" in secret["missing_keys"]:
        return ["%s has no DBB_KEY, the encryption key: this is not the Secret DBBat reads (check dbbat_secret_name)."
                " %s" % (where, NOTHING_WRITTEN)]
    return []


def earlier_problems(state, overwrite, path, vault_id):
    """backup_key: an earlier backup of another key, or one this password cannot open, may be the
    only copy of a key: kept unless ``overwrite``. ``state``: earlier_state's word, or ``none``."""
    if overwrite or state not in ("other_key", "unreadable"):
        return []
    held = ("the backup of another encryption key" if state == "other_key" else "something this vault password"
            " (vault id %s) cannot open, or that is not a key backup" % vault_id)
    return ["%s already holds %s. It may be the only copy of a key, so it is kept: back up to another file (for"
            " example with the date in its name), or rerun with dbbat_backup_overwrite=true to replace it. %s"
            % (path, held, NOTHING_WRITTEN)]


def backup_report(written, check_mode, where, keys, path, vault_id):
    """backup_key's last words: what was written (key names only), and how to read and restore it."""
    if not written:
        done = "%s already holds the data of %s: left as it is." % (path, where)
    else:
        done = "%s %s (keys %s) to %s, encrypted with Ansible Vault (vault id %s)." % (
            "Would back up" if check_mode else "Backed up", where, ", ".join(sorted(keys)), path, vault_id)
    return ("%s Keep it, and its password, away from the cluster. Read it with `ansible-vault view --vault-id"
            " %s@PASSWORD_FILE %s`; restore it with playbooks/restore-key.yml." % (done, vault_id, path))


def open_failure(step, path, password_path, vault_id):
    """restore_key: why the backup cannot be opened, ``step`` being the one that failed (read,
    decrypt, parse)."""
    if step == "decrypt":
        why = ("Cannot decrypt %s (dbbat_backup_file) with the vault password in %s: the password is wrong, or the"
               " file is not encrypted with Ansible Vault. Use the password file of the backup (vault id %s)."
               % (path, password_path, vault_id))
    elif step == "parse":
        why = "%s opens, but is not a key backup made by playbooks/backup-key.yml." % path
    else:
        why = "Cannot read %s (dbbat_backup_file): check that this user may read it." % path
    return "%s %s" % (why, NOTHING_WRITTEN)


def content_problems(backup, path):
    """restore_key: the file must be a key backup holding DBB_KEY (``backup``: checks())."""
    if backup["is_backup"] and backup["has_key"]:
        return []
    return ["%s opens, but is not a key backup made by playbooks/backup-key.yml%s. %s"
            % (path, " (it holds no DBB_KEY)" if backup["is_backup"] else "", NOTHING_WRITTEN)]


def restore_plan(plan, backup, managed, allow_rotation, namespace_name, where, path):
    """restore_key: from release_plan's read of the cluster (``plan``: its namespace and secret)
    and the backup's checks, ``{"problems", "namespace", "secret"}``: what stops the restore, and
    whether the namespace must be created and the Secret written (only when its data differs)."""
    namespace, secret = plan["namespace"], plan["secret"]
    problems = []
    missing = namespace["readable"] and not namespace["exists"]
    if missing and not managed:
        problems.append("Namespace %s does not exist, and dbbat_namespace_managed is false: ask the cluster admins"
                        " for it, or set dbbat_namespace_managed to true to let the restore create it."
                        % namespace_name)
    if secret.get("key_matches") is False and not allow_rotation:
        problems.append("Refusing to replace DBB_KEY in %s: it differs from the key in %s. Changing the encryption"
                        " key makes every stored credential and the audit chain unreadable (data loss). If the key"
                        " in the cluster is the one in use, back it up first (playbooks/backup-key.yml, to another"
                        " file); to replace it with the backup on purpose, rerun with dbbat_allow_key_rotation=true."
                        % (where, path))
    if problems:
        problems.append(NOTHING_WRITTEN)
    return {"problems": problems, "namespace": bool(managed and missing),
            "secret": secret.get("fingerprint") != backup["fingerprint"]}


def restore_report(written, applied, check_mode, where, backup, path, namespace_name):
    """restore_key's last words: what was written (key names only) and what the backup is of."""
    if not written:
        done = "%s already holds the data of %s: nothing written." % (where, path)
    else:
        created = " and created its namespace" if "Namespace/%s" % namespace_name in applied else ""
        done = "%s %s (keys %s)%s." % ("Would restore" if check_mode else "Restored", where, ", ".join(backup["keys"]),
                                       created)
    source = "Secret %s/%s, taken %s" % (backup["namespace"], backup["secret"], backup["created"])
    return "%s The backup is of %s." % (done, source)
