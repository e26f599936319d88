"""`helm lint --strict` over each CI values file, with both Helm majors."""
import subprocess

import pytest

from tests.chart.render import CHART_DIR, CI_SETS, ci_file


@pytest.mark.parametrize("values", CI_SETS)
def test_lint_strict(helm_any, values, tmp_path):
    proc = subprocess.run(
        [helm_any, "lint", "--strict", str(CHART_DIR), "-f", str(ci_file(values))],
        capture_output=True, text=True, check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout
    assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout


def test_lint_with_chart_defaults(helm_any, tmp_path):
    """Publishing lints the bare chart: Helm's lint mode reports the chart's `fail` checks without failing."""
    proc = subprocess.run([helm_any, "lint", "--strict", str(CHART_DIR)], capture_output=True, text=True,
                          check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
