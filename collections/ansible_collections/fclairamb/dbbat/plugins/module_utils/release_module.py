# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""What the collection's release modules (release_plan, release_recover, release_rollback,
release_test, release_drift) share: their options, the reading of a release's records, and helm
pointed at the cluster the module's connection options name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_MAP, AUTH_ARG_SPEC
except ImportError:  # pragma: no cover - kubernetes.core is a dependency of the collection
    AUTH_ARG_MAP, AUTH_ARG_SPEC = {}, {}


def release_argument_spec(**options):
    """kubernetes.core's connection options, the release (doc fragment ``fclairamb.dbbat.release``)
    and the module's own ``options``."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(release_name=dict(type="str", required=True), release_namespace=dict(type="str", required=True))
    spec.update(options)
    return spec


def read_release_records(module):
    """The decoded records of the module's release; fails the module when they cannot be read."""
    # Imported here: the Kubernetes client costs about 0.7 CPU-second to import, which the
    # modules that only run helm (release_test) do not pay.
    from ansible_collections.fclairamb.dbbat.plugins.module_utils.cluster_reads import ClusterReads
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client

    p = module.params
    try:
        return ClusterReads(get_api_client(module=module).client).release_records(p["release_name"],
                                                                                  p["release_namespace"])
    except Exception as exc:
        module.fail_json(msg="cannot read the records of release %s/%s: %s"
                         % (p["release_namespace"], p["release_name"], exc))


def cluster_helm(module):
    """``(helm, env)``: the helm of option ``binary_path``, and the environment that points it at
    the module's cluster (tokens in variables, never in argv). Raises helm_cli.HelmError."""
    # AnsibleK8SModule proxies only part of AnsibleModule: helm runs through the one it wraps.
    helm = helm_cli.HelmCli(module._module, module.params["binary_path"])
    return helm, helm_cli.kube_env(connection(module.params))


def connection(params):
    """The cluster of a module's connection options as kubernetes.core resolves it (its
    ``k8s.client._create_auth_spec``: the option, else K8S_AUTH_<OPTION>, else K8S_AUTH_<KEY>),
    for the keys helm takes (helm_cli.KUBE_ENV_KEYS), so that helm and the Python client reach the
    same cluster. Not imported from there: that module imports the Kubernetes client, about 0.7
    CPU-second that a module only running helm would pay (a unit test keeps the two in step)."""
    auth = {}
    for key in helm_cli.KUBE_ENV_KEYS:
        option = AUTH_ARG_MAP[key]
        value = params.get(option)
        if value is None:
            value = os.getenv("K8S_AUTH_" + option.upper()) or os.getenv("K8S_AUTH_" + key.upper())
            if value is not None and AUTH_ARG_SPEC[option].get("type") == "bool":
                value = value.lower() not in ("0", "false", "no")
        if value is not None:
            auth[key] = value
    return auth
