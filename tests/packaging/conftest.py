"""Fixtures of the packaging tests: the collection artifact, built from a copy of the
collection with junk planted in it, and that artifact installed offline into an empty
collections path."""
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from testkit.env import isolated_env
from testkit.paths import COLLECTION_DIR, VENV_BIN
from testkit.proc import run
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


def installed_env(collections_path, workdir, cluster_env=None):
    """isolated_env(workdir) in which Ansible sees only ``collections_path`` (plus the ansible
    package's bundled collections in site-packages, where kubernetes.core comes from): an empty
    ansible.cfg, no checkout on any path."""
    cfg = Path(workdir) / "ansible.cfg"
    cfg.write_text("[defaults]\ncallback_result_format = yaml\nretry_files_enabled = false\n")
    return isolated_env(workdir, ansible_config=cfg, cluster_env=cluster_env, extra={
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
        "ANSIBLE_ROLES_PATH": str(Path(workdir) / "roles")})


@pytest.fixture(scope="session")
def artifact(tmp_path_factory):
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
               env=isolated_env(work / "env"), cwd=work).check()
    tarball = out / f"fclairamb-dbbat-{GALAXY['version']}.tar.gz"
    assert tarball.is_file(), proc.stdout
    return tarball


@pytest.fixture(scope="session")
def artifact_members(artifact):
    with tarfile.open(artifact) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


@pytest.fixture(scope="session")
def installed(artifact, tmp_path_factory):
    """(collections_path, env): the artifact installed offline into an empty collections path,
    and an environment whose Ansible sees that path only."""
    work = tmp_path_factory.mktemp("installed")
    cpath = work / "collections"
    cpath.mkdir()
    env = installed_env(cpath, work)
    run([VENV_BIN / "ansible-galaxy", "collection", "install", artifact, "-p", cpath, "--offline"],
        env=env, cwd=work).check()
    return cpath, env


def site_packages_collection(namespace, name):
    """Where the ansible package of the virtual environment bundles a collection."""
    import ansible_collections  # the namespace package of the `ansible` distribution

    for base in ansible_collections.__path__:
        path = Path(base) / namespace / name
        if (path / "MANIFEST.json").is_file():
            return path
    return None

