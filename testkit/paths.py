"""Where things are: the checkout, its pinned tools (scripts/setup.sh), the chart, the collection."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".tools" / "bin"
VENV_BIN = ROOT / ".venv" / "bin"
CHART_DIR = ROOT / "charts" / "dbbat"
COLLECTION_DIR = ROOT / "collections" / "ansible_collections" / "fclairamb" / "dbbat"
ANSIBLE_CFG = ROOT / "ansible.cfg"
# The official CRDs of the custom objects the chart renders (tools/crds/fetch.sh, run by make setup).
CRD_DIR = ROOT / ".tools" / "crds"


class ToolMissing(RuntimeError):
    """A pinned tool is not installed."""


def tool(name):
    """Path of a pinned tool (.tools/bin, then .venv/bin, then PATH); ToolMissing says what to run."""
    for folder in (TOOLS_BIN, VENV_BIN):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found: run `make setup` (scripts/setup.sh) first")
    return found
