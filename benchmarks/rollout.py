#!/usr/bin/env python3
"""Benchmark of a rolling upgrade of DBBat by the deploy role, on the local cluster's real node
(DBBat's image built from its source, the throwaway PostgreSQL): what new PostgreSQL clients see.

DBBat runs with two replicas; during each role-driven upgrade (a changed pod annotation, so every
pod is replaced) a client opens a new connection to the -pg Service every 100 ms and sends the
protocol's SSLRequest (testkit/pgprobe.py). Prints, per upgrade and as the median of the runs:
the connections tried, those turned away (refused, reset or unanswered; goal: 0) and the
upgrade's duration. Asserts nothing.

    python benchmarks/rollout.py [--repeat 3]
"""
import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from testkit.cluster import Cluster  # noqa: E402
from testkit.env import isolated_env  # noqa: E402
from testkit.paths import CHART_DIR, VENV_BIN  # noqa: E402
from testkit.pgprobe import NewConnections  # noqa: E402
from testkit.proc import run  # noqa: E402
from testkit.storage import PASSWORD, USER, Storage  # noqa: E402

NAMESPACE = "bench-rollout"
KEY = base64.b64encode(b"benchmark-only-key-0123456789abc").decode()


def deploy(work, env, annotation):
    variables = {
        "dbbat_namespace": NAMESPACE, "dbbat_chart_ref": str(CHART_DIR),
        "dbbat_chart_version": yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["version"],
        "dbbat_db_host": "postgres.dbbat-postgres.svc", "dbbat_db_user": USER, "dbbat_db_password": PASSWORD,
        "dbbat_db_name": NAMESPACE, "dbbat_db_sslmode": "disable", "dbbat_encryption_key": KEY,
        "dbbat_replicas": 2, "dbbat_wait_timeout": 300, "dbbat_run_tests": False,
        "dbbat_values": {"podAnnotations": {"bench.dbbat.local/rollout": str(annotation)}},
    }
    inventory, vars_file = work / "hosts.yml", work / "vars.yml"
    inventory.write_text(yaml.safe_dump({"dbbat": {"hosts": {"bench": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    vars_file.write_text(yaml.safe_dump(variables))
    vars_file.chmod(0o600)
    run([VENV_BIN / "ansible-playbook", ROOT / "playbooks" / "deploy.yml", "-i", inventory, "-e", f"@{vars_file}"],
        env=env, timeout=600).check()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dbbat-bench-rollout-"))
    lacks = run(["bash", ROOT / "scripts" / "local-node.sh", "check"])
    if lacks.rc != 0:
        print(f"rollout: skipped, no real node on this machine: {lacks.stdout.strip()}")
        return
    cluster = Cluster.start(work / "cluster", name="bench", real_node=True)
    try:
        storage = Storage.start(cluster)
        storage.database(NAMESPACE)
        env = isolated_env(work / "env", cluster_env=cluster.env())
        deploy(work, env, 0)
        address = cluster.get("v1", "Service", "dbbat-pg", NAMESPACE)["spec"]["clusterIP"]
        tried, away, seconds = [], [], []
        for i in range(1, args.repeat + 1):
            start = time.monotonic()
            with NewConnections(address, 5432) as probe:
                deploy(work, env, i)
            seconds.append(time.monotonic() - start)
            tried.append(len(probe.outcomes))
            away.append(probe.turned_away)
            print(f"  upgrade {i}: {tried[-1]} new connections, {away[-1]} turned away {probe.counts}, "
                  f"{seconds[-1]:.1f} s")
        print(f"rolling upgrade, 2 replicas, a new connection every 100 ms (median of {args.repeat}): "
              f"{statistics.median(tried):.0f} connections, {statistics.median(away):.0f} turned away (goal 0, "
              f"most {max(away)}), upgrade {statistics.median(seconds):.1f} s")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
