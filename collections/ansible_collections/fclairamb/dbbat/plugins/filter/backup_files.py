# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: backup_files
short_description: Where a key backup and its vault password file are on the controller, and what is there
version_added: 1.1.0
description:
  - The file system facts that the C(backup_key) and C(restore_key) entry points of the
    P(fclairamb.dbbat.deploy#role) role check before anything reads the cluster (the checks
    themselves are P(fclairamb.dbbat.deploy_problems#filter)'s).
  - Paths are made absolute (C(~) expanded, links resolved) on the controller. Nothing is read
    from the files.
author:
  - Florent Clairambault (@fclairamb)
positional: password_file, backup_files, host
options:
  _input:
    description: The backup file (C(dbbat_backup_file)); empty for none.
    type: str
    required: true
  password_file:
    description:
      - The vault password file (C(dbbat_backup_vault_password_file)); when empty, the
        environment variable C(DBBAT_BACKUP_VAULT_PASSWORD_FILE) of the controller.
    type: str
    default: ''
  backup_files:
    description: The backup file of each host of the play (C(dbbat_backup_file)), to find two hosts writing one file.
    type: dict
    default: {}
  host:
    description: The host the backup file is for (C(inventory_hostname)); left out of O(backup_files).
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Find the files of the backup
  ansible.builtin.set_fact:
    files: >-
      {{ dbbat_backup_file | fclairamb.dbbat.backup_files(dbbat_backup_vault_password_file,
         dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
         | map(attribute='dbbat_backup_file', default=''))), inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: What the controller's file system holds.
  type: dict
  contains:
    backup:
      description: The backup file.
      type: dict
      contains:
        path:
          description: Its absolute path; empty when none is named.
          type: str
        kind:
          description: C(file), C(folder), C(other) or C(missing).
          type: str
        folder:
          description: The folder it is in.
          type: str
        folder_exists:
          description: Whether that folder exists.
          type: bool
    password:
      description: The vault password file, with RV(_value.backup.path) and RV(_value.backup.kind) as above.
      type: dict
    same_file_hosts:
      description: The other hosts whose backup file is the same file.
      type: list
      elements: str
    host:
      description: The host given.
      type: str
"""

import os


def _absolute(path):
    return os.path.realpath(os.path.expanduser(path)) if path else ""


def _kind(path):
    if not path or not os.path.exists(path):
        return "missing"
    return "file" if os.path.isfile(path) else "folder" if os.path.isdir(path) else "other"


def backup_files(backup_file, password_file="", backup_files=None, host=""):
    backup = _absolute(backup_file)
    password = _absolute(password_file or os.environ.get("DBBAT_BACKUP_VAULT_PASSWORD_FILE", ""))
    folder = os.path.dirname(backup)
    same = sorted(other for other, path in (backup_files or {}).items()
                  if other != host and backup and _absolute(path) == backup)
    return {"backup": {"path": backup, "kind": _kind(backup), "folder": folder, "folder_exists": os.path.isdir(folder)},
            "password": {"path": password, "kind": _kind(password)},
            "same_file_hosts": same, "host": host}


class FilterModule(object):
    def filters(self):
        return {"backup_files": backup_files}
