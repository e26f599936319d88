"""README.md's parameter table is what the generator makes of values.yaml, and the guide is there."""
import shutil
import subprocess

import pytest

from tests.chart.render import CHART_DIR, ROOT

GENERATOR = ROOT / "node_modules" / ".bin" / "readme-generator"
README = CHART_DIR / "README.md"


def test_parameters_table_has_not_drifted(tmp_path):
    if not GENERATOR.exists():
        pytest.fail("readme-generator not found: run `make setup`")
    readme, values = tmp_path / "README.md", tmp_path / "values.yaml"
    shutil.copy(README, readme)
    shutil.copy(CHART_DIR / "values.yaml", values)
    proc = subprocess.run([str(GENERATOR), "--values", str(values), "--readme", str(readme)],
                          capture_output=True, text=True, check=False)
    # The generator also refuses values without metadata and metadata without values.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert readme.read_text() == README.read_text(), (
        "charts/dbbat/README.md is out of date: run "
        "node_modules/.bin/readme-generator --values charts/dbbat/values.yaml --readme charts/dbbat/README.md")


def test_every_value_is_in_the_table():
    text = README.read_text()
    for key in ("postgresql.external.dsn", "secrets.existingSecret", "config.listenApi", "service.proxy.nodePort",
                "podDisruptionBudget.maxUnavailable", "startupProbe", "extraVolumes", "global.imageRegistry",
                "tls.pg.existingSecret", "tls.mssql.certManager.dnsNames", "gateway.tcpRoutes.enabled",
                "gateway.skipCapabilityCheck", "podDisruptionBudget.allowBlockingDrains", "defaultTopologySpread.enabled",
                "migrations.job.backoffLimit", "tests.enabled"):
        assert f"| `{key}`" in text


@pytest.mark.parametrize("heading", [
    "## Installing", "## Upgrading", "### Database migrations", "### Testing a release", "## Air-gapped installs",
    "## Exposing the PostgreSQL proxy", "### Gateway API", "## Proxy TLS", "## Disruption budget and spreading",
    "## Storage database and secrets", "## The encryption key: rotate nothing by accident",
    "## Differences from the design spec", "## Parameters"])
def test_guide_sections(heading):
    assert f"\n{heading}\n" in README.read_text()
