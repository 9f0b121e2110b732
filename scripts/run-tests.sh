#!/usr/bin/env bash
# Runs the whole test suite in release (numeric kernels are 10-100x slower in debug) and ends
# with one plain summary line, "N passed, N failed, N skipped", naming each skipped test and
# the reason it gave (a skipped check cannot fail, so the line says which ones did not run),
# how many registry tests ran on each backend, and the time the tests took.
#
# Real components the tests check against: a PostgreSQL server, the one-node Slurm cluster,
# headless Chromium, a python3 with h5py. Outside CI a missing one makes its tests skip (named
# in the summary); with CI=true (as CI services set it) it makes them fail with the reason.
set -uo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${TEST_SCRATCH:-.build-test}"
log="$(mktemp)"
ci=0
case "${CI:-}" in true | TRUE | True | 1 | yes) ci=1 ;; esac
[ $ci -eq 1 ] && echo "tests: CI=$CI: a missing PostgreSQL, Slurm, Chromium, ffmpeg or h5py fails its tests (outside CI they skip)"
# The registry tests also run on PostgreSQL when a server answers: the one scripts/dev-cluster.sh
# started (make test starts it), unless LMLAB_TEST_POSTGRES already names one. When there is
# none, what dev-cluster.sh says about it goes to the tests, which name it in their skip or failure.
if [ -z "${LMLAB_TEST_POSTGRES:-}" ]; then
  pg_status=$(bash scripts/dev-cluster.sh status --only postgres 2>&1 | tail -n 1)
  if [[ $pg_status == *": running"* ]]; then
    eval "$(bash scripts/dev-cluster.sh env --only postgres)"
  else
    export LMLAB_POSTGRES_STATUS="${pg_status:-no status}"
  fi
fi
[ -n "${LMLAB_TEST_POSTGRES:-}" ] && echo "tests: registry tests run on SQLite and on PostgreSQL (server ${LMLAB_TEST_POSTGRES#*@})" \
  || echo "tests: no PostgreSQL server (${LMLAB_POSTGRES_STATUS:-}; sudo bash scripts/dev-cluster.sh start --only postgres): registry tests run on SQLite only and skip (fail under CI=true) their PostgreSQL half"
if command -v sinfo >/dev/null 2>&1 && state=$(timeout 10 sinfo -h -o '%T' 2>&1) && [[ $state =~ idle|mix|alloc ]]; then
  echo "tests: Slurm cluster answers (node ${state%%$'\n'*})"
else
  echo "tests: no Slurm cluster (${state:-sinfo not on PATH}; sudo bash scripts/dev-cluster.sh start --only slurm): the Slurm sweep test skips (fails under CI=true)"
fi
build_start=$SECONDS
swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --build-tests || exit 1
build_seconds=$((SECONDS - build_start))
# The test process runs on the OpenBLAS kernels lmlab chooses for itself (where OpenBLAS falls
# back to its generic ones, lmlab restarts with OPENBLAS_CORETYPE): the same numbers in both.
if blas=$("$SCRATCH/release/lmlab" bench blas --export) && [ -n "$blas" ]; then
  export "$blas"
  echo "tests: OpenBLAS kernels $blas (as lmlab chose them on this CPU)"
fi
test_start=$SECONDS
swift test -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
test_seconds=$((SECONDS - test_start))
passed=$(grep -cE "^Test Case .* passed" "$log")
failed=$(grep -cE "^Test Case .* failed" "$log")
skipped=$(grep -cE "^Test Case .* skipped" "$log")
on_sqlite=$(grep -c "^\[registry backend: sqlite\]" "$log")
on_postgres=$(grep -c "^\[registry backend: postgres\]" "$log")
# XCTest prints "FILE:LINE: NAME : Test skipped - REASON" before "Test Case 'NAME' skipped (...)".
reasons=$(awk '
  / : Test skipped/ { i = index($0, " : Test skipped - "); r = substr($0, i + 18); n = $0; sub(/ : Test skipped.*/, "", n); sub(/^.*: /, "", n); why[n] = r }
  /^Test Case .* skipped/ { n = $0; sub(/^Test Case \047/, "", n); sub(/\047 skipped.*/, "", n); w = (n in why) ? why[n] : "no reason printed"; out = out (out == "" ? "" : "; ") n " (" w ")" }
  END { print out }' "$log")
rm -f "$log"
summary="tests: $passed passed, $failed failed, $skipped skipped; registry backends: SQLite in $on_sqlite tests, PostgreSQL in $on_postgres"
summary="$summary; test time $((test_seconds / 60))m$(printf %02d $((test_seconds % 60)))s (build $((build_seconds / 60))m$(printf %02d $((build_seconds % 60)))s)"
[ "$skipped" -gt 0 ] && summary="$summary; skipped: $reasons"
echo "$summary"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
