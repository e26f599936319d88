"""Point 12: Chart.yaml."""
import yaml

from tests.chart.render import CHART_DIR

CHART = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())


def test_chart_yaml():
    assert CHART["apiVersion"] == "v2"
    assert CHART["name"] == "dbbat"
    assert CHART["type"] == "application"
    assert CHART["appVersion"] == "0.25.2"
    assert CHART["kubeVersion"] == ">=1.30.0-0"
    major, minor, patch = (int(x) for x in CHART["version"].split("."))
    assert major >= 1


def test_artifacthub_annotations():
    a = CHART["annotations"]
    assert a["artifacthub.io/license"]
    assert a["artifacthub.io/containsSecurityUpdates"] in ("true", "false")
    images = yaml.safe_load(a["artifacthub.io/images"])
    assert images[0]["image"] == f"ghcr.io/fclairamb/dbbat:{CHART['appVersion']}"
    for change in yaml.safe_load(a["artifacthub.io/changes"]):
        assert change["kind"] in ("added", "changed", "deprecated", "removed", "fixed", "security")
        assert change["description"]
    for link in yaml.safe_load(a["artifacthub.io/links"]):
        assert link["url"].startswith("https://")


def test_release_workflow_seds_still_match():
    """The publish job rewrites these two lines with sed '^version:' / '^appVersion:'."""
    lines = (CHART_DIR / "Chart.yaml").read_text().splitlines()
    assert sum(line.startswith("version:") for line in lines) == 1
    assert sum(line.startswith("appVersion:") for line in lines) == 1
