#!/usr/bin/env bash
# Regenerates the collection's reference pages (collection docs/*.rst) from the module
# and role specifications with antsibull-docs. Nothing in them is written by hand.
#
#   scripts/build-docs.sh          # rewrite the committed pages
#   scripts/build-docs.sh DIR      # write them to DIR instead (the drift test does this)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLLECTION="$ROOT/collections/ansible_collections/fclairamb/dbbat"
DEST=${1:-$COLLECTION/docs}
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The checkout's collection, and kubernetes.core from the virtual environment.
ANSIBLE_COLLECTIONS_PATH="$ROOT/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true \
    antsibull-docs collection --use-current --squash-hierarchy \
    --output-format simplified-rst --no-add-antsibull-docs-version --fail-on-error \
    --dest-dir "$tmp" fclairamb.dbbat
mkdir -p "$DEST"
rm -f "$DEST"/*.rst
cp "$tmp"/*.rst "$DEST"/
