"""The release workflow's own steps, run here: the chart publish command (against the local
TLS registry instead of ghcr.io) and the collection version check and build."""
import pytest
import yaml

from testkit.env import isolated_env
from testkit.paths import COLLECTION_DIR as COLLECTION
from testkit.paths import ROOT
from testkit.proc import run

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def step(workflow, job, name_part):
    return next(s for s in workflow["jobs"][job]["steps"] if name_part in s.get("name", ""))


def test_triggers_and_secret_handling(workflow):
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["publish-chart"]["permissions"]["packages"] == "write"
    for job in workflow["jobs"].values():
        for item in job["steps"]:
            # secrets only ever reach a step through its environment, never its command line
            assert "secrets." not in item.get("run", ""), item
    publish = step(workflow, "publish-chart", "Publish the chart")
    assert "playbooks/publish.yml" in publish["run"]
    assert publish["env"]["HELM_REGISTRY_PASSWORD"] == "${{ secrets.GITHUB_TOKEN }}"
    galaxy = step(workflow, "publish-collection", "Galaxy")
    assert galaxy["env"]["ANSIBLE_GALAXY_SERVER_RELEASE_GALAXY_TOKEN"] == "${{ secrets.GALAXY_API_KEY }}"
    assert galaxy["env"]["ANSIBLE_GALAXY_SERVER_LIST"] == "release_galaxy"
    assert "--api-key" not in galaxy["run"] and "--token" not in galaxy["run"]


def test_publish_chart_step_runs(workflow, oci_registry_tls, helm, tmp_path):
    """The step's command, with the tag and owner GitHub would set, publishes the tag's version."""
    reg = oci_registry_tls
    publish = step(workflow, "publish-chart", "Publish the chart")
    # ghcr.io replaced by the local registry (a later -e wins); the owner is lowercased by the step
    command = publish["run"] + " -e dbbat_publish_registry=%s -e dbbat_publish_ca_file=%s" % (reg.host, reg.ca_file)
    env = isolated_env(tmp_path, extra={"GITHUB_REF_NAME": "v0.0.3-wf.1", "GITHUB_REPOSITORY_OWNER": "FClairamb",
                                        "HELM_REGISTRY_USERNAME": reg.username,
                                        "HELM_REGISTRY_PASSWORD": reg.password})
    proc = run(["bash", "-euo", "pipefail", "-c", command], env=env, timeout=300).check()
    assert reg.password not in proc.out
    assert reg.tag_digest("fclairamb/charts/dbbat", "0.0.3-wf.1") is not None


def test_collection_version_check_and_build(workflow, tmp_path):
    check = step(workflow, "publish-collection", "galaxy.yml carries the tag's version")
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    github_env = tmp_path / "github_env"
    env = isolated_env(tmp_path, extra={"GITHUB_ENV": str(github_env), "GITHUB_REF_NAME": "v" + version})
    run(["bash", "-eo", "pipefail", "-c", check["run"]], cwd=COLLECTION, env=env).check()
    assert github_env.read_text().strip() == "COLLECTION_VERSION=%s" % version
    env["GITHUB_REF_NAME"] = "v9.9.9"
    wrong = run(["bash", "-eo", "pipefail", "-c", check["run"]], cwd=COLLECTION, env=env)
    assert wrong.rc != 0 and "does not match tag v9.9.9" in wrong.stdout

    build = step(workflow, "publish-collection", "Build the collection")
    env = isolated_env(tmp_path, extra={"RUNNER_TEMP": str(tmp_path)})
    run(["bash", "-eo", "pipefail", "-c", build["run"]], cwd=COLLECTION, env=env).check()
    assert (tmp_path / "dist" / ("fclairamb-dbbat-%s.tar.gz" % version)).exists()
