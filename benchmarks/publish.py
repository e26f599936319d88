#!/usr/bin/env python3
"""Benchmark of fclairamb.dbbat.helm_chart_publish against a local docker-registry.

Measures, in one run and against the same registry and chart:
  - a fresh publish (ansible-playbook + the module: package, lint, existence check, push);
  - an unchanged re-publish (package, lint, pull and compare; nothing uploaded);
  - a bare `helm package && helm push` of the same chart (no lint, no check);
  - ansible-playbook running one trivial module task (command: /bin/true), to show how much of
    the module figures is Ansible's own start-up and per-task cost.
Each is repeated (median shown). Prints wall times and ratios; asserts nothing on time.

    python benchmarks/publish.py [--repeat 3] [--helm PATH] [--chart DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from testkit.env import isolated_env  # noqa: E402
from testkit.registry import Registry  # noqa: E402  (the tests' real docker-registry)


def timed(argv, env, cwd=ROOT):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("benchmark step failed: %s\n%s%s" % (" ".join(argv), proc.stdout, proc.stderr))
    return elapsed, proc.stdout


def playbook(path, tasks):
    path.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
                    "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
                    "  tasks:\n" + tasks)
    return str(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm"))
    default_chart = ROOT / "charts" / "dbbat"
    if not (default_chart / "Chart.yaml").exists():
        default_chart = ROOT / "tests" / "publish" / "testdata" / "publishme"
    parser.add_argument("--chart", default=str(default_chart))
    opts = parser.parse_args()
    opts.helm, opts.chart = os.path.abspath(opts.helm), os.path.abspath(opts.chart)

    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    env = isolated_env(work)
    reg = Registry(work / "registry").start()
    try:
        helm_version = subprocess.run([opts.helm, "version", "--template", "{{.Version}}"], capture_output=True,
                                      text=True, check=True).stdout.strip()
        chart_name = Path(opts.chart).name
        publish_task = ("    - fclairamb.dbbat.helm_chart_publish:\n"
                        "        chart_path: %s\n        registry: %s/bench\n        version: \"{{ v }}\"\n"
                        "        plain_http: true\n        binary_path: %s\n" % (opts.chart, reg.url, opts.helm))
        pb_publish = playbook(work / "publish.yml", publish_task)
        pb_trivial = playbook(work / "trivial.yml", "    - ansible.builtin.command: /bin/true\n"
                                                     "      changed_when: false\n")
        base = ["ansible-playbook", "-i", "localhost,"]
        results = {"fresh publish (module)": [], "unchanged re-publish (module)": [],
                   "bare helm package && helm push": [], "one trivial task (command: true)": []}
        for i in range(opts.repeat):
            version = "1.0.%d" % i
            before = reg.counts()
            results["fresh publish (module)"].append(timed(base + [pb_publish, "-e", "v=" + version], env)[0])
            after_fresh = reg.counts()
            results["unchanged re-publish (module)"].append(
                timed(base + [pb_publish, "-e", "v=" + version], env)[0])
            assert reg.counts() == after_fresh and after_fresh != before, "re-publish must upload nothing"
            pkg = work / ("pkg-%d" % i)
            pkg.mkdir()
            start = time.perf_counter()
            timed([opts.helm, "package", opts.chart, "--version", "2.0.%d" % i, "--destination", str(pkg)], env)
            archive = next(pkg.glob("*.tgz"))
            timed([opts.helm, "push", str(archive), "%s/bench-bare" % reg.url, "--plain-http"], env)
            results["bare helm package && helm push"].append(time.perf_counter() - start)
            results["one trivial task (command: true)"].append(timed(base + [pb_trivial], env)[0])

        bare = statistics.median(results["bare helm package && helm push"])
        print("\nhelm_chart_publish benchmark: chart %s, helm %s, local docker-registry (plain HTTP), "
              "median of %d runs\n" % (chart_name, helm_version, opts.repeat))
        print("%-34s %10s %14s" % ("step", "wall (s)", "x bare helm"))
        for name, values in results.items():
            median = statistics.median(values)
            print("%-34s %10.3f %14.2f" % (name, median, median / bare))
        trivial = statistics.median(results["one trivial task (command: true)"])
        print("\nmodule time beyond a trivial task (the helm calls and the comparison): "
              "fresh %.3f s, unchanged %.3f s"
              % (statistics.median(results["fresh publish (module)"]) - trivial,
                 statistics.median(results["unchanged re-publish (module)"]) - trivial))
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
