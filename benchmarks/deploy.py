#!/usr/bin/env python3
"""Benchmark of the fclairamb.dbbat.deploy role on the local cluster (testkit.cluster: a real
Kubernetes control plane, kwok nodes), the chart from a local docker-registry (plain HTTP).

Measures, each repeated (median shown), against the same cluster, registry and chart:
  - baseline: a bare playbook of three tasks (namespace, Secret, kubernetes.core.helm with the
    same chart, values and wait) into a fresh namespace;
  - first deploy: playbooks/deploy.yml into a fresh namespace (preflight, namespace, Secret,
    values, helm install --wait, report);
  - no-op re-run: the same inventory again: changed=0, and the client writes the API server saw
    (its audit log; a PATCH that changes nothing counts);
  - ten environments: one run of playbooks/deploy.yml for ten hosts, ten fresh namespaces,
    forks=10, against one environment alone; then the same ten again, unchanged. On a machine
    with few cores this is bound by CPU: every host runs its own Python modules and helm, so the
    CPU time of the playbook and its children is printed too, with the floor it sets on this
    machine's cores (the control plane, on the same cores here, comes on top); the baseline
    playbook for ten environments too, whose ratio to one is what this machine allows any
    kubernetes.core deploy of the chart.
Prints wall times, the three ratios next to their goals, and the CPU-seconds per environment of
the baseline (what any deploy of the chart with kubernetes.core costs: the role cannot go below
it), a first deploy, a no-op re-run and the ten-environment runs; asserts nothing on time.

    python benchmarks/deploy.py [--repeat 3] [--helm PATH]
"""
import argparse
import base64
import os
import re
import resource
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
from testkit.paths import VENV_BIN  # noqa: E402
from testkit.proc import run  # noqa: E402
from testkit.registry import Registry  # noqa: E402

KEY = base64.b64encode(b"benchmark-only-key-0123456789abc").decode()

BASELINE = """\
- hosts: dbbat
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: "{{ dbbat_namespace }}"}}
    - kubernetes.core.k8s:
        definition:
          apiVersion: v1
          kind: Secret
          metadata: {name: dbbat-secrets, namespace: "{{ dbbat_namespace }}"}
          data:
            DBB_KEY: "{{ dbbat_encryption_key | b64encode }}"
            DBB_DSN: "{{ 'postgres://dbbat:pw@db:5432/dbbat?sslmode=require' | b64encode }}"
      no_log: true
    - kubernetes.core.helm:
        release_name: dbbat
        release_namespace: "{{ dbbat_namespace }}"
        chart_ref: "{{ dbbat_chart_ref }}"
        chart_version: "{{ dbbat_chart_version }}"
        plain_http: true
        release_values: {secrets: {existingSecret: dbbat-secrets}}
        wait: true
        timeout: 120s
        atomic: true
"""

CPU_ROWS = ("baseline (ns + Secret + helm)", "first deploy (role)", "no-op re-run (role)",
            "baseline, ten environments, per environment", "ten environments, per environment",
            "ten environments unchanged, per environment")
GOALS = {"first deploy / baseline": 1.5, "no-op re-run / first deploy": 0.6, "ten environments / one": 3.0}


