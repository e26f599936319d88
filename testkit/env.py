"""The one environment test processes run in.

Everything a process could read from or write to the developer's account is moved into the
test's own folder: HOME (so ~/.kube, ~/.ansible, ~/.config/helm), the XDG folders (helm derives
its config, cache and data folders from them), Ansible's local temp folder. Variables that
would point a process at a real cluster or registry (KUBECONFIG, K8S_AUTH_*, HELM_*, ANSIBLE_*,
KWOK_*) are dropped; the test adds the ones it means. The platform credential helpers that helm
would hand a registry password to (a keychain) are replaced by stand-ins that record every call.
"""
import os
from pathlib import Path

from .paths import ANSIBLE_CFG, TOOLS_BIN, VENV_BIN

DROPPED_PREFIXES = ("ANSIBLE_", "HELM_", "K8S_AUTH_", "KWOK_", "XDG_", "DBBAT_")
DROPPED = ("KUBECONFIG",)
KEYCHAIN_HELPERS = ("docker-credential-secretservice", "docker-credential-pass", "docker-credential-osxkeychain")


def isolated_env(workdir, *, cluster_env=None, ansible_config=ANSIBLE_CFG, extra=None):
    """An environment private to ``workdir``; ``cluster_env`` (e.g. Cluster.env()) and ``extra`` on top."""
    workdir = Path(workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_PREFIXES) and k not in DROPPED}
    folders = {"HOME": workdir / "home", "XDG_CONFIG_HOME": workdir / "xdg" / "config",
               "XDG_CACHE_HOME": workdir / "xdg" / "cache", "XDG_DATA_HOME": workdir / "xdg" / "data",
               "ANSIBLE_LOCAL_TEMP": ansible_tmp(workdir)}
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["PATH"] = os.pathsep.join([str(_keychain_standins(workdir)), str(TOOLS_BIN), str(VENV_BIN),
                                   env.get("PATH", "")])
    env.update(ANSIBLE_CONFIG=str(ansible_config), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    env.update(cluster_env or {})
    env.update(extra or {})
    return env


def ansible_tmp(workdir):
    """Ansible's local temp folder in isolated_env(workdir): nothing may be left in it."""
    return Path(workdir) / "ansible-tmp"


def helm_registry_config(workdir):
    """The user's helm registry config in isolated_env(workdir): a login must never land there."""
    return Path(workdir) / "xdg" / "config" / "helm" / "registry" / "config.json"


def keychain_calls(workdir):
    """The calls made to the keychain stand-ins of isolated_env(workdir), one "helper verb" a line."""
    log = Path(workdir) / "keychain-calls.log"
    return log.read_text().splitlines() if log.exists() else []


def _keychain_standins(workdir):
    """Stand-ins for the platform credential helpers that helm (through the docker credential
    store) uses for a registry config that names no credentials: each records its call and
    stores nothing."""
    helpers = Path(workdir) / "credential-helpers"
    helpers.mkdir(parents=True, exist_ok=True)
    log = Path(workdir) / "keychain-calls.log"
    for name in KEYCHAIN_HELPERS:
        helper = helpers / name
        helper.write_text("#!/bin/sh\necho \"$(basename \"$0\") $1\" >> '%s'\ncat > /dev/null\n"
                          "[ \"$1\" = get ] && { echo 'credentials not found in native keychain'; exit 1; }\n"
                          "exit 0\n" % log)
        helper.chmod(0o755)
    return helpers
