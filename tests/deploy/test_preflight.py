"""Bad input is refused in preflight, before any call to a cluster, with a message naming the
variable, and without printing a secret. No cluster at all here: KUBECONFIG points nowhere."""
import sys

import pytest
import yaml

from testkit.env import isolated_env

from .conftest import TEST_KEY, Deployer


class _NoRegistry:
    username = password = ca_file = None


class _Chart:
    ref, version, registry = "oci://registry.invalid/charts/dbbat", "1.0.0", _NoRegistry()


@pytest.fixture
def offline_deployer(tmp_path):
    env = isolated_env(tmp_path, cluster_env={"KUBECONFIG": str(tmp_path / "no-such-kubeconfig")})
    return Deployer(tmp_path, env, _Chart(), dbbat_registry_username="", dbbat_registry_password="",
                    dbbat_registry_ca_file="")


SECRET_KEY_LOOKALIKE = "not-base64-but-secret-" + "x" * 10


@pytest.mark.parametrize("overrides, expected", [
    ({"dbbat_chart_version": "latest"}, "dbbat_chart_version must be an exact chart version"),
    ({"dbbat_chart_version": "^1.0.0"}, "dbbat_chart_version must be an exact chart version"),
    ({"dbbat_chart_version": ""}, "dbbat_chart_version must be an exact chart version"),
    ({"dbbat_db_host": ""}, "No storage database: set dbbat_db_dsn"),
    ({"dbbat_db_dsn": "host=db user=dbbat"}, "dbbat_db_dsn must be a URL DSN"),
    ({"dbbat_encryption_key": ""}, "dbbat_encryption_key is empty"),
    ({"dbbat_encryption_key": SECRET_KEY_LOOKALIKE}, "dbbat_encryption_key must be standard base64 of exactly 32 bytes"),
    ({"dbbat_encryption_key": TEST_KEY[:-4] + "AA=="}, "dbbat_encryption_key must be standard base64 of exactly 32 bytes"),
    ({"dbbat_db_sslmode": "sometimes"}, "value of dbbat_db_sslmode must be one of"),
    ({"dbbat_replicas": "three"}, "dbbat_replicas"),
    ({"dbbat_ingress_enabled": "true"}, "dbbat_ingress_enabled is true but dbbat_ingress_host is empty"),
    ({"dbbat_autoscaling_enabled": True, "dbbat_autoscaling_min_replicas": 6}, "dbbat_autoscaling_min_replicas (6) is above"),
    ({"dbbat_values": {"postgresql": {"external": {"password": SECRET_KEY_LOOKALIKE}}}},
     "dbbat_values sets postgresql.external.password"),
    ({"dbbat_replica": 3},
     "dbbat_replica is not an option of fclairamb.dbbat.deploy; did you mean dbbat_replicas?"),
    ({"dbbat_chart_verison": "1.0.0"}, "dbbat_chart_verison is not an option of fclairamb.dbbat.deploy; did you mean"
                                       " dbbat_chart_version?"),
    ({"dbbat_namespace": "DBBat"}, "dbbat_namespace 'DBBat' is not a valid namespace name"),
    ({"dbbat_namespace": "dbbat_prod"}, "dbbat_namespace 'dbbat_prod' is not a valid namespace name"),
    ({"dbbat_release_name": "d" * 54}, "is not a valid Helm release name: at most 53 characters"),
    ({"dbbat_secret_name": "dbbat_secrets"}, "dbbat_secret_name 'dbbat_secrets' is not a valid Secret name"),
], ids=lambda v: str(v)[:40] if isinstance(v, dict) else None)
def test_bad_input_is_refused_before_the_cluster(offline_deployer, overrides, expected):
    run = offline_deployer.run(**overrides)
    assert run.rc != 0
    assert expected in run.out, run.out[-3000:]
    assert "Plan | read the cluster" not in run.out, "preflight must refuse before talking to the cluster"
    assert SECRET_KEY_LOOKALIKE not in run.out and TEST_KEY not in run.out