class Bench:
    def __init__(self, work, cluster, registry, helm, version):
        self.work, self.cluster, self.registry, self.helm, self.version = work, cluster, registry, helm, version
        self.env = isolated_env(work / "env", cluster_env=cluster.env())
        self.runs = 0

    def playbook(self, book, namespaces, forks=5):
        """Run ``book`` for one host per namespace; returns (seconds, changed, writes, CPU seconds of
        ansible-playbook and every process it waited for: modules, helm)."""
        self.runs += 1
        hosts = {f"env-{i}": {"dbbat_namespace": ns} for i, ns in enumerate(namespaces)}
        inventory = self.work / f"hosts-{self.runs}.yml"
        inventory.write_text(yaml.safe_dump({"dbbat": {"hosts": hosts, "vars": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "ansible_pipelining": True,
            "dbbat_chart_ref": f"{self.registry.url}/charts/dbbat", "dbbat_chart_version": self.version,
            "dbbat_registry_plain_http": True, "dbbat_db_host": "db", "dbbat_db_password": "pw",
            "dbbat_encryption_key": KEY, "dbbat_helm_binary": self.helm, "dbbat_wait_timeout": 120}}}))
        mark = self.cluster.audit_mark()
        cpu_before = _children_cpu()
        start = time.perf_counter()
        result = run([VENV_BIN / "ansible-playbook", book, "-i", inventory, "-f", str(forks)], env=self.env)
        elapsed = time.perf_counter() - start
        cpu = _children_cpu() - cpu_before
        if not result.ok:
            sys.exit("benchmark step failed: %s\n%s" % (book, result.tail()))
        changed = sum(int(v) for v in re.findall(r" changed=(\d+)", result.stdout))
        return elapsed, changed, len(self.cluster.writes(mark)), cpu


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm"))
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    cluster = Cluster.start(work / "cluster", name="bench")
    reg = Registry(work / "registry").start()
    role = str(ROOT / "playbooks" / "deploy.yml")
    try:
        version = yaml.safe_load((ROOT / "charts/dbbat/Chart.yaml").read_text())["version"]
        env = isolated_env(work / "env")
        run([opts.helm, "package", ROOT / "charts/dbbat", "-d", work], env=env).check()
        run([opts.helm, "push", work / f"dbbat-{version}.tgz", f"{reg.url}/charts", "--plain-http"], env=env).check()
        (work / "baseline.yml").write_text(BASELINE)
        bench = Bench(work, cluster, reg, opts.helm, version)

        times = {name: [] for name in ("baseline (ns + Secret + helm)", "first deploy (role)",
                                       "no-op re-run (role)", "baseline, ten environments", "one environment",
                                       "ten environments (forks=10)", "ten environments, unchanged")}
        noop_changed, noop_writes = [], []
        cpu = {name: [] for name in CPU_ROWS}
        for i in range(opts.repeat):
            seconds, _, _, used = bench.playbook(str(work / "baseline.yml"), [f"base-{i}"])
            times["baseline (ns + Secret + helm)"].append(seconds)
            cpu["baseline (ns + Secret + helm)"].append(used)
            seconds, _, _, used = bench.playbook(role, [f"role-{i}"])
            times["first deploy (role)"].append(seconds)
            cpu["first deploy (role)"].append(used)
            seconds, changed, writes, used = bench.playbook(role, [f"role-{i}"])
            times["no-op re-run (role)"].append(seconds)
            cpu["no-op re-run (role)"].append(used)
            noop_changed.append(changed)
            noop_writes.append(writes)
            ten = [f"base-ten-{i}-{n}" for n in range(10)]
            seconds, _, _, used = bench.playbook(str(work / "baseline.yml"), ten, forks=10)
            times["baseline, ten environments"].append(seconds)
            cpu["baseline, ten environments, per environment"].append(used / len(ten))
            seconds, _, _, used = bench.playbook(role, [f"one-{i}"], forks=10)
            times["one environment"].append(seconds)
            ten = [f"ten-{i}-{n}" for n in range(10)]
            seconds, _, _, used = bench.playbook(role, ten, forks=10)
            times["ten environments (forks=10)"].append(seconds)
            cpu["ten environments, per environment"].append(used / len(ten))
            seconds, _, _, used = bench.playbook(role, ten, forks=10)
            times["ten environments, unchanged"].append(seconds)
            cpu["ten environments unchanged, per environment"].append(used / len(ten))
    finally:
        reg.stop()
        cluster.stop()

    median = {name: statistics.median(values) for name, values in times.items()}
    helm_version = run([opts.helm, "version", "--short"]).stdout.strip()
    print(f"deploy benchmark: median of {opts.repeat}, {helm_version}, local cluster (Kubernetes 1.37, kwok nodes), "
          f"chart from docker-registry")
    print(f"{'':32} {'seconds':>8}")
    for name, value in median.items():
        print(f"{name:32} {value:8.1f}")
    ratios = {"first deploy / baseline": median["first deploy (role)"] / median["baseline (ns + Secret + helm)"],
              "no-op re-run / first deploy": median["no-op re-run (role)"] / median["first deploy (role)"],
              "ten environments / one": median["ten environments (forks=10)"] / median["one environment"]}
    print(f"\n{'ratio':32} {'value':>8} {'goal':>8}")
    for name, value in ratios.items():
        print(f"{name:32} {value:8.2f} {'<= %.1f' % GOALS[name]:>8}  {'met' if value <= GOALS[name] else 'NOT MET'}")
    # The same ratio for the bare playbook: what this machine allows any deploy of the chart.
    print(f"{'(baseline: ten environments / one)':32} "
          f"{median['baseline, ten environments'] / median['baseline (ns + Secret + helm)']:8.2f}")
    print(f"\nno-op re-run: changed={max(noop_changed)}, client write requests seen by the API server: "
          f"{max(noop_writes)} (goal 0)")
    cores = len(os.sched_getaffinity(0))
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"\n{'CPU-seconds per environment':44} {'value':>6}  (Ansible, its modules and helm on the controller)")
    for name, value in median_cpu.items():
        print(f"{name:44} {value:6.2f}")
    ten_cpu = median_cpu["ten environments, per environment"] * 10
    floor = ten_cpu / cores
    print(f"ten environments: {ten_cpu:.1f} CPU-seconds; on this machine's {cores} cores that alone takes at least "
          f"{floor:.1f} s, {floor / median['one environment']:.2f} x one environment, before the control plane's share"
          f" of the same cores")

if __name__ == "__main__":
    main()
