# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""release_module.connection resolves the cluster as kubernetes.core does, without importing the
Kubernetes client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.fclairamb.dbbat.plugins.module_utils import helm_cli
from ansible_collections.fclairamb.dbbat.plugins.module_utils.release_module import connection, release_argument_spec
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import _create_auth_spec

K8S_AUTH = ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT",
            "K8S_AUTH_CA_CERT", "K8S_AUTH_VERIFY_SSL", "K8S_AUTH_VALIDATE_CERTS")


class _Module(object):
    def __init__(self, params):
        self.params = params


def _params(**given):
    params = dict.fromkeys(release_argument_spec(), None)
    params.update(given)
    return params


@pytest.mark.parametrize("params, environ", [
    ({}, {}),
    ({"kubeconfig": "~/kc", "context": "prod"}, {}),
    ({}, {"K8S_AUTH_HOST": "https://10.0.0.1:6443", "K8S_AUTH_API_KEY": "tok", "K8S_AUTH_SSL_CA_CERT": "/ca.crt"}),
    ({}, {"K8S_AUTH_VERIFY_SSL": "no", "K8S_AUTH_CONTEXT": "env-context"}),
    ({"validate_certs": True, "context": "option"}, {"K8S_AUTH_VALIDATE_CERTS": "false", "K8S_AUTH_CONTEXT": "env"}),
    ({"ca_cert": "/option.crt"}, {"K8S_AUTH_CA_CERT": "/env.crt"}),
], ids=["nothing", "options", "awx-credential", "env-bool", "options-win", "option-name-variable"])
def test_connection_is_kubernetes_cores_own_resolution(monkeypatch, params, environ):
    for name in K8S_AUTH:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    params = _params(**params)
    theirs = _create_auth_spec(_Module(params))
    assert connection(params) == {k: v for k, v in theirs.items() if k in helm_cli.KUBE_ENV_KEYS}


def test_release_test_does_not_import_the_kubernetes_client():
    # The module as it runs, in check mode (it exits before running helm).
    code = ("import sys, atexit; atexit.register(lambda: print(sorted(m for m in sys.modules"
            " if m.split('.')[0] == 'kubernetes'))); "
            "from ansible_collections.fclairamb.dbbat.plugins.modules import release_test; release_test.main()")
    args = {"ANSIBLE_MODULE_ARGS": {"release_name": "dbbat", "release_namespace": "dbbat", "_ansible_check_mode": True}}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, input=json.dumps(args),
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=True).stdout
    assert out.strip().splitlines() == ['{"changed": false, "tests": [], "output": ""}', "[]"]
