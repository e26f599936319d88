"""Galaxy's import checks (the galaxy-importer package) on the built artifact, run locally
without containers (files/galaxy-importer.cfg). galaxy-importer lives in its own virtual
environment, made by scripts/setup.sh."""
import json

from testkit.env import isolated_env
from testkit.paths import ROOT
from testkit.proc import run

from .conftest import COLLECTION_DIR

HERE = ROOT / "tests" / "packaging"
IMPORTER_PYTHON = ROOT / ".venv-galaxy-importer" / "bin" / "python"


def test_galaxy_importer_accepts_the_artifact(artifact, tmp_path):
    assert IMPORTER_PYTHON.exists(), "galaxy-importer is missing: run make setup"
    env = isolated_env(tmp_path, extra={"GALAXY_IMPORTER_CONFIG": str(HERE / "files" / "galaxy-importer.cfg"),
                                        "TMPDIR": str(tmp_path)})
    del env["ANSIBLE_CONFIG"]  # galaxy-importer judges the artifact with Ansible's defaults
    env["PATH"] = f"{IMPORTER_PYTHON.parent}:{env['PATH']}"
    proc = run([IMPORTER_PYTHON, "-m", "galaxy_importer.main", "--print-result", artifact], env=env, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.rc == 0, out[-4000:]
    assert "Importer processing completed successfully" in out, out[-4000:]
    # Galaxy points out sanity ignores; the collection's only kind is the GPLv3 header that
    # validate-modules wants in each module, with its reason.
    ignores = (COLLECTION_DIR / "tests" / "sanity" / "ignore-2.21.txt").read_text().splitlines()
    modules = sorted(p.name for p in (COLLECTION_DIR / "plugins" / "modules").glob("*.py"))
    assert ignores == ["plugins/modules/%s validate-modules:missing-gplv3-license"
                       " # the collection is MIT licensed (galaxy.yml, LICENSE)" % m for m in modules], ignores
    expected = ("WARNING: Ignore files skip ansible-test sanity tests, found ignore-2.21.txt with %d statement(s)"
                % len(modules))
    problems = [line for line in out.splitlines() if line.startswith(("ERROR", "WARNING")) and line != expected]
    assert not problems, "\n".join(problems)

    result = json.loads(out[out.index("{"):out.rindex("}") + 1])
    contents = {(c["content_type"], c["name"]) for c in result["contents"]}
    assert ("module", "helm_chart_publish") in contents
    assert ("role", "deploy") in contents
    assert result["docs_blob"]["collection_readme"]["html"], "README not rendered"
    assert result["docs_blob"]["contents"], "no plugin or role documentation"
    assert result["requires_ansible"]
