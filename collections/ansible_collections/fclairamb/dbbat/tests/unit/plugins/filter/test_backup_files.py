# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The backup_files filter: the controller's facts the key backup checks read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.fclairamb.dbbat.plugins.filter.backup_files import backup_files


def test_paths_are_absolute_and_described(tmp_path, monkeypatch):
    (tmp_path / "pw").write_text("secret")
    (tmp_path / "dir").mkdir()
    os.symlink(str(tmp_path / "dir"), str(tmp_path / "link"))
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.delenv("DBBAT_BACKUP_VAULT_PASSWORD_FILE", raising=False)
    files = backup_files("link/x.vault", "pw", {"prod": "link/x.vault", "dev": str(tmp_path / "dir/x.vault"),
                                                "test": "other.vault", "qa": ""}, "prod")
    assert files["backup"] == {"path": str(tmp_path / "dir/x.vault"), "kind": "missing", "folder": str(tmp_path / "dir"),
                               "folder_exists": True}
    assert files["password"] == {"path": str(tmp_path / "pw"), "kind": "file"}
    assert files["same_file_hosts"] == ["dev"] and files["host"] == "prod"
    assert backup_files("dir")["backup"]["kind"] == "folder"
    assert backup_files("nowhere/x")["backup"]["folder_exists"] is False


def test_the_password_file_may_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DBBAT_BACKUP_VAULT_PASSWORD_FILE", str(tmp_path / "awx-pw"))
    assert backup_files("", "")["password"] == {"path": str(tmp_path / "awx-pw"), "kind": "missing"}
    assert backup_files("", "")["backup"]["path"] == ""
    assert backup_files("", "/given")["password"]["path"] == "/given"
