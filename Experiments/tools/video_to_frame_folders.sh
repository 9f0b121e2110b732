#!/usr/bin/env bash
# A video file → LandmarkLab frame folders (DESIGN §4) with a manifest.json, for training and
# predicting on real footage. Needs ffmpeg (Debian: apt-get install ffmpeg).
#
#   video_to_frame_folders.sh VIDEO OUT [--size 64] [--tile 256] [--length 30]
#
# The video is cut into square tiles of --tile pixels (a grid over the frame, overlapping when
# the frame is not a multiple; a tile larger than the frame's shorter side is clamped to it;
# --tile 0: one centre crop of the shorter side), each scaled to --size; each tile's frames are
# split into sequences of --length frames, OUT/<tile>_cNN/0001.png on. Splits by time: each
# tile's first 70 % of sequences train, the next 10 % val, the rest test (the scene is shared;
# later moments are unseen). OUT must be new (or empty); it appears only when complete.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 4,12p "$0"; exit 2; }
src=$1 out=${2%/}; shift 2
size=64 tile=256 length=30
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=${2:-}; shift 2 ;; --tile) tile=${2:-}; shift 2 ;; --length) length=${2:-}; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for v in "size=$size" "tile=$tile" "length=$length"; do
  [[ ${v#*=} =~ ^[0-9]+$ ]] || { echo "--${v%%=*} ${v#*=}: not a whole number" >&2; exit 2; }
done
[ "$size" -gt 0 ] && [ "$length" -gt 0 ] || { echo "--size and --length must be at least 1" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
[ -f "$src" ] || { echo "$src: no such video" >&2; exit 1; }
if [ -e "$out" ] && { [ ! -d "$out" ] || [ -n "$(ls -A "$out")" ]; }; then
  echo "$out exists and is not an empty folder: choose a new folder" >&2; exit 1
fi
read -r w h < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$src" | tr ',' ' ')
[ -n "${w:-}" ] && [ -n "${h:-}" ] || { echo "$src: ffprobe finds no video stream" >&2; exit 1; }
# Everything is built in a hidden folder beside OUT and renamed into place at the end, so a
# failure (or Ctrl-C) never leaves a partial OUT that would block the rerun.
parent=$(dirname "$out"); mkdir -p "$parent"
stage=$(mktemp -d "$parent/.$(basename "$out").partial.XXXXXX"); trap 'rm -rf "$stage"' EXIT
mkdir "$stage/out" "$stage/raw"
# Tile origins: a grid from 0 to the last position that fits, ending flush with the edge.
origins() { local n=$1 t=$2; [ "$t" -ge "$n" ] && { echo 0; return; }; local k=$(( (n + t - 1) / t )); for i in $(seq 0 $((k - 1))); do echo $(( i * (n - t) / (k - 1) )); done; }
short=$(( w < h ? w : h ))
if [ "$tile" -eq 0 ]; then t=$short; xs=$(( (w - t) / 2 )); ys=$(( (h - t) / 2 ));
else
  t=$tile
  if [ "$t" -gt "$short" ]; then echo "--tile $t is larger than the ${w}x${h} frame: tiles of $short px"; t=$short; fi
  xs=$(origins "$w" "$t"); ys=$(origins "$h" "$t")
fi
train=(); val=(); test=()
for x in $xs; do for y in $ys; do
  name="tile_${x}_${y}"; mkdir -p "$stage/raw/$name"
  ffmpeg -nostdin -v error -i "$src" -vf "crop=$t:$t:$x:$y,scale=$size:$size:flags=area" "$stage/raw/$name/%06d.png"
  n=$(ls "$stage/raw/$name" | wc -l); chunks=$(( n / length ))
  for c in $(seq 0 $(( chunks - 1 ))); do
    s="${name}_c$(printf %02d "$c")"; mkdir -p "$stage/out/$s"
    for f in $(seq 1 "$length"); do mv "$stage/raw/$name/$(printf %06d $(( c * length + f ))).png" "$stage/out/$s/$(printf %04d "$f").png"; done
    if [ "$c" -lt $(( chunks * 7 / 10 )) ]; then train+=("\"$s\""); elif [ "$c" -lt $(( chunks * 8 / 10 )) ]; then val+=("\"$s\""); else test+=("\"$s\""); fi
  done
  rm -rf "$stage/raw/$name"
done; done
total=$(( ${#train[@]} + ${#val[@]} + ${#test[@]} ))
[ "$total" -gt 0 ] || { echo "$src: $n frames, fewer than one sequence of --length $length" >&2; exit 1; }
join() { local IFS=,; echo "$*"; }
echo "{\"splits\": {\"train\": [$(join ${train[@]+"${train[@]}"})], \"val\": [$(join ${val[@]+"${val[@]}"})], \"test\": [$(join ${test[@]+"${test[@]}"})]}}" > "$stage/out/manifest.json"
[ -d "$out" ] && rmdir "$out"
mv "$stage/out" "$out"
echo "$out: $total sequences of $length frames at ${size} px (train ${#train[@]}, val ${#val[@]}, test ${#test[@]})"
