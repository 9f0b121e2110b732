#!/usr/bin/env bash
# Runs the whole test suite in release (numeric kernels are 10-100x slower in debug) and ends
# with one plain summary line, "N passed, N failed, N skipped", naming each skipped test and
# the reason it gave (a skipped check cannot fail, so the line says which ones did not run).
set -uo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${TEST_SCRATCH:-.build-test}"
log="$(mktemp)"
# The registry tests also run on PostgreSQL when a server answers: the one scripts/dev-cluster.sh
# started (make test starts it), unless LMLAB_TEST_POSTGRES already names one.
if [ -z "${LMLAB_TEST_POSTGRES:-}" ] && bash scripts/dev-cluster.sh status --only postgres 2>/dev/null | grep -q ": running"; then
  eval "$(bash scripts/dev-cluster.sh env --only postgres)"
fi
[ -n "${LMLAB_TEST_POSTGRES:-}" ] && echo "tests: registry tests run on SQLite and on PostgreSQL (server ${LMLAB_TEST_POSTGRES#*@})" \
  || echo "tests: no PostgreSQL server (scripts/dev-cluster.sh start --only postgres): registry tests run on SQLite only"
swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --build-tests || exit 1
# The test process runs on the OpenBLAS kernels lmlab chooses for itself (where OpenBLAS falls
# back to its generic ones, lmlab restarts with OPENBLAS_CORETYPE): the same numbers in both.
if blas=$("$SCRATCH/release/lmlab" bench blas --export) && [ -n "$blas" ]; then
  export "$blas"
  echo "tests: OpenBLAS kernels $blas (as lmlab chose them on this CPU)"
fi
swift test -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE "^Test Case .* passed" "$log")
failed=$(grep -cE "^Test Case .* failed" "$log")
skipped=$(grep -cE "^Test Case .* skipped" "$log")
# XCTest prints "FILE:LINE: NAME : Test skipped - REASON" before "Test Case 'NAME' skipped (...)".
reasons=$(awk '
  / : Test skipped/ { i = index($0, " : Test skipped - "); r = substr($0, i + 18); n = $0; sub(/ : Test skipped.*/, "", n); sub(/^.*: /, "", n); why[n] = r }
  /^Test Case .* skipped/ { n = $0; sub(/^Test Case \047/, "", n); sub(/\047 skipped.*/, "", n); w = (n in why) ? why[n] : "no reason printed"; out = out (out == "" ? "" : "; ") n " (" w ")" }
  END { print out }' "$log")
rm -f "$log"
summary="tests: $passed passed, $failed failed, $skipped skipped"
[ "$skipped" -gt 0 ] && summary="$summary: $reasons"
echo "$summary"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
