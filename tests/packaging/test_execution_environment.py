"""execution-environment.yml: `ansible-builder create` writes the build context offline, and
that context pins what the project is tested with (building the image needs registries that
cannot be reached here)."""
import json
import re

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from testkit.env import isolated_env
from testkit.paths import ROOT
from testkit.proc import run

from .conftest import GALAXY, VENV_BIN, site_packages_collection

EE_FILE = ROOT / "execution-environment.yml"
# helm release archives' sha256 (https://get.helm.sh/helm-vX.Y.Z-linux-ARCH.tar.gz.sha256sum).
HELM_ARCHIVE_SHA256 = {
    "3.19.0": {"amd64": "a7f81ce08007091b86d8bd696eb4d86b8d0f2e1b9f6c714be62f82f96a594496",
               "arm64": "440cf7add0aee27ebc93fada965523c1dc2e0ab340d4348da2215737fc0d76ad"},
}


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            pins[m[1].lower()] = m[2]
    return pins


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp("ee") / "context"
    proc = run([VENV_BIN / "ansible-builder", "create", "-f", EE_FILE, "-c", out, "--output-filename", "Containerfile"],
               env=isolated_env(out.parent / "env"), cwd=ROOT)
    assert proc.rc == 0, proc.stdout + proc.stderr
    assert "Complete!" in proc.stdout
    assert "Including this directive may cause failures" not in proc.stdout + proc.stderr
    return out


def test_containerfile_starts_from_the_pinned_base_image(context):
    containerfile = (context / "Containerfile").read_text()
    image = yaml.safe_load(EE_FILE.read_text())["images"]["base_image"]["name"]
    assert f'ARG EE_BASE_IMAGE="{image}"' in containerfile
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    # Pinned: a digest, or a tag that carries a build identity (never latest or a bare major).
    assert "@sha256:" in image or re.search(r":\d+\.\d+-\d+$", image), f"{image} is not pinned"


def test_containerfile_installs_helm_at_a_pinned_version_with_its_checksum(context):
    containerfile = (context / "Containerfile").read_text()
    version = re.search(r"^ARG HELM_VERSION=(\S+)$", containerfile, re.M)[1]
    assert version in HELM_ARCHIVE_SHA256, f"no known checksum for helm {version}"
    for arch, digest in HELM_ARCHIVE_SHA256[version].items():
        assert f"ARG HELM_SHA256_{arch.upper()}={digest}" in containerfile
    run_step = next(line for line in containerfile.splitlines() if "get.helm.sh" in line)
    assert 'helm-v${HELM_VERSION}-linux-${arch}.tar.gz' in run_step
    # Verified before it is unpacked, and the build fails if it does not match.
    assert run_step.index("sha256sum -c") < run_step.index("tar -xzf")
    assert run_step.startswith("RUN set -eux;")
    # The Helm 3 the project's tests run with.
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert f'HELM3_VERSION="v{version}"' in setup


def test_context_installs_the_collection_and_kubernetes_core_at_the_tested_versions(context):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    versions = {c["name"]: c["version"] for c in requirements["collections"]}
    assert versions["fclairamb.dbbat"] == GALAXY["version"]
    tested = site_packages_collection("kubernetes", "core")
    tested_version = json.loads((tested / "MANIFEST.json").read_text())["collection_info"]["version"]
    assert versions["kubernetes.core"] == tested_version
    allowed = SpecifierSet(GALAXY["dependencies"]["kubernetes.core"])
    assert versions["kubernetes.core"] in allowed


def test_context_pins_python_packages_and_ansible_as_tested(context):
    tested = _pins(ROOT / "requirements.txt")
    ee = _pins(context / "_build" / "requirements.txt")
    assert ee, "the execution environment pins no Python package"
    for name, version in ee.items():
        assert tested.get(name) == version, f"{name}=={version} in the EE, {tested.get(name)} in the tests"
    containerfile = (context / "Containerfile").read_text()
    assert f"ansible-core=={tested['ansible-core']}" in containerfile
    assert re.search(r"ansible-runner==\d+\.\d+\.\d+", containerfile)
    assert (context / "_build" / "bindep.txt").is_file()


def test_ee_python_pins_satisfy_what_the_collections_declare(artifact, tmp_path, env):
    """ansible-builder's introspection (what the image build assembles) over the two collections
    of the EE, the artifact and kubernetes.core, both installed offline: every pin of
    awx/ee/requirements.txt satisfies the collections' own requirements."""
    from packaging.requirements import Requirement

    cpath = tmp_path / "collections"
    env = dict(env, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_COLLECTIONS_PATH=str(cpath))
    for source in (site_packages_collection("kubernetes", "core"), artifact):  # dependency first
        proc = run([VENV_BIN / "ansible-galaxy", "collection", "install", source, "-p", cpath, "--offline"],
                   env=env, cwd=tmp_path)
        assert proc.rc == 0, proc.stdout + proc.stderr
    proc = run([VENV_BIN / "ansible-builder", "introspect", "--sanitize", "--user-pip",
                ROOT / "awx" / "ee" / "requirements.txt", cpath], env=env, cwd=tmp_path)
    assert proc.rc == 0, proc.stderr
    data = yaml.safe_load(proc.stdout.split("---", 1)[1])
    pins = _pins(ROOT / "awx" / "ee" / "requirements.txt")
    declared = [Requirement(line.split("#")[0]) for line in data["python"] if "from collection user" not in line]
    assert any(r.name == "kubernetes" for r in declared), data["python"]
    for req in declared:
        if req.name.lower() in pins:
            assert pins[req.name.lower()] in req.specifier, f"EE pins {req.name}=={pins[req.name.lower()]}, needs {req}"
