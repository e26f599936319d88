# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Which Helm release a module of this collection works on.
    DOCUMENTATION = r"""
options:
  release_name:
    description: Name of the Helm release.
    type: str
    required: true
  release_namespace:
    description: Namespace of the release and of Helm's records of it (Secrets C(sh.helm.release.v1.*)).
    type: str
    required: true
"""
