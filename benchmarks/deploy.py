#!/usr/bin/env python3
"""Benchmark of the fclairamb.dbbat.deploy role against the Kubernetes API test double.

Measures, in one run, with the same double, registry (docker-registry, plain HTTP) and chart:
  - first deploy: playbooks/deploy.yml into a fresh namespace (preflight, namespace, Secret,
    values, helm install --wait, rollout check, report);
  - no-op re-run: the same inventory again (changed=0);
  - baseline: a bare playbook doing only namespace + Secret + kubernetes.core.helm (same chart,
    values, wait) into a fresh namespace, and its re-run.
Each is repeated (median shown). Prints wall times and ratios to the baseline; asserts nothing.

    python benchmarks/deploy.py [--repeat 3] [--helm PATH]
"""
import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.kubedouble import KubeDouble  # noqa: E402  (the tests' API double)
from tests.publish.registry import Registry  # noqa: E402  (the tests' real docker-registry)

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


def run(argv, env):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("benchmark step failed: %s\n%s%s" % (" ".join(argv), proc.stdout[-3000:], proc.stderr[-3000:]))
    changed = [l for l in proc.stdout.splitlines() if " : ok=" in l][-1].split("changed=")[1].split()[0]
    return elapsed, int(changed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm"))
    opts = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    api = KubeDouble.start(work / "kubedouble")
    reg = Registry(work / "registry").start()
    env = dict(os.environ)
    env.update(PATH=os.pathsep.join([str(ROOT / ".tools" / "bin"), str(ROOT / ".venv" / "bin"), env.get("PATH", "")]),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), KUBECONFIG=api.kubeconfig, ANSIBLE_DEPRECATION_WARNINGS="0",
               HELM_CACHE_HOME=str(work / "helm-cache"), HELM_CONFIG_HOME=str(work / "helm-config"))
    try:
        version = yaml.safe_load((ROOT / "charts/dbbat/Chart.yaml").read_text())["version"]
        subprocess.run([opts.helm, "package", str(ROOT / "charts/dbbat"), "-d", str(work)], check=True,
                       env=env, capture_output=True)
        subprocess.run([opts.helm, "push", str(work / f"dbbat-{version}.tgz"), f"{reg.url}/charts", "--plain-http"],
                       check=True, env=env, capture_output=True)
        (work / "hosts.yml").write_text(yaml.safe_dump({"dbbat": {"hosts": {"bench": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        (work / "baseline.yml").write_text(BASELINE)
        playbook = str(Path(sys.executable).parent / "ansible-playbook")

        def deploy(book, namespace):
            variables = {"dbbat_namespace": namespace, "dbbat_chart_ref": f"{reg.url}/charts/dbbat",
                         "dbbat_chart_version": version, "dbbat_registry_plain_http": True,
                         "dbbat_db_host": "db", "dbbat_db_password": "pw", "dbbat_encryption_key": KEY,
                         "dbbat_helm_binary": opts.helm, "dbbat_wait_timeout": 120}
            vars_file = work / f"vars-{namespace}.yml"
            vars_file.write_text(yaml.safe_dump(variables))
            return run([playbook, book, "-i", str(work / "hosts.yml"), "-e", f"@{vars_file}"], env)

        times = {"first deploy (role)": [], "no-op re-run (role)": [], "baseline (ns + Secret + helm)": [],
                 "baseline re-run": []}
        for i in range(opts.repeat):
            t, _ = deploy(str(ROOT / "playbooks/deploy.yml"), f"role-{i}")
            times["first deploy (role)"].append(t)
            t, changed = deploy(str(ROOT / "playbooks/deploy.yml"), f"role-{i}")
            assert changed == 0, "the role's re-run is not a no-op"
            times["no-op re-run (role)"].append(t)
            t, _ = deploy(str(work / "baseline.yml"), f"base-{i}")
            times["baseline (ns + Secret + helm)"].append(t)
            t, _ = deploy(str(work / "baseline.yml"), f"base-{i}")
            times["baseline re-run"].append(t)
    finally:
        reg.stop()
        api.stop()

    helm_version = subprocess.run([opts.helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    base = statistics.median(times["baseline (ns + Secret + helm)"])
    print(f"deploy benchmark: {opts.repeat} repeats, median wall time, {helm_version}, API test double, "
          f"chart from docker-registry")
    print(f"{'':34} {'seconds':>8} {'x baseline':>11}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:34} {median:8.1f} {median / base:11.2f}")


if __name__ == "__main__":
    main()
