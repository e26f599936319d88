"""The collection's reference pages and changelog are generated, and what is committed is what
the generators produce from the current specs and fragments (regenerate with
scripts/build-docs.sh and `antsibull-changelog release|generate`)."""
import json
import re
import shutil

import yaml

from testkit.paths import ROOT
from testkit.proc import run

from .conftest import COLLECTION_DIR, GALAXY, VENV_BIN


def test_docs_are_generated_from_the_module_and_role_specs(tmp_path, env):
    proc = run(["bash", ROOT / "scripts" / "build-docs.sh", tmp_path / "docs"], env=env, cwd=ROOT)
    assert proc.rc == 0, proc.stdout + proc.stderr
    fresh = {p.name: p.read_text() for p in (tmp_path / "docs").glob("*.rst")}
    committed = {p.name: p.read_text() for p in (COLLECTION_DIR / "docs").glob("*.rst")}
    assert {"index.rst", "deploy_role.rst", "helm_chart_publish_module.rst"} <= set(fresh)
    assert set(committed) == set(fresh), "docs/ pages differ from the plugins and roles: run scripts/build-docs.sh"
    for name, text in fresh.items():
        assert committed[name] == text, f"docs/{name} is out of date: run scripts/build-docs.sh"


def test_changelog_rst_is_generated_from_changelog_yaml(tmp_path, env):
    copy = tmp_path / "ansible_collections" / "fclairamb" / "dbbat"
    shutil.copytree(COLLECTION_DIR, copy, ignore=shutil.ignore_patterns("output", "__pycache__", ".pytest_cache"))
    env = dict(env, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"))
    proc = run([VENV_BIN / "antsibull-changelog", "generate"], env=env, cwd=copy)
    assert proc.rc == 0, proc.stdout + proc.stderr
    assert (copy / "CHANGELOG.rst").read_text() == (COLLECTION_DIR / "CHANGELOG.rst").read_text(), \
        "CHANGELOG.rst is out of date: run antsibull-changelog generate"


def test_the_collection_version_is_released_in_the_changelog():
    changes = yaml.safe_load((COLLECTION_DIR / "changelogs" / "changelog.yaml").read_text())
    assert GALAXY["version"] in changes["releases"], \
        f"galaxy.yml says {GALAXY['version']}: run antsibull-changelog release"
    assert f"v{GALAXY['version']}" in (COLLECTION_DIR / "CHANGELOG.rst").read_text()


def test_readme_examples_use_real_options(env):
    """The collection README's examples only use options the module and role accept."""
    readme = (COLLECTION_DIR / "README.md").read_text()
    proc = run([VENV_BIN / "ansible-doc", "--json", "fclairamb.dbbat.helm_chart_publish"], env=env, cwd=ROOT)
    assert proc.rc == 0, proc.stderr
    module_doc = json.loads(proc.stdout)["fclairamb.dbbat.helm_chart_publish"]["doc"]
    role_options = yaml.safe_load((COLLECTION_DIR / "roles" / "deploy" / "meta" / "argument_specs.yml")
                                  .read_text())["argument_specs"]["main"]["options"]
    plays = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    seen = set()
    for play in [p for block in plays if isinstance(block, list) for p in block]:
        for role in play.get("roles", []):
            assert role["role"] == "fclairamb.dbbat.deploy"
            assert set(role.get("vars", {})) <= set(role_options), role
            seen.add("role")
        for task in play.get("tasks", []):
            args = task.get("fclairamb.dbbat.helm_chart_publish")
            if args is not None:
                assert set(args) <= set(module_doc["options"]), args
                seen.add("module")
    assert seen == {"role", "module"}, "the README shows both the role and the module"


def test_links_into_this_repository_point_at_files_that_exist():
    """The collection README links to the repository on GitHub (Galaxy shows it outside the
    repository); awx/README.md links relatively. Every such target must exist."""
    base = GALAXY["repository"].rstrip("/") + "/"
    readme = (COLLECTION_DIR / "README.md").read_text()
    targets = [m[1] for m in re.finditer(re.escape(base) + r"(?:blob|tree)/main/([^)\s>]+)", readme)]
    assert len(targets) >= 4, targets
    for target in targets:
        assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"
    awx_readme = ROOT / "awx" / "README.md"
    for target in re.findall(r"\]\(([^)#:]+)\)|`(\.\./[^`]+)`", awx_readme.read_text()):
        path = next(t for t in target if t).split(" ")[0]
        assert (awx_readme.parent / path).exists(), f"awx/README.md refers to {path}, which does not exist"
