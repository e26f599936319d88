#!/usr/bin/env bash
# Runs every test and quality gate of the project and prints how long each part took.
# Exits non-zero if any part failed.
#
# Two lanes run side by side, because most of the real node's time is spent waiting (pods
# starting, probes, rollouts) while the other parts are busy with CPU:
#   main lane:      the parallel pytest part (kwok-only clusters, one per worker);
#   real-node lane: the machine's one real node, used by one process at a time: its pytest
#                   part, then the molecule scenario (which brings its own cluster up); then the
#                   collection's unit and sanity tests and the linters.
# The real-node lane's output goes to tests/output/real-node-lane.log and is printed when the
# main lane is done.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
OUT="$ROOT/tests/output"
mkdir -p "$OUT"
RESULTS="$OUT/parts.tsv"
: > "$RESULTS"
# The slowest tests of each pytest part, so the time a change costs shows in every run.
DURATIONS=(--durations=15 --durations-min=20)

# part NAME CMD...: run CMD, append "NAME<TAB>seconds<TAB>result" to $RESULTS.
part() {
    local name=$1; shift
    local start rc result
    printf '\n\033[1;34m==> %s\033[0m\n' "$name"
    start=$(date +%s)
    "$@"; rc=$?
    if [ $rc -eq 0 ]; then result=ok; else result="FAILED ($rc)"; fi
    printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - start))" "$result" >> "$RESULTS"
}

real_node_lane() {
    part "pytest on the real node (realnode, AWX-conditions deploy)" \
        python -m pytest -m real_node "${DURATIONS[@]}" tests
    part "molecule (kwok)" molecule test -s kwok
    # The quality gates come last here: the real node's parts leave this lane the shorter one.
    part "ansible-test units" bash scripts/ansible-test-offline.sh units --venv
    part "ansible-test sanity" bash scripts/ansible-test-offline.sh sanity --venv
    part "ansible-lint (production profile)" ansible-lint
    part "yamllint" yamllint --no-warnings .
    # antsibull-docs copies the collection's dependencies with `git ls-files` when they sit in a
    # git work tree, and .venv (where kubernetes.core is) is an ignored part of this one: a git
    # ceiling at the venv's collections makes it copy kubernetes.core's files as they are.
    venv_collections=$(python -c 'import ansible_collections, os; print(os.path.realpath(list(ansible_collections.__path__)[-1]))')
    part "collection docs lint (antsibull-docs)" env GIT_CEILING_DIRECTORIES="$venv_collections" \
        antsibull-docs lint-collection-docs --plugin-docs collections/ansible_collections/fclairamb/dbbat
    part "changelog lint (antsibull-changelog)" bash -c 'cd collections/ansible_collections/fclairamb/dbbat && antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml'
}

main_lane() {
    part "pytest (chart, cluster, publish, deploy, packaging, images)" \
        python -m pytest -n 2 -m "not real_node" "${DURATIONS[@]}" tests
}

started=$(date +%s)
# The lane runs in a process group of its own (set -m) where SIGINT is not ignored, so an
# interrupted run passes Ctrl-C on to it: its pytest then stops its cluster and real node.
set -m; real_node_lane > "$OUT/real-node-lane.log" 2>&1 & lane_pid=$!; set +m
trap 'kill -INT -- -"$lane_pid" 2>/dev/null; wait "$lane_pid"; exit 130' INT TERM
main_lane
printf '\n\033[1;34m==> waiting for the real-node lane (its output follows)\033[0m\n'
wait "$lane_pid"; lane_rc=$?   # not 0 only if the lane itself died (a part's failure is in the table)
cat "$OUT/real-node-lane.log"

printf '\n%-60s %8s  %s\n' "part" "seconds" "result"
passed=0 total=0
while IFS=$'\t' read -r name seconds result; do
    printf '%-60s %8s  %s\n' "$name" "$seconds" "$result"
    total=$((total + 1)); [ "$result" = ok ] && passed=$((passed + 1))
done < "$RESULTS"
printf '\nparts: %d passed, %d failed; %d s in all (two lanes side by side)\n' \
    "$passed" "$((total - passed))" "$(($(date +%s) - started))"
[ "$lane_rc" -eq 0 ] || printf 'the real-node lane stopped before its end (exit %s)\n' "$lane_rc"
[ "$passed" -eq "$total" ] && [ "$lane_rc" -eq 0 ]
