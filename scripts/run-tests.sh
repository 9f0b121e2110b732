#!/usr/bin/env bash
# Runs the whole test suite in release (numeric kernels are 10-100x slower in debug) and ends
# with one plain summary line, "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${TEST_SCRATCH:-.build-test}"
log="$(mktemp)"
swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --build-tests || exit 1
swift test -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE "^Test Case .* passed" "$log")
failed=$(grep -cE "^Test Case .* failed" "$log")
skipped=$(grep -cE "^Test Case .* skipped" "$log")
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
