# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Which helm a module of this collection runs.
    DOCUMENTATION = r"""
options:
  binary_path:
    description:
      - Path of the helm binary. By default the first C(helm) in E(PATH).
      - Helm 3 (>= 3.8) and Helm 4 are supported; the module detects the version and uses the
        right flags for it.
    type: path
requirements:
  - helm >= 3.8 (Helm 3 or Helm 4) on the host that runs the module
"""
