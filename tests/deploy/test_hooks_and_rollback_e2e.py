"""Day-2 operations on the local cluster: the chart's migration Job runs before any pod rolls and a
failed one is reported with its pod's exit code and log; `helm test` runs after a deploy and a
failed test is reported the same way; playbooks/rollback.yml shows, guards and rolls back.
Pods fail on purpose through kwok stages (tools/cluster/kwok.yaml): kwok.dbbat.test/exit-code,
limited to one component with kwok.dbbat.test/exit-code-only-for; their log is the stand-in line
the local cluster serves for every container.

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import pytest
import yaml

from testkit.paths import ROOT

from .conftest import helm_releases

pytestmark = pytest.mark.slow

STAND_IN_LOG = "kwok: this pod runs on a simulated node"
# The DBBat a release runs when dbbat_image_tag is empty.
CHART_DBBAT = yaml.safe_load((ROOT / "charts" / "dbbat" / "Chart.yaml").read_text())["appVersion"]


def _failing(component, code, message):
    return {"podAnnotations": {"kwok.dbbat.test/exit-code": str(code), "kwok.dbbat.test/message": message,
                               "kwok.dbbat.test/exit-code-only-for": component}}


def _ran(run, task):
    """Whether the task ran (its first result line after its header is not 'skipping')."""
    lines = run.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("TASK [") and task in line:
            result = next((l for l in lines[i + 1:] if l.strip()), "")
            return not result.startswith("skipping")
    return False


def _template(cluster, namespace):
    return cluster.get("apps/v1", "Deployment", "dbbat", namespace)["spec"]["template"]


def test_a_migration_job_kwok_fails_stops_the_upgrade_before_any_pod_rolls_and_the_role_says_why(cluster, deployer):
    ns = deployer.namespace
    assert deployer.run().rc == 0
    image = _template(cluster, ns)["spec"]["containers"][0]["image"]
    (old_rs,) = cluster.list("apps/v1", "ReplicaSet", ns, label_selector="app.kubernetes.io/instance=dbbat")

    run = deployer.run(dbbat_image_tag="0.26.0", dbbat_values=_failing("migrations", 3, "migration 42 failed"))
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert "The migration Job dbbat-migrate (`dbbat db migrate`, the chart's pre-upgrade hook) failed" in text, run.tail()
    assert "before any pod rolled: the running pods are untouched" in text
    assert "exited 3 (Error: migration 42 failed)" in text
    assert f"Last lines of its log: {STAND_IN_LOG}" in text, "the log is read through the API"
    assert _template(cluster, ns)["spec"]["containers"][0]["image"] == image
    assert cluster.list("apps/v1", "ReplicaSet", ns, label_selector="app.kubernetes.io/instance=dbbat")[0][
        "metadata"]["name"] == old_rs["metadata"]["name"]
    assert cluster.get("batch/v1", "Job", "dbbat-migrate", ns) is not None, "the failed Job is kept to look at"

    # Fixed, the same upgrade goes through, and the Job runs (and goes) before the pods roll.
    run = deployer.run(dbbat_image_tag="0.26.0")
    assert run.rc == 0, run.tail()
    assert _template(cluster, ns)["spec"]["containers"][0]["image"].endswith(":0.26.0")
    assert cluster.get("batch/v1", "Job", "dbbat-migrate", ns) is None


def test_helm_test_runs_after_a_deploy_and_one_kwok_fails_is_reported(cluster, deployer):
    ns = deployer.namespace
    run = deployer.run()
    assert run.rc == 0 and _ran(run, "Verify | helm test dbbat"), run.tail()
    run = deployer.run()
    assert run.recap["changed"] == 0 and not _ran(run, "Verify | helm test dbbat"), "no test when nothing deployed"

    run = deployer.run(dbbat_values=_failing("test", 4, "cannot reach the storage database"))
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert "Release dbbat is deployed, but its test failed" in text, run.tail()
    assert "exited 4 (Error: cannot reach the storage database)" in text and STAND_IN_LOG in text
    assert helm_releases(cluster, ns)[-1]["info"]["status"] == "deployed"
    assert cluster.get("v1", "Pod", "dbbat-test", ns)["status"]["phase"] == "Failed", "the failed test pod is kept"
    run = deployer.run(dbbat_values=_failing("test", 5, "x"), dbbat_run_tests=False)
    assert run.rc == 0 and not _ran(run, "Verify | helm test dbbat"), run.tail()


def _rollback(deployer, *args, **overrides):
    return deployer.run(*args, playbook="rollback.yml", **overrides)


def _refused_for_the_schema_then_allowed(cluster, deployer, *expected):
    """playbooks/rollback.yml to the last deployed revision, which runs the chart's DBBat: refused for
    the schema's sake with ``expected`` in its message and the variable that allows it, nothing
    written; then allowed, and the Deployment runs the chart's DBBat again."""
    mark = cluster.audit_mark()
    result = _rollback(deployer)
    text = " ".join(result.out.split())
    assert result.rc != 0
    for part in expected + ("dbbat_rollback_allow_schema_downgrade=true",):
        assert part in text, result.tail()
    assert cluster.writes(mark) == []
    result = _rollback(deployer, dbbat_rollback_allow_schema_downgrade=True)
    assert result.rc == 0, result.tail()
    assert _template(cluster, deployer.namespace)["spec"]["containers"][0]["image"].endswith(":" + CHART_DBBAT)


