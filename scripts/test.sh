#!/usr/bin/env bash
# Runs every test and quality gate of the project, one part after the other,
# and prints how long each part took. Exits non-zero if any part failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"

declare -a names=() times=() results=()
failed=0

part() {
    local name=$1; shift
    local start end rc
    printf '\n\033[1;34m==> %s\033[0m\n' "$name"
    start=$(date +%s)
    "$@"; rc=$?
    end=$(date +%s)
    names+=("$name"); times+=("$((end - start))")
    if [ $rc -eq 0 ]; then results+=("ok"); else results+=("FAILED ($rc)"); failed=1; fi
}

part "pytest (chart, cluster, publish, deploy, packaging, images)" python -m pytest -n 2 -m "not real_node" tests
# The machine's one real node serves these: one process, one node, one PostgreSQL for all.
part "pytest on the real node (realnode, AWX-conditions deploy)" python -m pytest -m real_node tests
part "molecule (kwok)" molecule test -s kwok
part "ansible-test units" bash scripts/ansible-test-offline.sh units --venv
part "ansible-test sanity" bash scripts/ansible-test-offline.sh sanity --venv
part "ansible-lint (production profile)" ansible-lint
part "yamllint" yamllint --no-warnings .
# antsibull-docs copies the collection's dependencies with `git ls-files` when they sit in a git
# work tree, and .venv (where kubernetes.core is) is an ignored part of this one: a git ceiling
# at the venv's collections makes it copy kubernetes.core's files as they are.
venv_collections=$(python -c 'import ansible_collections, os; print(os.path.realpath(list(ansible_collections.__path__)[-1]))')
part "collection docs lint (antsibull-docs)" env GIT_CEILING_DIRECTORIES="$venv_collections" \
    antsibull-docs lint-collection-docs --plugin-docs collections/ansible_collections/fclairamb/dbbat
part "changelog lint (antsibull-changelog)" bash -c 'cd collections/ansible_collections/fclairamb/dbbat && antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml'

printf '\n%-60s %8s  %s\n' "part" "seconds" "result"
passed=0
for i in "${!names[@]}"; do
    printf '%-60s %8s  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
    [ "${results[$i]}" = ok ] && passed=$((passed + 1))
done
printf '\nparts: %d passed, %d failed\n' "$passed" "$((${#names[@]} - passed))"
exit $failed
