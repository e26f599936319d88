"""The role's guards on the local cluster's real control plane: nothing is written until the run is
proven (counted in the API server's audit log), a namespaced ServiceAccount under real RBAC (the
collection's example) can deploy the chart's defaults and every optional object of it, releases
left pending by an interrupted run are refused and then recovered on purpose, Helm 4's server-side
apply conflicts are named, and a failing upgrade is rolled back while the previous ReplicaSet keeps
serving (pods that never become Ready: a kwok stage).

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import os
import signal
import subprocess
import time

import pytest
import yaml

from testkit.paths import VENV_BIN

from .conftest import PLAYBOOK, SECRET, helm_releases

pytestmark = pytest.mark.slow

NEVER_READY = {"podAnnotations": {"kwok.dbbat.test/ready": "false"}}


def _deployment(cluster, namespace):
    return cluster.get("apps/v1", "Deployment", "dbbat", namespace)


@pytest.mark.parametrize("overrides, expected", [
    ({"dbbat_values": {"replicaCount": "three"}},
     "replicaCount (from dbbat_values.replicaCount): got string, want integer"),
    ({"dbbat_values": {"serivce": {"proxy": {"type": "LoadBalancer"}}}},
     "serivce (from dbbat_values.serivce): additional properties 'serivce' not allowed"),
    ({"dbbat_pdb_enabled": True},
     "(from dbbat_pdb_min_available, dbbat_replicas, dbbat_pdb_allow_blocking_drains)"),
    ({"dbbat_replicas": -1}, "replicaCount (from dbbat_replicas): minimum: got -1, want 0"),
], ids=["schema-type", "schema-unknown-key", "chart-check", "role-variable"])
def test_values_the_chart_refuses_stop_the_run_before_any_write(cluster, deployer, overrides, expected):
    mark = cluster.audit_mark()
    run = deployer.run(**overrides)
    assert run.rc != 0
    assert "The chart refuses these values (helm's dry run, nothing was written)" in run.out, run.tail()
    assert expected in " ".join(run.out.split()), run.tail()
    assert cluster.writes(mark) == [], "a failed preflight must leave the cluster as it found it"
    assert cluster.get("v1", "Namespace", deployer.namespace) is None


def test_no_op_run_sends_no_write_and_a_bad_upgrade_none_either(cluster, deployer):
    assert deployer.run().rc == 0
    mark = cluster.audit_mark()
    run = deployer.run()
    assert run.rc == 0 and run.recap["changed"] == 0, run.changed_tasks()
    assert cluster.writes(mark) == [], "an unchanged run must not write (a PATCH that changes nothing counts)"
    assert "is unchanged in namespace" in run.out

    run = deployer.run(dbbat_values={"replicaCount": -1})
    assert run.rc != 0 and "replicaCount (from dbbat_values.replicaCount)" in " ".join(run.out.split()), run.tail()
    assert cluster.writes(mark) == []
    assert [r["version"] for r in helm_releases(cluster, deployer.namespace)] == [1]


def test_a_namespaced_service_account_deploys_without_writing_the_namespace(cluster, namespace, namespaced_deployer):
    deployer = namespaced_deployer
    assert cluster.kubectl("auth", "can-i", "patch", f"namespaces/{namespace}",
                           f"--as=system:serviceaccount:{namespace}:dbbat-deployer").stdout.strip() == "no"

    mark = cluster.audit_mark()
    run = deployer.run()
    assert run.rc == 0, run.tail()
    writes = cluster.writes(mark)
    assert not [w for w in writes if w["resource"] == "namespaces"], writes
    assert not [w for w in writes if w["code"] == 403], f"the role tried something it may not do: {writes}"
    assert _deployment(cluster, namespace)["status"]["readyReplicas"] == 1
    assert deployer.run().recap["changed"] == 0

    # A label the namespace lacks: the role would have to patch it, which this user may not:
    # the refusal is the API server's, in a message that says which object.
    run = deployer.run(dbbat_namespace_labels={"pod-security.kubernetes.io/enforce": "restricted", "team": "db"})
    text = " ".join(run.out.split())
    assert run.rc != 0 and f"cannot apply Namespace/{namespace}" in text and "forbidden" in text.lower(), run.tail()
    # Told that the namespace is the admins' job, the role reads and writes it not at all.
    run = deployer.run(dbbat_namespace_managed=False, dbbat_namespace_labels={"team": "db"})
    assert run.rc == 0 and run.recap["changed"] == 0, run.tail()


# Every optional object of the chart on (charts/dbbat/values.yaml: autoscaling, podDisruptionBudget,
# ingress, networkPolicy, tls.*.certManager, gateway.tcpRoutes; it has no ServiceMonitor), through
# the role's variables where it has one. Two listeners, so that the certificates and routes are
# more than one each, with an Issuer and a ClusterIssuer.
EVERY_OPTIONAL_OBJECT = {
    "dbbat_replicas": 2,
    "dbbat_autoscaling_enabled": True, "dbbat_autoscaling_min_replicas": 2, "dbbat_autoscaling_max_replicas": 4,
    "dbbat_pdb_enabled": True, "dbbat_pdb_min_available": 1,
    "dbbat_ingress_enabled": True, "dbbat_ingress_host": "dbbat.example.test", "dbbat_ingress_class": "nginx",
    "dbbat_ingress_tls_secret": "dbbat-ingress-tls",
    "dbbat_network_policy_enabled": True, "dbbat_network_policy_allowed_namespaces": ["gateway-system"],
    "dbbat_proxy_tls": {"pg": {"issuer": "internal-ca", "issuer_kind": "ClusterIssuer"},
                        "mysql": {"issuer": "dbbat-issuer"}},
    "dbbat_values": {"config": {"listenMysql": ":3306"},
                     "gateway": {"parentRefs": [{"name": "tcp-gateway", "namespace": "gateway-system"}],
                                 "tcpRoutes": {"enabled": True,
                                               "sectionNames": {"postgres": "dbbat-pg", "mysql": "dbbat-mysql"}}}},
}
OPTIONAL_KINDS = {"HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1, "Ingress": 1, "NetworkPolicy": 1,
                  "Certificate": 2, "TCPRoute": 2}


def test_the_namespaced_service_account_deploys_every_optional_object_of_the_chart(cluster, crds, namespaced_deployer):
    """The example RBAC is enough for the whole chart, not only its defaults: with the CRDs of
    cert-manager and the Gateway API installed (no controller of theirs acts on the objects), the
    deploy succeeds, nothing it sent was forbidden, every object of the release is in the API, and
    a second run, which reads them all back, succeeds unchanged."""
    deployer = namespaced_deployer
    mark = cluster.audit_mark()
    run = deployer.run(**EVERY_OPTIONAL_OBJECT)
    assert run.rc == 0, run.tail()
    writes = cluster.writes(mark)
    assert not [w for w in writes if w["code"] == 403], f"the example RBAC lacks a permission: {writes}"

    (record,) = helm_releases(cluster, deployer.namespace)
    objects = [o for o in yaml.safe_load_all(record["manifest"]) if o]
    kinds = {kind: [o for o in objects if o["kind"] == kind] for kind in OPTIONAL_KINDS}
    assert {kind: len(found) for kind, found in kinds.items()} == OPTIONAL_KINDS, "the release lacks an optional object"
    for obj in objects:
        live = cluster.get(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], deployer.namespace)
        assert live is not None, f"{obj['kind']} {obj['metadata']['name']} of the release is not in the API"
    assert deployer.run(**EVERY_OPTIONAL_OBJECT).recap["changed"] == 0


def _interrupt(cluster, deployer, status, playbook=PLAYBOOK, **overrides):
    """Start a deploy (or another of playbooks/) whose pods never become Ready and kill it
    (ansible-playbook and the helm it runs) once Helm's record says ``status``: what a killed job
    or a lost connection leaves."""
    variables = dict(deployer.vars, **overrides)
    vars_file = deployer.workdir / "interrupted-vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    # Every process of that run (workers, the module, helm) inherits this marker: all are killed.
    marker = f"DBBAT_TEST_INTERRUPTED_RUN={deployer.namespace}"
    proc = subprocess.Popen([str(VENV_BIN / "ansible-playbook"), str(PLAYBOOK.parent / playbook), "-i", str(deployer.inventory),
                             "-e", f"@{vars_file}"], env=dict(deployer.env, DBBAT_TEST_INTERRUPTED_RUN=deployer.namespace),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            records = helm_releases(cluster, deployer.namespace)
            if records and records[-1]["info"]["status"] == status:
                break
            assert proc.poll() is None, "the deploy ended before it could be interrupted"
            time.sleep(0.2)
        else:
            raise AssertionError(f"the release never became {status}")
    finally:
        # Ansible runs modules in sessions of their own: the process group is not enough.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pid in _processes(lambda pid, _argv: marker in _environ(pid)):
            os.kill(pid, signal.SIGKILL)
    assert helm_releases(cluster, deployer.namespace)[-1]["info"]["status"] == status


def _processes(match):
    """Pids of the processes that ``match(pid, argv)`` accepts."""
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = [a.decode(errors="replace") for a in cmdline.read().split(b"\0") if a]
            if argv and match(int(entry), argv):
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def _environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as environ:
        return [v.decode(errors="replace") for v in environ.read().split(b"\0")]


def _upgrade_interrupted(cluster, deployer):
    assert deployer.run().rc == 0
    _interrupt(cluster, deployer, "pending-upgrade", dbbat_values=NEVER_READY, dbbat_wait_timeout=300)
    # The rollback is revision 3; Helm keeps the interrupted record as it was, in history only.
    return {"status": "pending-upgrade", "revision": 2, "back_to": 1,
            "history": [(1, "superseded"), (2, "pending-upgrade"), (3, "deployed")]}


def _rollback_interrupted(cluster, deployer):
    """playbooks/rollback.yml to the failed upgrade 2 (its pods never become Ready; the role rolled
    it back to 3 at once), interrupted while Helm waits for them."""
    assert deployer.run().rc == 0
    assert deployer.run(dbbat_values=NEVER_READY, dbbat_wait_timeout=10).rc != 0
    _interrupt(cluster, deployer, "pending-rollback", playbook="rollback.yml", dbbat_rollback_revision=2,
               dbbat_wait_timeout=300)
    return {"status": "pending-rollback", "revision": 4, "back_to": 3,
            "history": [(1, "superseded"), (2, "failed"), (3, "superseded"), (4, "pending-rollback"), (5, "deployed")]}


@pytest.mark.parametrize("interrupted", [_upgrade_interrupted, _rollback_interrupted],
                         ids=["mid-upgrade", "mid-rollback"])
def test_a_release_interrupted_mid_upgrade_or_rollback_is_refused_then_recovered_on_purpose(cluster, deployer,
                                                                                            interrupted):
    ns = deployer.namespace
    left = interrupted(cluster, deployer)

    mark = cluster.audit_mark()
    run = deployer.run()
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert f"Release dbbat in namespace {ns} is {left['status']} (revision {left['revision']}," in text, run.tail()
    assert "rerun with dbbat_recover_pending_release=true" in text
    assert f"roll it back to revision {left['back_to']} (its last deployed one)" in text
    assert cluster.writes(mark) == []

    run = deployer.run(dbbat_recover_pending_release=True)
    assert run.rc == 0, run.tail()
    history = [(r["version"], r["info"]["status"]) for r in helm_releases(cluster, ns)]
    assert history == left["history"], history
    template = _deployment(cluster, ns)["spec"]["template"]
    assert "kwok.dbbat.test/ready" not in template["metadata"].get("annotations", {})
    assert _deployment(cluster, ns)["status"]["readyReplicas"] == 1
    assert deployer.run().recap["changed"] == 0


def test_a_release_interrupted_mid_install_is_uninstalled_keeping_the_secret(cluster, deployer):
    ns = deployer.namespace
    _interrupt(cluster, deployer, "pending-install", dbbat_values=NEVER_READY, dbbat_wait_timeout=300)
    secret = cluster.get("v1", "Secret", SECRET, ns)["metadata"]["uid"]

    run = deployer.run()
    assert run.rc != 0 and "uninstall it (it never deployed; the Secret dbbat-secrets stays)" in " ".join(run.out.split())
    run = deployer.run(dbbat_recover_pending_release=True)
    assert run.rc == 0, run.tail()
    assert [(r["version"], r["info"]["status"]) for r in helm_releases(cluster, ns)] == [(1, "deployed")]
    assert cluster.get("v1", "Secret", SECRET, ns)["metadata"]["uid"] == secret, "the Secret must never go"


def test_fields_changed_by_another_manager_are_named_and_can_be_taken_back(cluster, deployer, helm4):
    """Helm 4's server-side apply: `kubectl scale` makes kubectl the manager of .spec.replicas; the
    next upgrade that sets it conflicts, and the role says which field, who, and the way through."""
    ns = deployer.namespace
    deployer.vars["dbbat_helm_binary"] = helm4
    assert deployer.run().rc == 0
    cluster.kubectl("-n", ns, "scale", "deployment/dbbat", "--replicas=3").check()

    run = deployer.run(dbbat_image_tag="0.25.3")
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert "fields it manages were changed outside this inventory" in text, run.tail()
    assert f'Deployment {ns}/dbbat .spec.replicas (by "kubectl", scale subresource).' in text, run.tail()
    assert "dbbat_helm_force_conflicts=true" in text
    assert _deployment(cluster, ns)["spec"]["replicas"] == 3

    run = deployer.run(dbbat_image_tag="0.25.3", dbbat_helm_force_conflicts=True)
    assert run.rc == 0, run.tail()
    deployment = _deployment(cluster, ns)
    assert deployment["spec"]["replicas"] == 1, "the inventory's replicas are back"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":0.25.3")


def test_an_upgrade_whose_pods_kwok_keeps_unready_is_rolled_back_to_the_old_replicaset(cluster, deployer):
    ns = deployer.namespace
    assert deployer.run().rc == 0
    (old,) = cluster.list("apps/v1", "ReplicaSet", ns, label_selector="app.kubernetes.io/instance=dbbat")

    run = deployer.run(dbbat_values=NEVER_READY, dbbat_wait_timeout=20)
    assert run.rc != 0
    text = " ".join(run.out.split())
    assert "Helm's upgrade of release dbbat" in text and "failed" in text, run.tail()
    assert "The release was rolled back (atomic): the pods of the previous revision keep serving." in text

    history = [(r["version"], r["info"]["status"]) for r in helm_releases(cluster, ns)]
    assert history == [(1, "superseded"), (2, "failed"), (3, "deployed")], history
    old_now = cluster.get("apps/v1", "ReplicaSet", old["metadata"]["name"], ns)
    assert old_now["status"]["readyReplicas"] == 1, "the previous ReplicaSet kept serving"
    deployment = cluster.wait_for(
        lambda: (lambda d: d if d["status"].get("readyReplicas") == 1 and d["status"].get("updatedReplicas") == 1
                 else None)(_deployment(cluster, ns)), "the rolled-back Deployment to settle")
    assert "kwok.dbbat.test/ready" not in deployment["spec"]["template"]["metadata"].get("annotations", {})
