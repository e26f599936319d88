#!/usr/bin/env bash
# Runs ansible-test from the collection root, working without internet access.
#
#   scripts/ansible-test-offline.sh sanity --venv
#   scripts/ansible-test-offline.sh units --venv
#
# Without --python, the tests run on the Python of .venv (3.13 here, 3.12 in CI).
#
# With --venv, ansible-test builds its own virtual environments (the exact tool versions
# each test wants, from PyPI) and bootstraps pip in them with a get-pip script it downloads
# from a host that may be unreachable. A stand-in at the cached path uses ensurepip and
# the ordinary pip index instead. A real cached get-pip script is left alone.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLLECTION="$ROOT/collections/ansible_collections/fclairamb/dbbat"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"

py_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# The pip version ansible-test bootstraps, read from ansible-test itself.
pip_version=$(python - "$py_version" <<'PY'
import sys
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version=sys.argv[1]))["pip"])
PY
)
stand_in="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$stand_in" ]; then
    mkdir -p "$(dirname "$stand_in")"
    cat > "$stand_in" <<'PY'
"""Offline stand-in for get-pip.py (written by scripts/ansible-test-offline.sh)."""
import subprocess
import sys

# get-pip.py options that pip install does not know.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args)
PY
fi

# ansible-test finds a collection's dependencies in the same ansible_collections tree: put the
# virtual environment's own kubernetes.core there (offline, git-ignored), as it is what the
# modules import and document themselves with.
bundled=$(python -c 'import ansible_collections.kubernetes.core as c; print(list(c.__path__)[0])')
target="$ROOT/collections/ansible_collections/kubernetes/core"
if ! cmp -s "$bundled/MANIFEST.json" "$target/MANIFEST.json"; then
    ANSIBLE_COLLECTIONS_PATH="$ROOT/collections" ansible-galaxy collection install "$bundled" \
        -p "$ROOT/collections" --offline --force --no-deps >/dev/null
fi

args=("$@")
case " $* " in
    *" --python "*) ;;
    *) args+=(--python "$py_version") ;;
esac
cd "$COLLECTION"
exec ansible-test "${args[@]}"
