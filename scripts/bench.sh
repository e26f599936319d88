#!/usr/bin/env bash
# Runs every benchmark of the project in turn. Benchmarks print figures; they assert nothing on time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"

bench() {
    printf '\n\033[1;34m==> %s\033[0m\n' "$1"; shift
    "$@"
}

# One line per benchmark.
bench "publish (helm_chart_publish vs bare helm push)" python benchmarks/publish.py
bench "deploy (role vs bare namespace + Secret + helm)" python benchmarks/deploy.py
bench "rolling upgrade on the real node (new PostgreSQL clients turned away)" python benchmarks/rollout.py
