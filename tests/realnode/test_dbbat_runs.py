"""DBBat itself, on the local cluster's real node (containerd, runc, kubelet): its migrations
Job, its probes under the chart's security context, `helm test`, and its PostgreSQL listener
through the chart's Services, with and without a certificate from a Secret."""
from pathlib import Path

import pytest


from testkit.pki import write_certificates

from .conftest import KEY, psql

pytestmark = [pytest.mark.slow, pytest.mark.real_node]


def tables(release):
    return {row[0] for row in release.storage.query(
        release.database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_the_migration_job_runs_dbbat_db_migrate_and_the_schema_exists_afterwards(release):
    assert tables(release) == set(), "a fresh database"
    # No server pod: only the pre-install Job can have made the schema (the server migrates at start too).
    release.install("replicaCount=0").check()
    made = tables(release)
    assert "users" in made and "bun_migrations" in made, made
    applied = release.storage.query(release.database, "SELECT count(*) FROM bun_migrations")[0][0]
    assert int(applied) >= 38, "DBBat 0.25.2 has 38 migrations"


def test_the_pods_pass_the_real_probes_as_uid_65532_with_a_read_only_root_and_no_capabilities(release):
    release.install().check()
    [pod] = release.pods()
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] and status["started"] and status["restartCount"] == 0
    # What the container really runs as, read from its process on this machine.
    pid = release.cluster.container_pid(pod, "dbbat")
    proc = Path(f"/proc/{pid}")
    fields = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines())
    assert fields["Uid"].split() == ["65532"] * 4 and fields["Gid"].split() == ["65532"] * 4
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0
    assert fields["NoNewPrivs"].strip() == "1" and fields["Seccomp"].strip() == "2", "RuntimeDefault seccomp"
    root = next(line.split() for line in (proc / "mountinfo").read_text().splitlines() if line.split()[4] == "/")
    assert "ro" in root[5].split(","), f"the root filesystem is mounted {root[5]}"
    assert (proc / "cmdline").read_bytes().split(b"\0")[0] == b"./dbbat"


def test_readiness_follows_the_storage_database_and_liveness_does_not_restart(release):
    release.install().check()
    cluster, storage = release.cluster, release.storage

    def ready():
        pods = release.pods()
        return pods and pods[0]["status"]["containerStatuses"][0]["ready"]

    with storage.frozen():
        # /api/v1/health cannot ping its database: the real readiness probe takes the pod out.
        cluster.wait_for(lambda: not ready(), "the pod to turn not ready without its database", 120)
    cluster.wait_for(ready, "the pod to be ready again", 120)
    assert release.pods()[0]["status"]["containerStatuses"][0]["restartCount"] == 0, \
        "liveness must not restart DBBat for a database blip"


def test_helm_test_passes_and_fails_when_the_storage_database_is_unreachable(release):
    release.install().check()
    release.helm("test", "dbbat", "--timeout", "2m").check()
    # The same release, its DSN now naming a host nothing answers for.
    release.set_secret(DBB_KEY=KEY, DBB_DSN=release.storage.dsn(release.database, host="nowhere.dbbat-postgres.svc.cluster.local"))
    failed = release.helm("test", "dbbat", "--timeout", "2m", "--logs")
    assert not failed.ok, failed.out
    assert "dbbat-test" in failed.out and "failed" in failed.out.lower(), failed.tail()


def test_postgresql_clients_reach_dbbat_through_the_pg_service_and_it_answers_in_the_protocol(release):
    release.install().check()
    address = release.service_address("dbbat-pg")
    result = psql(f"host={address} port=5432 user=nobody dbname=nothing sslmode=disable")
    # An ErrorResponse of the PostgreSQL protocol, written by DBBat's proxy: the connection got there.
    assert not result.ok and "FATAL:" in result.stderr and "authentication failed" in result.stderr, result.out


def test_the_pg_listener_serves_the_certificate_of_its_secret_to_verify_full_clients(release, tmp_path):
    name = f"dbbat-pg.{release.namespace}.svc"
    certs = write_certificates(tmp_path / "pki", server_names=[name])
    wrong = write_certificates(tmp_path / "other", ca_name="another CA")
    release.cluster.kubectl("-n", release.namespace, "create", "secret", "tls", "dbbat-pg-tls",
                            f"--cert={certs['server_cert']}", f"--key={certs['server_key']}").check()
    release.install("tls.pg.existingSecret=dbbat-pg-tls").check()
    address = release.service_address("dbbat-pg")
    conninfo = f"host={name} hostaddr={address} port=5432 user=nobody dbname=nothing sslmode=verify-full"
    trusted = psql(f"{conninfo} sslrootcert={certs['ca']}")
    # The handshake verified DBBat's certificate for the Service's name; DBBat then refused the login.
    assert "authentication failed" in trusted.stderr, trusted.out
    refused = psql(f"{conninfo} sslrootcert={wrong['ca']}")
    assert "certificate verify failed" in refused.stderr and "authentication failed" not in refused.stderr, refused.out
