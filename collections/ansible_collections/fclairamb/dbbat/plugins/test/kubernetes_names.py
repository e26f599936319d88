# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One file, three tests: the documentation of each is in the YAML files beside this one.

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import (
    is_dns1123_label, is_dns1123_subdomain, is_helm_release_name)


class TestModule(object):
    def tests(self):
        return {
            "dns1123_label": is_dns1123_label,
            "dns1123_subdomain": is_dns1123_subdomain,
            "helm_release_name": is_helm_release_name,
        }
