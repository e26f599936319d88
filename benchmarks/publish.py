#!/usr/bin/env python3
"""Benchmark of fclairamb.dbbat.helm_chart_publish against a local docker-registry.

Measures, in one run and against the same registry and chart:
  - a fresh publish (the module: package, registry read, lint, push);
  - an unchanged re-publish (the module: the manifest read, no blob; no
    helm process, nothing uploaded);
  - one trivial module task (command: /bin/true), Ansible's own per-task cost;
  - a bare `helm package && helm push` of the same chart, without Ansible (no lint, no check);
  - against a second registry with TLS (the test CA) and a login (htpasswd), what a user runs:
    the whole of playbooks/publish.yml (credentials in HELM_REGISTRY_USERNAME/PASSWORD), fresh and
    unchanged, each minus the whole of a trivial playbook (ansible-playbook's own start-up and one
    task), measured in the same round.
The module figures are task durations (the json callback's start and end of the task), each taken
in a playbook whose first task (ping) warms Ansible up and whose second is the trivial task, so that
the module's own cost is the publish task's duration minus the trivial task's, in the same run. Both
are the first use of their module in the run, so both include building the module's payload (an
unchanged re-publish in a later task of the same run is cheaper still). Each is repeated (median
shown). Prints the figures and, for each case, the ratio of the unchanged re-publish's own cost to
the fresh publish's, next to its goal (<= 0.5); asserts nothing on time (only that an unchanged
re-publish uploads nothing).

    python benchmarks/publish.py [--repeat 5] [--helm PATH] [--chart DIR]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from testkit.env import isolated_env  # noqa: E402
from testkit.registry import Registry  # noqa: E402  (the tests' real docker-registry)

GOAL = 0.5  # an unchanged re-publish costs at most half of a fresh one, beyond a trivial task
WARM_UP = "    - name: warm-up\n      ansible.builtin.ping:\n"
TRIVIAL = "    - name: trivial\n      ansible.builtin.command: /bin/true\n      changed_when: false\n"
PUBLISH_PLAYBOOK = ROOT / "playbooks" / "publish.yml"


def children_cpu():
    times = os.times()
    return times.children_user + times.children_system


def timed(argv, env, cwd=ROOT):
    """(wall seconds, stdout, CPU seconds of the process and of every process it waited for)."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit("benchmark step failed: %s\n%s%s" % (" ".join(argv), proc.stdout, proc.stderr))
    return elapsed, proc.stdout, cpu


def playbook(path, tasks):
    path.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
                    "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
                    "  tasks:\n" + tasks)
    return str(path)


def task_durations(json_output):
    """{task name: seconds} from the ansible.posix.json callback's output."""
    durations = {}
    for task in json.loads(json_output)["plays"][0]["tasks"]:
        span = task["task"]["duration"]
        start, end = (datetime.fromisoformat(span[key].replace("Z", "+00:00")) for key in ("start", "end"))
        durations[task["task"]["name"]] = (end - start).total_seconds()
    return durations


def goal_line(what, ratio):
    return ("unchanged re-publish / fresh publish, %s: %.2f (goal: unchanged re-publish <= %.1f of a fresh "
            "publish: %s)" % (what, ratio, GOAL, "met" if ratio <= GOAL else "NOT met"))


