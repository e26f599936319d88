# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of the collection's input rules (module_utils/rules.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_encryption_key,
    is_helm_release_name,
    is_oci_repository,
    is_semver,
)

KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("version", ["0.0.0", "1.2.3", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha.beta.1",
                                     "1.0.0+build.5", "1.0.0-rc.1+sha.5114f85", "0.0.1-e2e.1", "1.0.0-0A.is.legal",
                                     "1.0.0-x-y-z.--"])
def test_semver_accepts(version):
    assert is_semver(version)


@pytest.mark.parametrize("version", ["", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+",
                                     "1.0.0 ", " 1.0.0", "1.0.0_build", "latest", "^1.0.0", "1.0.0-rc.1+b..5",
                                     "1.0.0\n", None, 1, 1.0, ["1.0.0"], b"1.0.0"])
def test_semver_refuses(version):
    assert not is_semver(version)


def test_encryption_key_accepts_what_openssl_rand_prints():
    assert is_encryption_key(KEY)
    assert is_encryption_key(base64.b64encode(b"\xff" * 32).decode())  # '+' and '/' of the standard alphabet


@pytest.mark.parametrize("value", [
    "",
    KEY[:-1],                                            # no padding
    KEY + "=",                                           # too long
    KEY[:-4] + "AA==",                                   # 31 bytes
    base64.b64encode(bytes(33)).decode(),                # 33 bytes
    base64.urlsafe_b64encode(b"\xff" * 32).decode(),     # URL-safe alphabet
    KEY[:-2] + "B=",                                     # not canonical: the unused bits are not zero
    KEY + "\n", " " + KEY,                               # whitespace is the caller's to strip
    KEY[:20] + "*" + KEY[21:],
    "é" * 43 + "=",
    None, 32, [KEY], KEY.encode(),
])
def test_encryption_key_refuses(value):
    assert not is_encryption_key(value)


@pytest.mark.parametrize("path", ["charts", "fclairamb/charts", "a/b-c/d_e", "a.b/c__d", "a--b", "x/y/z/0"])
def test_oci_repository_accepts(path):
    assert is_oci_repository(path)


@pytest.mark.parametrize("path", ["", "Charts", "a//b", "/a", "a/", "a_", "-a", "a___b", "a..b", "ghcr.io:443/a",
                                  "a b", None, 1])
def test_oci_repository_refuses(path):
    assert not is_oci_repository(path)


@pytest.mark.parametrize("name", ["dbbat", "dbbat-prod", "a", "0", "a" * 63])
def test_dns1123_label_accepts(name):
    assert is_dns1123_label(name)


@pytest.mark.parametrize("name", ["", "DBBat", "dbbat_prod", "-dbbat", "dbbat-", "db.bat", "a" * 64, "dbbat\n", None])
def test_dns1123_label_refuses(name):
    assert not is_dns1123_label(name)


@pytest.mark.parametrize("name", ["dbbat-secrets", "dbbat.secrets", "a" * 253])
def test_dns1123_subdomain_accepts(name):
    assert is_dns1123_subdomain(name)


@pytest.mark.parametrize("name", ["", "Secrets", "db_secrets", "dbbat..secrets", ".dbbat", "a" * 254, 5])
def test_dns1123_subdomain_refuses(name):
    assert not is_dns1123_subdomain(name)


def test_helm_release_name_is_a_subdomain_of_at_most_53_characters():
    assert is_helm_release_name("dbbat") and is_helm_release_name("a" * 53)
    assert not is_helm_release_name("a" * 54) and not is_helm_release_name("DBBat")
