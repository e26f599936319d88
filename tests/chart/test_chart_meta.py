"""Chart.yaml, and the chart as it is packaged."""
import re
import subprocess
import tarfile

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


def test_packaged_chart_holds_only_the_chart(helm, tmp_path):
    proc = subprocess.run([helm, "package", str(CHART_DIR), "-d", str(tmp_path)], capture_output=True, text=True,
                          check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    (archive,) = tmp_path.glob("dbbat-*.tgz")
    with tarfile.open(archive) as tar:
        names = {n.removeprefix("dbbat/") for n in tar.getnames()}
    templates = {f"templates/{p.name}" for p in (CHART_DIR / "templates").iterdir()}
    assert names == {"Chart.yaml", "values.yaml", "values.schema.json", "README.md", ".helmignore"} | templates


def test_rendering_is_deterministic():
    """No random, time-based or cluster-dependent values: a second upgrade with the same values is a no-op."""
    forbidden = re.compile(r"\b(rand(AlphaNum|Alpha|Numeric|Ascii|Bytes|Int)|uuidv4|now|lookup|gen(PrivateKey|CA|"
                           r"SelfSignedCert|SignedCert))\b")
    for path in (CHART_DIR / "templates").iterdir():
        for action in re.findall(r"{{(.*?)}}", path.read_text(), re.S):
            assert not forbidden.search(action), f"{path.name}: {action.strip()}"
