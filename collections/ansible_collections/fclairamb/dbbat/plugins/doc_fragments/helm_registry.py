# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module of this collection logs in to an OCI registry through helm, and its TLS client
    # options (the module's own names: kubernetes.core's cluster options take username, password,
    # cert_file... in modules that also reach a cluster).
    DOCUMENTATION = r"""
options:
  username:
    description:
      - Registry user name.
      - With O(password), the module logs in with C(helm registry login --password-stdin) into a
        private, temporary registry configuration that it removes afterwards, so neither the user's
        C(~/.config/helm/registry/config.json) nor their system keychain (Docker credential helpers,
        which helm would otherwise pick for a fresh configuration) is read or modified.
      - Without O(username) and O(password), helm uses the existing login of the user running the
        module (C(helm registry login) or a Docker credential helper), or no authentication.
    type: str
    aliases: [registry_username]
  password:
    description:
      - Registry password or token. It is given to helm on standard input only, never in the
        command line, and never shown in the module's output.
    type: str
    aliases: [registry_password]
  cert_file:
    description:
      - Client certificate (PEM) for registries that require mutual TLS. Needs O(key_file).
    type: path
  key_file:
    description:
      - Private key (PEM) of O(cert_file).
    type: path
  insecure_skip_tls_verify:
    description:
      - Do not verify the registry's TLS certificate. Meant for tests; prefer O(ca_file).
    type: bool
    default: false
"""

    # How a module reaches a chart's OCI registry, with kubernetes.core's names (plain_http of its helm,
    # helm_pull and helm_registry_auth modules, ca_file of helm_registry_auth); the argument spec is
    # helm_cli.REGISTRY_CONNECTION_SPEC.
    CONNECTION = r"""
options:
  ca_file:
    description:
      - PEM file of the certificate authorities that verify the registry's TLS certificate, in place
        of the system's.
      - Needs Helm >= 3.11 for push and pull.
      - The alias C(registry_ca_file) is the name M(fclairamb.dbbat.release_plan) used before 1.1.0.
    type: path
    aliases: [registry_ca_file]
  plain_http:
    description:
      - Talk to the registry over plain HTTP instead of HTTPS (for example a local test registry).
      - Needs Helm >= 3.13 (and >= 3.18 to log in over plain HTTP).
      - Unset means V(false).
      - The alias C(registry_plain_http) is the name M(fclairamb.dbbat.release_plan) used before 1.1.0.
    type: bool
    aliases: [registry_plain_http]
"""
