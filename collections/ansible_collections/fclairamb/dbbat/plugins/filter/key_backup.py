# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: key_backup
short_description: What the deploy role's key backup and restore decide and say
version_added: 1.1.0
description:
  - The decisions and messages of the C(backup_key) and C(restore_key) entry points of the
    P(fclairamb.dbbat.deploy#role) role, each a function of C(plugins/module_utils/key_backup.py)
    named by O(what), applied to the input with the other arguments as keywords.
  - Those that see a decrypted backup or a Secret's data (V(checks), V(earlier_state)) return checks
    and words only, never a value of it; call them in C(no_log) tasks all the same.
author:
  - Florent Clairambault (@fclairamb)
positional: what
options:
  _input:
    description: The first argument of the function (a document, a Secret, a plan, a word...).
    type: raw
    required: true
  what:
    description:
      - V(document), the backup of a Secret (keywords C(namespace), C(secret_name), C(release_name), C(created)).
      - V(checks), a decrypted backup reduced to checks (its keys, the fingerprints of its key and data, its source).
      - V(earlier_state), what an earlier backup holds (keywords C(data), C(namespace), C(secret_name)) in one word.
      - V(source_problems), V(earlier_problems), V(content_problems), the problems that stop a backup or a restore.
      - V(restore_plan), the problems, and what to write, of a restore (the input is P(fclairamb.dbbat.release_plan#module)'s result).
      - V(open_failure), V(backup_report), V(restore_report), messages.
    type: str
    required: true
    choices: [document, checks, earlier_state, source_problems, earlier_problems, content_problems, restore_plan,
              open_failure, backup_report, restore_report]
"""

EXAMPLES = r"""
- name: The backup, reduced to checks
  ansible.builtin.set_fact:
    checks: "{{ backup_text | from_json | fclairamb.dbbat.key_backup('checks') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: What the function returns (see O(what)).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.fclairamb.dbbat.plugins.module_utils import key_backup as functions

WHAT = ("document", "checks", "earlier_state", "source_problems", "earlier_problems", "content_problems",
        "restore_plan", "open_failure", "backup_report", "restore_report")


def key_backup(value, what, **arguments):
    if what not in WHAT:
        raise AnsibleFilterError("key_backup: what must be one of %s, not %r" % (", ".join(WHAT), what))
    return getattr(functions, what)(value, **arguments)


class FilterModule(object):
    def filters(self):
        return {"key_backup": key_backup}
