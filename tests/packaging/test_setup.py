"""`make setup` (scripts/setup.sh) on a machine that has a Helm of its own first on PATH.

The pinned tools must be the pinned ones whatever the machine has: the Makefile and the test
kit put .tools/bin first on PATH, and .tools/bin/helm must be the pinned Helm 4 (not a link to
the machine's Helm, which would make the tests' Helm depend on the runner). A second run of the
set-up only checks stamps, so running it here is cheap and changes nothing.
"""
import os
import re
import subprocess

import pytest

from testkit.env import isolated_env
from testkit.paths import ROOT, TOOLS_BIN

SETUP = ROOT / "scripts" / "setup.sh"
PINNED = {name: re.search(rf'^{name}_VERSION="(v[0-9.]+)"', SETUP.read_text(), re.M)[1]
          for name in ("HELM4", "HELM3")}
OTHER_HELM = "v3.12.3+gmachine"


@pytest.fixture(scope="module")
def machine_helm(tmp_path_factory):
    """A folder holding the machine's own `helm` (a Helm 3.12 stand-in that logs its calls)."""
    folder = tmp_path_factory.mktemp("machine-bin")
    helm = folder / "helm"
    helm.write_text(f'#!/bin/sh\necho "$*" >> "{folder}/calls.log"\necho "{OTHER_HELM}"\n')
    helm.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def setup_run(machine_helm):
    """scripts/setup.sh run with the machine's helm first on PATH (and no .tools/bin on it)."""
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != str(TOOLS_BIN)]
    env = dict(os.environ, PATH=os.pathsep.join([str(machine_helm)] + path))
    return subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=900)


def test_setup_succeeds_with_another_helm_first_on_path(setup_run):
    assert setup_run.returncode == 0, setup_run.stderr[-3000:]


def test_setup_links_helm_to_the_pinned_helm4_not_to_the_machines(setup_run):
    assert os.readlink(TOOLS_BIN / "helm") == "helm4"
    version = subprocess.run([str(TOOLS_BIN / "helm"), "version", "--short"], capture_output=True, text=True)
    assert version.stdout.startswith(PINNED["HELM4"]), version.stdout
    helm3 = subprocess.run([str(TOOLS_BIN / "helm3"), "version", "--short"], capture_output=True, text=True)
    assert helm3.stdout.startswith(PINNED["HELM3"]), helm3.stdout


def test_setup_prints_no_python_traceback(setup_run):
    # `make setup` once printed a BrokenPipeError traceback while showing versions (`| head -1`).
    output = setup_run.stdout + setup_run.stderr
    assert "Traceback" not in output and "BrokenPipeError" not in output, output[-3000:]


def test_test_processes_run_the_pinned_helm_with_another_helm_first_on_path(machine_helm, tmp_path, monkeypatch):
    # isolated_env is the environment every test process (helm, ansible-playbook, molecule) runs in.
    monkeypatch.setenv("PATH", os.pathsep.join([str(machine_helm), os.environ["PATH"]]))
    env = isolated_env(tmp_path)
    version = subprocess.run(["helm", "version", "--short"], env=env, capture_output=True, text=True)
    assert version.stdout.startswith(PINNED["HELM4"]), version.stdout
