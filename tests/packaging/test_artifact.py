"""The collection artifact (`ansible-galaxy collection build`): what users need, nothing else."""
import json
import tarfile

import pytest
import yaml

from .conftest import COLLECTION_DIR, GALAXY, JUNK


def test_artifact_is_named_after_galaxy_yml(artifact):
    assert artifact.name == f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"


@pytest.mark.parametrize("path", [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "meta/runtime.yml",
    "plugins/modules/helm_chart_publish.py",
    "plugins/module_utils",
    "plugins/doc_fragments",
    "roles/deploy/tasks/main.yml",
    "roles/deploy/defaults/main.yml",
    "roles/deploy/meta/argument_specs.yml",
    "roles/deploy/meta/main.yml",
    "roles/deploy/README.md",
    "changelogs/changelog.yaml",
    "changelogs/config.yaml",
    "CHANGELOG.rst",
    "docs/index.rst",
])
def test_artifact_has_what_users_need(artifact_members, path):
    assert path in artifact_members, f"{path} is missing from the artifact"


def test_every_plugin_and_role_file_is_shipped(artifact_members):
    """Nothing of the collection's content is lost by build_ignore."""
    for sub in ("plugins", "roles"):
        for path in (COLLECTION_DIR / sub).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(COLLECTION_DIR).as_posix()
                assert rel in artifact_members, f"{rel} is missing from the artifact"


@pytest.mark.parametrize("junk", JUNK)
def test_artifact_has_no_junk(artifact_members, junk):
    """Every kind of junk planted in the built copy stays out, directory and all."""
    top = junk.split("/")[0]
    banned = [junk]
    if top.startswith(".") or top in ("collections",):
        banned.append(top)
    for member in artifact_members:
        for b in banned:
            assert member != b and not member.startswith(b + "/"), f"{member} must not be in the artifact"


def test_artifact_has_no_generated_or_development_files(artifact_members):
    for member in artifact_members:
        parts = member.split("/")
        assert "__pycache__" not in parts and not member.endswith((".pyc", ".tar.gz", ".retry")), member
        assert "output" not in parts[:2], member
        assert not any(p in (".molecule", ".pytest_cache", ".venv", ".cache", ".ansible", ".git") for p in parts), member
        assert parts[0] != "collections", member


def test_manifest_matches_galaxy_yml(artifact):
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert manifest["namespace"] == "fclairamb" and manifest["name"] == "dbbat"
    assert manifest["version"] == GALAXY["version"]
    assert manifest["license"] == ["MIT"]
    assert manifest["dependencies"] == {"kubernetes.core": ">=6.4.0,<7.0.0"}
    assert manifest["repository"] and manifest["documentation"] and manifest["issues"]


def test_license_file_is_mit_as_galaxy_yml_says(artifact):
    with tarfile.open(artifact) as tar:
        text = tar.extractfile("LICENSE").read().decode()
    assert GALAXY["license"] == ["MIT"]
    assert text.startswith("MIT License")


def test_requires_ansible_is_declared(artifact):
    with tarfile.open(artifact) as tar:
        runtime = yaml.safe_load(tar.extractfile("meta/runtime.yml"))
    assert runtime["requires_ansible"].startswith(">=")
