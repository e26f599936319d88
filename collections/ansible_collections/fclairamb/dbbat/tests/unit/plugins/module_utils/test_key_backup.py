# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The key backup's decisions and words (module_utils/key_backup.py). The messages are those
tests/deploy/test_day2_e2e.py finds in a run's output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import key_backup as kb
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_state import fingerprint, key_fingerprint

KEY = base64.b64encode(bytes(range(32))).decode()
DATA = {"DBB_KEY": base64.b64encode(KEY.encode()).decode(), "DBB_DSN": base64.b64encode(b"postgres://x").decode()}
SECRET = {"type": "Opaque", "metadata": {"name": "dbbat-secrets", "labels": {"a": "b"}}, "data": DATA}
WHERE, PATH = "Secret prod/dbbat-secrets", "/b/dbbat.vault"


def test_a_document_and_its_checks_give_no_value_away():
    doc = kb.document(SECRET, "prod", "dbbat-secrets", "dbbat", "2026-12-05T00:00:00Z")
    assert doc == {"format": "fclairamb.dbbat/key-backup", "version": 1, "namespace": "prod", "secret": "dbbat-secrets",
                   "release": "dbbat", "created": "2026-12-05T00:00:00Z", "type": "Opaque", "labels": {"a": "b"},
                   "data": DATA}
    checks = kb.checks(doc)
    assert checks == {"is_backup": True, "has_key": True, "keys": ["DBB_DSN", "DBB_KEY"],
                      "key_sha256": key_fingerprint(KEY), "fingerprint": fingerprint(DATA), "namespace": "prod",
                      "secret": "dbbat-secrets", "created": "2026-12-05T00:00:00Z"}
    assert KEY not in str(checks) and DATA["DBB_KEY"] not in str(checks)


@pytest.mark.parametrize("doc, is_backup, has_key", [
    ({"format": "other", "data": DATA}, False, False),
    ([1, 2], False, False),
    ({"format": "fclairamb.dbbat/key-backup", "data": {"DBB_DSN": "eA=="}}, True, False),
    ({"format": "fclairamb.dbbat/key-backup", "data": {"DBB_KEY": "not base64!"}}, True, False),
])
def test_what_is_not_a_key_backup(doc, is_backup, has_key):
    checks = kb.checks(doc)
    assert (checks["is_backup"], checks["has_key"]) == (is_backup, has_key)
    expected = " (it holds no DBB_KEY)" if is_backup else ""
    assert kb.content_problems(checks, PATH) == [
        "/b/dbbat.vault opens, but is not a key backup made by playbooks/backup-key.yml%s. Nothing was written."
        % expected]


def test_earlier_backup_states():
    doc = kb.document(SECRET, "prod", "dbbat-secrets", "dbbat", "t")
    assert kb.earlier_state(doc, DATA, "prod", "dbbat-secrets") == "same"
    assert kb.earlier_state(doc, DATA, "prod", "other") == "updated"
    assert kb.earlier_state(doc, dict(DATA, DBB_DSN="eQ=="), "prod", "dbbat-secrets") == "updated"
    assert kb.earlier_state(doc, dict(DATA, DBB_KEY="eQ=="), "prod", "dbbat-secrets") == "other_key"
    assert kb.earlier_state("text", DATA, "prod", "dbbat-secrets") == "unreadable"


def test_backup_refusals():
    assert kb.source_problems({"exists": False, "missing_keys": []}, WHERE) == [
        "Secret prod/dbbat-secrets does not exist: there is nothing to back up (check dbbat_namespace and"
        " dbbat_secret_name). Nothing was written."]
    no_key = {"exists": True, "missing_keys": ["DBB_KEY"]}
    assert "has no DBB_KEY, the encryption key" in kb.source_problems(no_key, WHERE)[0]
    assert kb.source_problems({"exists": True, "missing_keys": ["DBB_DSN"]}, WHERE) == []
    assert "already holds the backup of another encryption key" in kb.earlier_problems("other_key", False, PATH, "v")[0]
    assert "(vault id v) cannot open" in kb.earlier_problems("unreadable", False, PATH, "v")[0]
    assert kb.earlier_problems("other_key", True, PATH, "v") == kb.earlier_problems("updated", False, PATH, "v") == []


def test_restore_plan_refuses_a_key_change_and_writes_only_what_differs():
    backup = kb.checks(kb.document(SECRET, "prod", "dbbat-secrets", "dbbat", "t"))
    plan = {"namespace": {"readable": True, "exists": False},
            "secret": {"key_matches": False, "fingerprint": "other"}}
    decided = kb.restore_plan(plan, backup, False, False, "prod", WHERE, PATH)
    assert decided["problems"][0].startswith("Namespace prod does not exist, and dbbat_namespace_managed is false")
    assert decided["problems"][1].startswith("Refusing to replace DBB_KEY in Secret prod/dbbat-secrets: it differs"
                                             " from the key in /b/dbbat.vault.")
    assert decided["problems"][2] == "Nothing was written."
    decided = kb.restore_plan(plan, backup, True, True, "prod", WHERE, PATH)
    assert decided == {"problems": [], "namespace": True, "secret": True}
    same = {"namespace": {"readable": True, "exists": True},
            "secret": {"key_matches": True, "fingerprint": backup["fingerprint"]}}
    unchanged = {"problems": [], "namespace": False, "secret": False}
    assert kb.restore_plan(same, backup, True, False, "prod", WHERE, PATH) == unchanged


def test_messages():
    assert kb.open_failure("decrypt", PATH, "/pw", "v").startswith("Cannot decrypt /b/dbbat.vault (dbbat_backup_file)"
                                                                   " with the vault password in /pw")
    assert kb.open_failure("read", PATH, "/pw", "v").endswith("check that this user may read it. Nothing was written.")
    assert kb.backup_report(True, False, WHERE, ["DBB_KEY", "A"], PATH, "v").startswith(
        "Backed up Secret prod/dbbat-secrets (keys A, DBB_KEY) to /b/dbbat.vault, encrypted with Ansible Vault (vault"
        " id v). Keep it")
    assert kb.backup_report(False, False, WHERE, [], PATH, "v").startswith(
        "/b/dbbat.vault already holds the data of Secret prod/dbbat-secrets: left as it is.")
    backup = {"keys": ["DBB_DSN", "DBB_KEY"], "namespace": "old", "secret": "s", "created": "t"}
    assert kb.restore_report(True, ["Namespace/prod", "Secret/x"], True, WHERE, backup, PATH, "prod") == (
        "Would restore Secret prod/dbbat-secrets (keys DBB_DSN, DBB_KEY) and created its namespace. The backup is of"
        " Secret old/s, taken t.")
    assert kb.restore_report(False, [], False, WHERE, backup, PATH, "prod").startswith(
        "Secret prod/dbbat-secrets already holds the data of /b/dbbat.vault: nothing written.")