def test_unknown_variables_can_be_allowed_and_other_prefixes_are_left_alone(offline_deployer):
    """dbbat_allow_unknown_variables turns the refusal into a warning; the publish playbook's
    variables and a user's own variables are not concerned (the run then stops at the cluster,
    which does not exist here)."""
    run = offline_deployer.run(dbbat_replica=3, dbbat_allow_unknown_variables=True, dbbat_publish_registry="ghcr.io",
                               my_own_replicas=2)
    assert "dbbat_replica is not an option of fclairamb.dbbat.deploy; did you mean dbbat_replicas?" in run.out
    assert "dbbat_publish_registry" not in run.out.split("PLAY RECAP")[0].replace("-e", "")
    assert "Plan | read the cluster" in run.out, "with the warning only, preflight goes on"


# The entry points that work on a deployed release run the same checks of names and variables
# (fclairamb.dbbat.deploy_problems, as deploy's preflight) before their first read of the cluster.
DAY2 = {"restore-key.yml": "restore_key", "drift.yml": "drift"}


@pytest.fixture
def day2_inputs(tmp_path):
    """What restore_key needs to get past its own checks: a backup file (its content is read only
    after the checks) and a vault password file."""
    backup, password = tmp_path / "dbbat.vault", tmp_path / "vault-pass"
    backup.write_text("not opened before the checks pass\n")
    password.write_text("backup-vault-password\n")
    return {"dbbat_backup_file": str(backup), "dbbat_backup_vault_password_file": str(password)}


def _last_task(run):
    return [line for line in run.stdout.splitlines() if line.startswith("TASK [")][-1]


@pytest.mark.parametrize("playbook", DAY2)
@pytest.mark.parametrize("overrides, expected", [
    ({"dbbat_namespce": "dbbat-prod"},
     "dbbat_namespce is not an option of fclairamb.dbbat.deploy; did you mean dbbat_namespace?"),
    ({"dbbat_namespace": "dbbat_prod"}, "dbbat_namespace 'dbbat_prod' is not a valid namespace name"),
    ({"dbbat_release_name": "DBBat"}, "dbbat_release_name 'DBBat' is not a valid Helm release name"),
], ids=["typo", "bad-namespace", "bad-release-name"])
def test_day2_entry_points_refuse_bad_input_before_the_cluster(offline_deployer, day2_inputs, playbook, overrides,
                                                               expected):
    run = offline_deployer.run(playbook=playbook, **dict(day2_inputs, **overrides))
    assert run.rc != 0
    assert expected in " ".join(run.out.split()), run.out[-3000:]
    assert f"Checks | the input of {DAY2[playbook]}" in _last_task(run), "refused by the checks, before the cluster"


@pytest.mark.parametrize("playbook", DAY2)
def test_day2_entry_points_without_bad_input_get_past_the_checks(offline_deployer, day2_inputs, playbook):
    """The control of the test above: the same run without the bad input goes on (and stops later,
    at the backup that is no vault file, or at the cluster that does not exist)."""
    run = offline_deployer.run(playbook=playbook, **day2_inputs)
    assert "is not an option" not in run.out and "is not a valid" not in run.out, run.out[-3000:]
    assert "Checks | the input of" not in _last_task(run), run.out[-3000:]


def test_two_environments_of_one_run_may_not_back_up_to_one_file(offline_deployer, day2_inputs, tmp_path):
    """Each host of a backup run needs its own file: two hosts naming the same one (here through
    a link and a path) are both refused, each naming the other, before the cluster is read."""
    (tmp_path / "link").symlink_to(tmp_path)
    same_file = str(tmp_path / "link" / "dbbat.vault")
    offline_deployer.inventory.write_text(yaml.safe_dump({"dbbat": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "hosts": {"prod": {"dbbat_backup_file": day2_inputs["dbbat_backup_file"]},
                  "dev": {"dbbat_backup_file": same_file}}}}))
    run = offline_deployer.run(playbook="backup-key.yml",
                               dbbat_backup_vault_password_file=day2_inputs["dbbat_backup_vault_password_file"])
    out = " ".join(run.out.split())
    assert run.rc != 0 and "Backup | read, reduced to checks" not in run.out, run.out[-3000:]
    for host, other in (("prod", "dev"), ("dev", "prod")):
        assert f"dbbat_backup_file is {tmp_path / 'dbbat.vault'} for {host} and for {other} too" in out, run.out[-3000:]

