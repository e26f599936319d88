# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of the test plugins: each exposes its rule of module_utils/rules.py under its name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import rules
from ansible_collections.fclairamb.dbbat.plugins.test import chart_version, encryption_key, kubernetes_names, oci_repository

KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("plugin, name, rule", [
    (chart_version, "chart_version", rules.is_semver),
    (encryption_key, "encryption_key", rules.is_encryption_key),
    (oci_repository, "oci_repository", rules.is_oci_repository),
])
def test_each_plugin_exposes_its_rule(plugin, name, rule):
    tests = plugin.TestModule().tests()
    assert list(tests) == [name]
    for value in ("1.0.0", "v1.0.0", KEY, KEY[:-1], "fclairamb/charts", "Fclairamb", "", None, 3):
        assert tests[name](value) is rule(value)


def test_the_kubernetes_name_tests_are_the_rules():
    tests = kubernetes_names.TestModule().tests()
    assert tests == {"dns1123_label": rules.is_dns1123_label, "dns1123_subdomain": rules.is_dns1123_subdomain,
                     "helm_release_name": rules.is_helm_release_name}


def test_the_rules_through_the_plugins():
    assert chart_version.chart_version("1.2.3-rc.1+b.5") and not chart_version.chart_version("^1.2.3")
    assert encryption_key.encryption_key(KEY) and not encryption_key.encryption_key(KEY + "\n")
    assert oci_repository.oci_repository("a/b") and not oci_repository.oci_repository("A/b")