def test_rollback_shows_what_changes_refuses_an_older_dbbat_and_rolls_back(cluster, deployer):
    ns = deployer.namespace
    assert deployer.run().rc == 0                            # revision 1, DBBat from the chart
    assert deployer.run(dbbat_replicas=2).rc == 0            # revision 2, the same DBBat

    # --check: what would change, nothing written.
    mark = cluster.audit_mark()
    result = _rollback(deployer, "--check")
    text = " ".join(result.out.split())
    assert result.rc == 0, result.tail()
    assert f"revision 2 (chart" in text and "back to revision 1" in text and "Chart values that change: replicaCount" in text
    assert cluster.writes(mark) == []

    # The same DBBat: rolled back, and Helm records it as revision 3.
    assert _rollback(deployer).rc == 0
    assert cluster.get("apps/v1", "Deployment", "dbbat", ns)["spec"]["replicas"] == 1
    assert [(r["version"], r["info"]["status"]) for r in helm_releases(cluster, ns)][-1] == (3, "deployed")

    # A newer DBBat ran (revision 4): going back to an older one is refused, unless allowed.
    assert deployer.run(dbbat_image_tag="0.26.0").rc == 0
    _refused_for_the_schema_then_allowed(
        cluster, deployer, f"it runs DBBat {CHART_DBBAT}, older than DBBat 0.26.0 (revision 4)", "`dbbat db rollback`")

    # An explicit revision that does not exist: a clear refusal.
    result = _rollback(deployer, dbbat_rollback_revision=42)
    assert result.rc != 0 and "revision 42 is not in the release's history" in result.out

    # A misspelt option is refused before the cluster is read, with the closest name.
    mark = cluster.audit_mark()
    result = _rollback(deployer, dbbat_rollback_revison=1)
    text = " ".join(result.out.split())
    assert result.rc != 0
    assert "dbbat_rollback_revison is not an option of fclairamb.dbbat.deploy; did you mean dbbat_rollback_revision?" in text
    assert cluster.writes(mark) == []


def test_rollback_from_a_tag_that_is_not_a_version_is_refused_unless_allowed(cluster, deployer):
    """`latest` sorts nowhere: the DBBat it ran may be newer than the target's, whatever the chart's
    appVersion says (kwok pulls no image: the tag is only a string here)."""
    assert deployer.run().rc == 0                               # revision 1, DBBat from the chart
    assert deployer.run(dbbat_image_tag="latest").rc == 0       # revision 2, DBBat latest
    assert _template(cluster, deployer.namespace)["spec"]["containers"][0]["image"].endswith(":latest")
    _refused_for_the_schema_then_allowed(
        cluster, deployer, f"back to revision 1: it runs DBBat {CHART_DBBAT}, while revision 2 ran DBBat latest.",
        "'latest' is not a version")
