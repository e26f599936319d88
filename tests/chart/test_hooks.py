"""The migration Job (pre-install/pre-upgrade hook) and the helm test pod: the server's image and
configuration, the chart's Pod Security settings, and labels no selector of the chart picks."""
import pytest

from tests.chart.render import CI_SETS, render

HOOK = "pre-install,pre-upgrade"
DELETE = "before-hook-creation,hook-succeeded"


def job(r):
    return r.get("Job")


def job_pod(r):
    return job(r)["spec"]["template"]


def one_container(pod):
    (container,) = pod["spec"]["containers"]
    return container


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(helm):
    j = job(render(helm, "minimal"))
    assert j["metadata"]["name"] == "dbbat-migrate"
    annotations = j["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == HOOK
    assert annotations["helm.sh/hook-delete-policy"] == DELETE, "reruns work, a failed Job stays"
    assert annotations["helm.sh/hook-output-log-policy"] == "hook-failed"
    assert annotations["helm.sh/hook-weight"] == "0"
    spec = j["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 600
    assert "ttlSecondsAfterFinished" not in spec
    assert job_pod(render(helm, "minimal"))["spec"]["restartPolicy"] == "Never"


def test_job_values(helm):
    spec = job(render(helm, "minimal", values={"migrations": {"job": {
        "backoffLimit": 2, "activeDeadlineSeconds": 900, "ttlSecondsAfterFinished": 0}}}))["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (2, 900, 0)


def test_migration_runs_db_migrate_with_the_servers_image(helm):
    r = render(helm, "full")
    c = one_container(job_pod(r))
    assert c["command"] == ["./dbbat"], "the image's CMD is ./dbbat with no ENTRYPOINT: args alone would replace it"
    assert c["args"] == ["db", "migrate"]
    assert c["image"] == r.container["image"] and c["imagePullPolicy"] == r.container["imagePullPolicy"]
    assert "command" not in r.container and "args" not in r.container, "the server keeps the image's CMD"
    assert c["securityContext"] == r.container["securityContext"]
    assert c["resources"] == r.container["resources"]
    assert job_pod(r)["spec"]["securityContext"] == r.pod["spec"]["securityContext"]


def test_job_reads_hook_copies_of_the_chart_config_and_secret(helm):
    """Pre-install hooks run before the release's ConfigMap/Secret exist, pre-upgrade ones before
    they change: the Job reads copies made just before it, with the same data."""
    r = render(helm, "minimal")
    c = one_container(job_pod(r))
    assert c["envFrom"][0] == {"configMapRef": {"name": "dbbat-migrate"}}
    assert r.get("ConfigMap", "dbbat-migrate")["data"] == r.get("ConfigMap", "dbbat")["data"]
    assert r.secret_data("dbbat-migrate") == r.secret_data("dbbat") == {
        "DBB_DSN": "postgres://user:pass@postgres.example.com:5432/dbbat?sslmode=require"}
    for kind in ("ConfigMap", "Secret"):
        annotations = r.get(kind, "dbbat-migrate")["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == HOOK
        assert int(annotations["helm.sh/hook-weight"]) < 0, "created before the Job"
        assert annotations["helm.sh/hook-delete-policy"] == DELETE
    # Same env as the server, the chart's Secret replaced by its hook copy.
    server = [dict(v, valueFrom={"secretKeyRef": {**v["valueFrom"]["secretKeyRef"], "name": "dbbat-migrate"}})
              if v.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "dbbat" else v
              for v in r.container["env"]]
    assert c["env"] == server
    assert {"name": "DBB_KEY", "valueFrom": {"secretKeyRef": {"name": "dbbat-secrets", "key": "DBB_KEY"}}} in c["env"]


def test_no_hook_secret_when_the_chart_keeps_none(helm):
    r = render(helm, "production")
    assert not r.has("Secret")
    c = one_container(job_pod(r))
    assert c["env"] == r.container["env"]
    assert [v["name"] for v in c["env"]] == ["DBB_KEY", "DB_PASSWORD", "DBB_DSN"]


def test_extra_env_volumes_and_key_file_reach_the_job(helm):
    r = render(helm, "full")
    pod = job_pod(r)
    c = one_container(pod)
    assert c["envFrom"][1:] == r.container["envFrom"][1:] == [{"secretRef": {"name": "bastion-oidc"}}]
    assert c["env"][-1]["name"] == "DBB_SLACK_CLIENT_SECRET"
    assert {v["name"] for v in pod["spec"]["volumes"]} == {"tmp", "key"}
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/tmp", "/etc/dbbat/key"}
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry-credentials"}]
    assert pod["spec"]["nodeSelector"] == r.pod["spec"]["nodeSelector"]
    assert pod["spec"]["tolerations"] == r.pod["spec"]["tolerations"]
    assert pod["spec"]["priorityClassName"] == "high-priority"
    # Rules written for the server pods could leave the Job unschedulable.
    assert "affinity" not in pod["spec"] and "topologySpreadConstraints" not in pod["spec"]


def test_tls_certificates_stay_with_the_server(helm):
    """The Certificate's Secret does not exist before a first install: the Job must not need it."""
    r = render(helm, "integrations")
    pod = job_pod(r)
    assert not [v for v in pod["spec"]["volumes"] if v["name"].startswith("tls-")]
    assert not [v for v in one_container(pod)["env"] if "_TLS_" in v["name"]]
    assert [v for v in r.pod["spec"]["volumes"] if v["name"].startswith("tls-")]


@pytest.mark.parametrize("service_account,expected", [
    ({}, "default"),
    ({"create": False}, "default"),
    ({"create": False, "name": "dbbat-irsa"}, "dbbat-irsa"),
    ({"create": True, "name": "bastion-sa"}, "default"),
])
def test_job_service_account_exists_before_the_release(helm, service_account, expected):
    spec = job_pod(render(helm, "minimal", values={"serviceAccount": service_account}))["spec"]
    assert spec["serviceAccountName"] == expected
    assert spec["automountServiceAccountToken"] is False


def test_job_can_be_switched_off(helm):
    r = render(helm, "minimal", values={"migrations": {"job": {"enabled": False}}})
    assert not r.has("Job")
    assert not r.has("ConfigMap", "dbbat-migrate") and not r.has("Secret", "dbbat-migrate")


def test_pod_annotations_and_labels_reach_the_hook_pods(helm):
    r = render(helm, "full")
    for pod in (job_pod(r), r.get("Pod")):
        assert pod["metadata"]["annotations"]["example.com/owner"] == "platform"
        assert pod["metadata"]["labels"]["example.com/tier"] == "security"
        assert pod["metadata"]["labels"]["app.kubernetes.io/instance"] == "dbbat"
    assert job_pod(r)["metadata"]["labels"]["app.kubernetes.io/component"] == "migrations"
    assert r.get("Pod")["metadata"]["labels"]["app.kubernetes.io/component"] == "test"


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def selectors(r):
    """Every label selector of the chart that picks server pods, by what it is for."""
    found = {"Deployment": r.deployment["spec"]["selector"]["matchLabels"]}
    for svc in r.all("Service"):
        found[f"Service/{svc['metadata']['name']}"] = svc["spec"]["selector"]
    for pdb in r.all("PodDisruptionBudget"):
        found["PodDisruptionBudget"] = pdb["spec"]["selector"]["matchLabels"]
    for np in r.all("NetworkPolicy"):
        found["NetworkPolicy"] = np["spec"]["podSelector"]["matchLabels"]
    return found


@pytest.mark.parametrize("values_file", CI_SETS)
def test_no_selector_picks_a_one_shot_pod(helm, values_file):
    """A migration or test pod must get no proxy traffic and count in no disruption budget."""
    r = render(helm, values_file)
    found = selectors(r)
    assert "Deployment" in found and len(found) >= 3
    for what, selector in found.items():
        assert matches(selector, r.pod["metadata"]["labels"]), what
        for pod in (job_pod(r), r.get("Pod")):
            assert not matches(selector, pod["metadata"]["labels"]), f"{what} selects {pod['metadata']['labels']}"


def test_helm_test_pod(helm):
    r = render(helm, "full")
    pod = r.get("Pod")
    assert pod["metadata"]["name"] == "bastion-test"
    annotations = pod["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "test"
    assert annotations["helm.sh/hook-delete-policy"] == DELETE
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["serviceAccountName"] == "bastion-sa", "run after the install: the release's account exists"
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"] == r.pod["spec"]["securityContext"]
    c = one_container(pod)
    assert (c["command"], c["args"]) == (["./dbbat"], ["db", "status"])
    assert c["image"] == r.container["image"]
    assert c["securityContext"] == r.container["securityContext"]
    # The release's own ConfigMap and Secret, like the server (no TLS, which db status does not use).
    assert c["envFrom"] == r.container["envFrom"]
    assert c["env"] == [v for v in r.container["env"] if "_TLS_" not in v["name"]]
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/tmp", "/etc/dbbat/key"}


def test_helm_test_can_be_switched_off(helm):
    assert not render(helm, "minimal", values={"tests": {"enabled": False}}).has("Pod")


def test_hook_objects_are_not_part_of_the_rollout_checksums(helm):
    """Switching the hooks off or on changes no server pod."""
    a = render(helm, "minimal").pod
    b = render(helm, "minimal", values={"migrations": {"job": {"enabled": False}}, "tests": {"enabled": False}}).pod
    assert a == b
