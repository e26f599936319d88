"""Fixtures shared by every test suite of the project: where the pinned tools are."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".tools" / "bin"
VENV_BIN = ROOT / ".venv" / "bin"
CHART_DIR = ROOT / "charts" / "dbbat"

# Fixtures of the other suites that several suites share (API test double, OCI registry).
pytest_plugins = ["tests.publish.registry", "tests.kubedouble.fixture"]


def keychain_calls(workdir):
    """The log of credential_helper_standins(workdir): it exists only if a helper was called."""
    return Path(workdir) / "keychain-calls.log"


def credential_helper_standins(workdir):
    """Stand-ins for the platform credential helpers (a developer's keychain) that helm uses for a
    registry config naming no credentials. Put the returned folder first on PATH; every call is
    recorded in keychain_calls(workdir)."""
    helpers = Path(workdir) / "credential-helpers"
    helpers.mkdir(exist_ok=True)
    log = keychain_calls(workdir)
    for name in ("docker-credential-secretservice", "docker-credential-pass"):
        helper = helpers / name
        helper.write_text("#!/bin/sh\necho \"$0 $1\" >> %s\ncat > /dev/null\n"
                          "[ \"$1\" = get ] && { echo 'credentials not found in native keychain'; exit 1; }\n"
                          "exit 0\n" % log)
        helper.chmod(0o755)
    return helpers


def _tool(name):
    path = TOOLS_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: run `make setup` (scripts/setup.sh) first")
    return found


@pytest.fixture(scope="session")
def helm3():
    """The pinned Helm 3 binary."""
    return _tool("helm3")


@pytest.fixture(scope="session")
def helm4():
    """The pinned Helm 4 binary."""
    return _tool("helm4")


@pytest.fixture(scope="session", params=["helm3", "helm4"])
def helm_any(request):
    """Each pinned Helm major in turn."""
    return _tool(request.param)


@pytest.fixture(scope="session")
def helm():
    """The default helm (the user's if >= 3.8, else the pinned Helm 4)."""
    return _tool("helm")


@pytest.fixture(scope="session")
def kubectl():
    return _tool("kubectl")


@pytest.fixture(scope="session")
def tool_env():
    """An environment whose PATH finds the pinned tools first."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), env.get("PATH", "")])
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    return env
