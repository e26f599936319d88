# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The key_backup filter: the function it names, and only those."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fclairamb.dbbat.plugins.filter.key_backup import key_backup


def test_the_filter_names_its_function():
    assert key_backup("other_key", "earlier_problems", overwrite=True, path="/b/dbbat.vault", vault_id="v") == []
    with pytest.raises(Exception, match="what must be one of"):
        key_backup({}, "__init__")
