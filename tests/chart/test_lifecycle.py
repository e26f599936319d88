"""Long-lived PostgreSQL connections drain on shutdown and rollouts."""
from tests.chart.render import render, render_error

APP_SHUTDOWN_SECONDS = 30


def test_prestop_sleep_action_and_grace_period(helm):
    r = render(helm, "minimal")
    pre_stop = r.container["lifecycle"]["preStop"]
    assert list(pre_stop) == ["sleep"], "the distroless image has no shell: exec is not an option"
    sleep = pre_stop["sleep"]["seconds"]
    assert sleep > 0
    assert r.pod["spec"]["terminationGracePeriodSeconds"] > APP_SHUTDOWN_SECONDS + sleep


def test_rolling_update_never_drops_below_wanted_replicas(helm):
    strategy = render(helm, "production").deployment["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def test_prestop_can_be_switched_off(helm):
    assert "lifecycle" not in render(helm, "minimal", values={"preStopSleepSeconds": 0}).container


def test_values_follow(helm):
    r = render(helm, "minimal", values={"preStopSleepSeconds": 20, "terminationGracePeriodSeconds": 120})
    assert r.container["lifecycle"]["preStop"]["sleep"]["seconds"] == 20
    assert r.pod["spec"]["terminationGracePeriodSeconds"] == 120


def test_grace_period_too_short_is_refused(helm):
    err = render_error(helm, "minimal", values={"preStopSleepSeconds": 15, "terminationGracePeriodSeconds": 40})
    assert "terminationGracePeriodSeconds (40)" in err and "preStopSleepSeconds (15)" in err


def test_tmp_is_a_writable_empty_dir_on_a_read_only_root(helm):
    r = render(helm, "minimal")
    assert r.container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in r.container["volumeMounts"]}
    volumes = {v["name"]: v for v in r.pod["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_recreate_strategy_drops_rolling_update(helm):
    strategy = render(helm, "minimal", values={"updateStrategy": {"type": "Recreate"}}).deployment["spec"]["strategy"]
    assert strategy == {"type": "Recreate"}
