"""The render-time checks: each file of bad-values/ is refused, naming the bad value.

Each file starts with one or more `# expect: <fragment of helm's error message>` lines.
"""
import pytest

from tests.chart.render import BAD_VALUES, render_error

CASES = sorted(BAD_VALUES.glob("*.yaml"))


def expectations(path):
    lines = [line for line in path.read_text().splitlines() if line.startswith("# expect: ")]
    assert lines, f"{path.name} has no '# expect: ' line"
    return [line.removeprefix("# expect: ") for line in lines]


def test_corpus_is_there():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_values_refused(helm_any, case):
    err = render_error(helm_any, case)
    for fragment in expectations(case):
        assert fragment in err, f"{case.name}: {fragment!r} not in helm's message:\n{err}"