def tls_login_case(opts, work):
    """playbooks/publish.yml against a registry with TLS and a login, fresh then unchanged, each minus
    a trivial playbook of the same round; returns {run: [seconds]} of the whole playbooks and of their
    cost beyond the trivial one, in wall time and in CPU time."""
    reg = Registry(work / "registry-tls", tls=True, auth=True).start()
    try:
        # The password reaches the playbook through the environment, as the playbook's header says.
        env = isolated_env(work / "tls", extra={"HELM_REGISTRY_USERNAME": reg.username,
                                                "HELM_REGISTRY_PASSWORD": reg.password})
        trivial = playbook(work / "trivial.yml", TRIVIAL)
        base = ["ansible-playbook", "-i", "localhost,"]
        whole = {"fresh": [], "unchanged": [], "trivial": []}
        beyond = {"fresh": [], "unchanged": []}
        beyond_cpu = {"fresh": [], "unchanged": []}
        for i in range(opts.repeat):
            extra = ["-e", "dbbat_publish_registry=" + reg.host, "-e", "dbbat_publish_repository=bench/tls",
                     "-e", "dbbat_publish_version=1.1.%d" % i, "-e", "dbbat_publish_ca_file=" + reg.ca_file,
                     "-e", "dbbat_publish_helm_binary=" + opts.helm, "-e", "dbbat_publish_chart_path=" + opts.chart]
            round_trivial, _out, trivial_cpu = timed(base + [trivial], env)
            whole["trivial"].append(round_trivial)
            for run in ("fresh", "unchanged"):
                mark = reg.access_mark()
                elapsed, _out, cpu = timed(base + [str(PUBLISH_PLAYBOOK)] + extra, env)
                whole[run].append(elapsed)
                beyond[run].append(elapsed - round_trivial)
                beyond_cpu[run].append(cpu - trivial_cpu)
            writes = [request for request in reg.requests_since(mark) if request.is_write]
            assert writes == [], "re-publish must upload nothing, the registry logged %s" % writes
    finally:
        reg.stop()
    return whole, beyond, beyond_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The costs compared are fractions of a second: with three samples one slow start-up can swing
    # the median, five keep it steady.
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm"))
    default_chart = ROOT / "charts" / "dbbat"
    if not (default_chart / "Chart.yaml").exists():
        default_chart = ROOT / "tests" / "publish" / "testdata" / "publishme"
    parser.add_argument("--chart", default=str(default_chart))
    opts = parser.parse_args()
    if opts.repeat < 3:
        parser.error("--repeat must be at least 3: a median of fewer runs is one sample's noise")
    opts.helm, opts.chart = os.path.abspath(opts.helm), os.path.abspath(opts.chart)

    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    env = isolated_env(work, extra={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    reg = Registry(work / "registry").start()
    try:
        helm_version = subprocess.run([opts.helm, "version", "--template", "{{.Version}}"], capture_output=True,
                                      text=True, check=True).stdout.strip()
        chart_name = Path(opts.chart).name
        publish_task = ("    - name: publish\n      fclairamb.dbbat.helm_chart_publish:\n"
                        "        chart_path: %s\n        registry: %s/bench\n        version: \"{{ v }}\"\n"
                        "        plain_http: true\n        binary_path: %s\n" % (opts.chart, reg.url, opts.helm))
        pb_publish = playbook(work / "publish.yml", WARM_UP + TRIVIAL + publish_task)
        base = ["ansible-playbook", "-i", "localhost,"]
        tasks = {"fresh": [], "unchanged": [], "trivial": []}
        beyond = {"fresh": [], "unchanged": []}
        bare = []
        for i in range(opts.repeat):
            version = "1.0.%d" % i
            before = reg.counts()
            for run in ("fresh", "unchanged"):
                durations = task_durations(timed(base + [pb_publish, "-e", "v=" + version], env)[1])
                tasks[run].append(durations["publish"])
                tasks["trivial"].append(durations["trivial"])
                beyond[run].append(durations["publish"] - durations["trivial"])
                if run == "fresh":
                    after_fresh = reg.counts()
            assert reg.counts() == after_fresh and after_fresh != before, "re-publish must upload nothing"
            pkg = work / ("pkg-%d" % i)
            pkg.mkdir()
            start = time.perf_counter()
            timed([opts.helm, "package", opts.chart, "--version", "2.0.%d" % i, "--destination", str(pkg)], env)
            archive = next(pkg.glob("*.tgz"))
            timed([opts.helm, "push", str(archive), "%s/bench-bare" % reg.url, "--plain-http"], env)
            bare.append(time.perf_counter() - start)

        median = statistics.median
        print("\nhelm_chart_publish benchmark: chart %s, helm %s, local docker-registry (plain HTTP), "
              "median of %d runs\n" % (chart_name, helm_version, opts.repeat))
        print("%-40s %10s %18s" % ("step", "task (s)", "beyond trivial (s)"))
        print("%-40s %10.3f %18.3f" % ("fresh publish (module)", median(tasks["fresh"]), median(beyond["fresh"])))
        print("%-40s %10.3f %18.3f" % ("unchanged re-publish (module)", median(tasks["unchanged"]),
                                       median(beyond["unchanged"])))
        print("%-40s %10.3f %18s" % ("one trivial task (command: true)", median(tasks["trivial"]), "-"))
        print("%-40s %10.3f %18s" % ("bare helm package && helm push (no Ansible)", median(bare), "-"))
        ratio = median(beyond["unchanged"]) / median(beyond["fresh"])
        print("\n" + goal_line("the module's own cost beyond a trivial task", ratio))

        whole, tls_beyond, tls_cpu = tls_login_case(opts, work)
        print("\nplaybooks/publish.yml, local docker-registry with TLS and a login (htpasswd), median of %d runs\n"
              % opts.repeat)
        print("%-40s %10s %18s %22s" % ("step", "whole (s)", "beyond trivial (s)", "CPU beyond trivial (s)"))
        for run, label in (("fresh", "fresh publish (playbook)"), ("unchanged", "unchanged re-publish (playbook)")):
            print("%-40s %10.3f %18.3f %22.3f" % (label, median(whole[run]), median(tls_beyond[run]),
                                                  median(tls_cpu[run])))
        print("%-40s %10.3f %18s %22s" % ("trivial playbook (command: true)", median(whole["trivial"]), "-", "-"))
        tls_ratio = median(tls_beyond["unchanged"]) / median(tls_beyond["fresh"])
        print("\n" + goal_line("TLS + login, the whole playbook beyond a trivial playbook", tls_ratio))
        # Wall time is the goal's measure; CPU time (every process's, helm and the registry's client
        # included) says the same with less noise on a busy machine.
        print("  the same in CPU time: %.2f" % (median(tls_cpu["unchanged"]) / median(tls_cpu["fresh"])))
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
