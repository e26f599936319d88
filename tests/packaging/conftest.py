"""Fixtures of the packaging tests: the collection artifact, built from a copy of the
collection with junk planted in it, and that artifact installed offline into an empty
collections path."""
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from testkit.paths import ROOT

COLLECTION_DIR = ROOT / "collections" / "ansible_collections" / "fclairamb" / "dbbat"
VENV_BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((COLLECTION_DIR / "galaxy.yml").read_text())

# What a working tree accumulates and the artifact must never carry.
JUNK = [
    "tests/output/junit/python3.13-units.xml",
    "tests/output/.tmp/sanity/x.json",
    "plugins/modules/__pycache__/helm_chart_publish.cpython-313.pyc",
    "tests/unit/plugins/modules/__pycache__/test_x.cpython-313-pytest-9.2.0.pyc",
    ".pytest_cache/v/cache/lastfailed",
    "collections/ansible_collections/fclairamb/dbbat/galaxy.yml",
    ".venv/bin/python",
    "roles/deploy/molecule/default/.molecule/state.yml",
    ".cache/molecule/x",
    ".ansible/collections/x",
    "fclairamb-dbbat-0.9.0.tar.gz",
    "changelogs/.plugin-cache.yaml",
    ".vscode/settings.json",
    ".idea/workspace.xml",
]


def run(cmd, **kwargs):
    """subprocess.run with text output captured; never reads the terminal."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("timeout", 600)
    return subprocess.run([str(c) for c in cmd], **kwargs)


def isolated_env(base, collections_path, workdir):
    """An environment in which Ansible sees only `collections_path` (plus the ansible package's
    bundled collections in site-packages, where kubernetes.core comes from): an empty
    ansible.cfg, no checkout on any path, private helm homes."""
    env = {k: v for k, v in base.items() if not k.startswith("ANSIBLE_")}
    cfg = Path(workdir) / "ansible.cfg"
    cfg.write_text("[defaults]\ncallback_result_format = yaml\nretry_files_enabled = false\n")
    env.update(ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(collections_path),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="true", ANSIBLE_ROLES_PATH=str(Path(workdir) / "roles"),
               ANSIBLE_LOCAL_TEMP=str(Path(workdir) / "ansible-tmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0", HELM_CACHE_HOME=str(Path(workdir) / "helm-cache"),
               HELM_CONFIG_HOME=str(Path(workdir) / "helm-config"),
               HELM_DATA_HOME=str(Path(workdir) / "helm-data"))
    return env


@pytest.fixture(scope="session")
def artifact(tmp_path_factory, tool_env):
    """The collection tarball, built from a copy of the collection holding every kind of junk."""
    work = tmp_path_factory.mktemp("build")
    src = work / "ansible_collections" / "fclairamb" / "dbbat"
    shutil.copytree(COLLECTION_DIR, src, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "output", ".pytest_cache"))
    for rel in JUNK:
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("junk\n")
    out = work / "dist"
    proc = run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", out, src],
               env=tool_env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarball = out / f"fclairamb-dbbat-{GALAXY['version']}.tar.gz"
    assert tarball.is_file(), proc.stdout
    return tarball


@pytest.fixture(scope="session")
def artifact_members(artifact):
    with tarfile.open(artifact) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


@pytest.fixture(scope="session")
def installed(artifact, tmp_path_factory, tool_env):
    """(collections_path, env): the artifact installed offline into an empty collections path,
    and an environment whose Ansible sees that path only."""
    work = tmp_path_factory.mktemp("installed")
    cpath = work / "collections"
    cpath.mkdir()
    env = isolated_env(tool_env, cpath, work)
    proc = run([VENV_BIN / "ansible-galaxy", "collection", "install", artifact, "-p", cpath, "--offline"],
               env=env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return cpath, env


def site_packages_collection(namespace, name):
    """Where the ansible package of the virtual environment bundles a collection."""
    import ansible_collections  # the namespace package of the `ansible` distribution

    for base in ansible_collections.__path__:
        path = Path(base) / namespace / name
        if (path / "MANIFEST.json").is_file():
            return path
    return None

