""".github/workflows/ci.yml runs what it says: the test command on Python 3.12, and the kind
molecule scenario that the test command cannot run here."""
import yaml

from testkit.paths import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())


def _runs(job):
    return [step["run"] for step in job["steps"] if "run" in step]


def test_test_job_runs_make_test_on_python_3_12():
    job = WORKFLOW["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu-")
    assert WORKFLOW["env"]["PYTHON_VERSION"] == "3.12"
    setup_python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup_python["with"]["python-version"] == "${{ env.PYTHON_VERSION }}"
    assert "make test" in _runs(job)
    assert "test:" in (ROOT / "Makefile").read_text()


def test_molecule_job_runs_the_kind_scenario():
    job = WORKFLOW["jobs"]["molecule-kind"]
    assert "molecule test -s default" in _runs(job)
    scenario = yaml.safe_load((ROOT / "molecule" / "default" / "molecule.yml").read_text())
    # The scenario must not build the repository root as a collection over ./collections.
    assert scenario.get("prerun") is False
    assert any(s.get("uses", "").startswith("helm/kind-action@") for s in job["steps"])


def test_every_action_is_pinned_to_a_version():
    for job in WORKFLOW["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                name, _, ref = step["uses"].partition("@")
                assert ref and ref not in ("main", "master", "latest"), step["uses"]


def test_test_job_sets_up_the_go_of_the_local_control_plane():
    """make test builds the local cluster from tools/cluster: the job needs Go, at the version
    those modules ask for, with their go.sum files as the cache key."""
    setup_go = next(s for s in WORKFLOW["jobs"]["test"]["steps"] if s.get("uses", "").startswith("actions/setup-go@"))
    assert setup_go["with"]["go-version-file"] == "tools/cluster/kubernetes/go.mod"
    assert (ROOT / setup_go["with"]["go-version-file"]).is_file()
    assert setup_go["with"]["cache-dependency-path"] == "tools/cluster/*/go.sum"
