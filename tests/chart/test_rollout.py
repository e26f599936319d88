"""Pods roll when rendered configuration or secrets change, not when labels do."""
import shutil

from tests.chart.render import CHART_DIR, render

CHECKSUMS = ("checksum/config", "checksum/secret")


def checksums(r):
    annotations = r.pod["metadata"]["annotations"]
    return {k: annotations.get(k) for k in CHECKSUMS}


def test_config_change_rolls_pods(helm):
    before = checksums(render(helm, "minimal"))
    after = checksums(render(helm, "minimal", values={"config": {"baseUrl": "/ui"}}))
    assert before["checksum/config"] != after["checksum/config"]
    assert before["checksum/secret"] == after["checksum/secret"]


def test_secret_change_rolls_pods(helm):
    before = checksums(render(helm, "minimal"))
    after = checksums(render(helm, "minimal", values={"postgresql": {"external": {
        "dsn": "postgres://user:rotated@postgres.example.com:5432/dbbat?sslmode=require"}}}))
    assert before["checksum/secret"] != after["checksum/secret"]
    assert before["checksum/config"] == after["checksum/config"]


def test_no_secret_checksum_without_chart_secret(helm):
    r = render(helm, "production")
    assert not r.has("Secret")
    assert "checksum/secret" not in r.pod["metadata"]["annotations"]


def test_label_only_change_leaves_pod_template_alone(helm, tmp_path):
    """A new chart version changes every resource's helm.sh/chart label, not the pods."""
    chart = tmp_path / "dbbat"
    shutil.copytree(CHART_DIR, chart)
    chart_yaml = chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("\nversion: ", "\nversion: 9.9.9-relabel.", 1))
    old, new = render(helm, "minimal"), render(helm, "minimal", chart=chart)
    assert old.get("ConfigMap", "dbbat")["metadata"]["labels"] != new.get("ConfigMap", "dbbat")["metadata"]["labels"]
    assert old.pod == new.pod
