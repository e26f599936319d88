# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.fclairamb.dbbat.plugins.filter.unknown_variables import unknown_variables

KNOWN = ["dbbat_replicas", "dbbat_namespace", "dbbat_image_tag", "dbbat_wait_timeout"]


def test_misspelt_names_get_the_closest_option():
    found = unknown_variables(["dbbat_replica", "dbbat_namespace", "dbbat_imagetag"], KNOWN)
    assert found == [{"name": "dbbat_imagetag", "closest": "dbbat_image_tag"},
                     {"name": "dbbat_replica", "closest": "dbbat_replicas"}]


def test_nothing_close_and_ignored_prefixes():
    assert unknown_variables(["dbbat_zzzzzzzzzzzzzzzzzz"], KNOWN) == [{"name": "dbbat_zzzzzzzzzzzzzzzzzz", "closest": None}]
    assert unknown_variables(["dbbat_publish_registry"], KNOWN, ["dbbat_publish_"]) == []
    assert unknown_variables(KNOWN, KNOWN) == []


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError):
        unknown_variables("dbbat_x", KNOWN)
