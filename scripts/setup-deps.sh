#!/usr/bin/env bash
# Installs the Debian packages LandmarkLab builds against, only when one is missing. With the
# argument `test` also what the tests check against: python3-h5py/numpy (another HDF5 reader
# of our files) and chromium (the report is rendered in a real browser).
set -euo pipefail
build=(libopenblas-dev libhdf5-dev libpng-dev libsqlite3-dev pkg-config)
# Test-only: without these the h5py cross-checks skip; a check that skips cannot fail.
interop=()
[ "${1:-}" = "test" ] && interop=(python3-h5py python3-numpy chromium)
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  # No Debian package manager: the build needs the libraries from elsewhere, and run-tests.sh
  # reports the h5py checks as skipped with this reason.
  echo "setup: apt-get/dpkg-query not found; install ${build[*]} and python3 with h5py+numpy yourself"
  exit 0
fi
mapfile -t need < <(missing "${build[@]}" ${interop[@]+"${interop[@]}"})
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Slurm sweep tests need a cluster and the registry tests a PostgreSQL server: start the
# one-node cluster and the loopback server (installing slurm-wlm, munge and postgresql when
# missing), each on its own so one failing does not stop the other. When one cannot start, say
# why here; its tests then skip naming it (run-tests.sh finds the server through dev-cluster.sh).
if [ "${1:-}" = "test" ] && [ "$(id -u)" -eq 0 ]; then
  for half in slurm postgres; do
    log=/tmp/lmlab-dev-cluster-$half.log
    bash "$(dirname "$0")/dev-cluster.sh" start --only $half >"$log" 2>&1 \
      && echo "setup: $half up (scripts/dev-cluster.sh --only $half; log $log)" \
      || echo "setup: $half did not start: $(grep -a FAILED "$log" | tail -n 1) (log $log); its tests will skip"
  done
fi
