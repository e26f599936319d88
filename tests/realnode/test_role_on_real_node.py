"""The deploy role (playbooks/deploy.yml) against the local cluster's real node: DBBat's own
answers when the storage password is wrong, pods that really restart with a new Secret (and an
unchanged run that restarts nothing), and a rolling upgrade that turns no new client away."""
from pathlib import Path

import pytest

from testkit.env import isolated_env
from testkit.pgprobe import NewConnections
from testkit.storage import PASSWORD, USER
from tests.deploy.conftest import Deployer

from .conftest import server_pods

pytestmark = [pytest.mark.slow, pytest.mark.real_node]


@pytest.fixture
def deployer(real_cluster, storage, real_namespace, published_dbbat_chart, tmp_path):
    """The role, deploying the published chart to the real node with the throwaway PostgreSQL."""
    storage.database(real_namespace)
    env = isolated_env(tmp_path, cluster_env=real_cluster.env())
    return Deployer(tmp_path, env, published_dbbat_chart, dbbat_namespace=real_namespace,
                    dbbat_db_host="postgres.dbbat-postgres.svc", dbbat_db_user=USER, dbbat_db_password=PASSWORD,
                    dbbat_db_name=real_namespace, dbbat_db_sslmode="disable", dbbat_wait_timeout=180)


def environment(cluster, pod):
    pid = cluster.container_pid(pod, "dbbat")
    return dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in item)


def test_a_wrong_storage_password_fails_the_deploy_with_dbbats_own_message_from_the_job_log(deployer):
    result = deployer.run(dbbat_db_password="not-the-password")
    assert result.rc != 0
    # PostgreSQL's refusal, as DBBat's `db migrate` logged it in the Job's pod, quoted by the role.
    assert "The migration Job dbbat-migrate" in result.out, result.tail()
    assert "password authentication failed for user" in result.out, result.tail()

def test_a_secret_change_through_the_role_restarts_pods_with_the_new_environment_and_a_rerun_restarts_nothing(
        deployer, real_cluster, storage, real_namespace):
    deployer.run().check()
    [first] = server_pods(real_cluster, real_namespace)
    again = deployer.run().check()
    assert again.recap["changed"] == 0, again.changed_tasks()
    [same] = server_pods(real_cluster, real_namespace)
    assert same["metadata"]["uid"] == first["metadata"]["uid"]
    assert same["status"]["containerStatuses"][0]["restartCount"] == 0

    moved = f"{real_namespace}-moved"
    storage.database(moved)
    deployer.run(dbbat_db_name=moved).check()
    [second] = server_pods(real_cluster, real_namespace)
    assert second["metadata"]["uid"] != first["metadata"]["uid"], "the Secret changed: the pod must roll"
    assert f"/{moved}?" in environment(real_cluster, second)["DBB_DSN"], "the new pod runs with the new DSN"
    # The new process migrated the database it was given.
    assert storage.query(moved, "SELECT count(*) FROM bun_migrations")[0][0] != "0"


def test_a_rolling_upgrade_by_the_role_turns_no_new_postgresql_client_away(deployer, real_cluster, real_namespace):
    deployer.run(dbbat_replicas=2).check()
    before = {p["metadata"]["uid"] for p in server_pods(real_cluster, real_namespace)}
    address = real_cluster.get("v1", "Service", "dbbat-pg", real_namespace)["spec"]["clusterIP"]
    with NewConnections(address, 5432) as probe:
        deployer.run(dbbat_replicas=2, dbbat_values={"podAnnotations": {"rollout": "2"}}).check()
    after = {p["metadata"]["uid"] for p in server_pods(real_cluster, real_namespace)}
    assert not before & after, "every pod was replaced"
    assert probe.counts["answered"] > 50, probe.counts
    assert probe.turned_away == 0, probe.counts
