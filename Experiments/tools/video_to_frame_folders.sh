#!/usr/bin/env bash
# A video file → LandmarkLab frame folders (DESIGN §4) with a manifest.json, for training and
# predicting on real footage. Needs ffmpeg (Debian: apt-get install ffmpeg).
#
#   video_to_frame_folders.sh VIDEO OUT [--size 64] [--tile 256] [--length 30]
#
# The video is cut into square tiles of --tile pixels (a grid over the frame, overlapping when
# the frame is not a multiple; --tile 0: one centre crop of the shorter side), each scaled to
# --size; each tile's frames are split into sequences of --length frames, OUT/<tile>_cNN/0001.png
# on. Splits by time: each tile's first 70 % of sequences train, the next 10 % val, the rest
# test (the scene is shared; later moments are unseen).
set -euo pipefail
[ $# -ge 2 ] || { sed -n 4,11p "$0"; exit 2; }
src=$1 out=$2; shift 2
size=64 tile=256 length=30
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;; --tile) tile=$2; shift 2 ;; --length) length=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v ffmpeg >/dev/null || { echo "ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
[ -f "$src" ] || { echo "$src: no such video" >&2; exit 1; }
read -r w h < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$src" | tr ',' ' ')
[ -e "$out" ] && { echo "$out exists: choose a new folder" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Tile origins: a grid from 0 to the last position that fits, ending flush with the edge.
origins() { local n=$1 t=$2; [ "$t" -ge "$n" ] && { echo 0; return; }; local k=$(( (n + t - 1) / t )); for i in $(seq 0 $((k - 1))); do echo $(( i * (n - t) / (k - 1) )); done; }
if [ "$tile" -eq 0 ]; then t=$(( w < h ? w : h )); xs=$(( (w - t) / 2 )); ys=$(( (h - t) / 2 )); else t=$tile; xs=$(origins "$w" "$t"); ys=$(origins "$h" "$t"); fi
train=(); val=(); test=()
for x in $xs; do for y in $ys; do
  name="tile_${x}_${y}"; mkdir -p "$tmp/$name"
  ffmpeg -v error -i "$src" -vf "crop=$t:$t:$x:$y,scale=$size:$size:flags=area" "$tmp/$name/%06d.png"
  n=$(ls "$tmp/$name" | wc -l); chunks=$(( n / length ))
  for c in $(seq 0 $(( chunks - 1 ))); do
    s="${name}_c$(printf %02d "$c")"; mkdir -p "$out/$s"
    for f in $(seq 1 "$length"); do mv "$tmp/$name/$(printf %06d $(( c * length + f ))).png" "$out/$s/$(printf %04d "$f").png"; done
    if [ "$c" -lt $(( chunks * 7 / 10 )) ]; then train+=("\"$s\""); elif [ "$c" -lt $(( chunks * 8 / 10 )) ]; then val+=("\"$s\""); else test+=("\"$s\""); fi
  done
done; done
join() { local IFS=,; echo "$*"; }
echo "{\"splits\": {\"train\": [$(join "${train[@]}")], \"val\": [$(join "${val[@]}")], \"test\": [$(join "${test[@]}")]}}" > "$out/manifest.json"
echo "$out: $(( ${#train[@]} + ${#val[@]} + ${#test[@]} )) sequences of $length frames at ${size} px (train ${#train[@]}, val ${#val[@]}, test ${#test[@]})"
