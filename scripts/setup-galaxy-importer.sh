#!/usr/bin/env bash
# galaxy-importer (the checks Galaxy runs on an uploaded collection) in a venv of its
# own: it pins attrs<24 and flake8<7, which the main .venv must not be held to.
# Idempotent: a second run only checks a stamp. Called by scripts/setup.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv-galaxy-importer"
# Same ansible-core and ansible-lint as the main .venv, so the importer judges the
# collection with the versions the project is tested with.
PINS=(galaxy-importer==0.4.44 ansible-core==2.21.5 ansible-lint==26.10.1)
# The importer's ansible-lint loads the role, which names kubernetes.core's action groups:
# the dependency is put where Ansible finds it from any collections path (site-packages),
# copied offline from the main .venv's ansible package.
KUBERNETES_CORE=$(ls -d "$ROOT"/.venv/lib/python3*/site-packages/ansible_collections/kubernetes/core 2>/dev/null | head -1 || true)
[ -n "$KUBERNETES_CORE" ] || { echo "run scripts/setup.sh first (.venv with the ansible package is missing)" >&2; exit 1; }
WANT="${PINS[*]} kubernetes.core:$(grep -o '"version": "[^"]*"' "$KUBERNETES_CORE/MANIFEST.json" | head -1)"

if [ -x "$VENV/bin/python" ] && [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$WANT" ]; then
    exit 0
fi
printf '\033[1;34m[setup]\033[0m %s\n' "installing ${PINS[0]} (own venv)" >&2
rm -rf "$VENV"
"$ROOT/.venv/bin/python" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip 2> >(grep -v 'is ignored' >&2)
"$VENV/bin/python" -m pip install -q "${PINS[@]}" 2> >(grep -v 'is ignored' >&2)
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ANSIBLE_COLLECTIONS_PATH="$site" "$VENV/bin/ansible-galaxy" collection install "$KUBERNETES_CORE" -p "$site" --offline >/dev/null
echo "$WANT" > "$VENV/.stamp"
