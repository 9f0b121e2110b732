#!/usr/bin/env python3
"""Convert BBC Pose (bbcpose_data_1.0) to a LandmarkLab frame-folder dataset (DESIGN §4).

Input: the BBC Pose release directory, holding `bbcpose.mat` (a struct array, one entry per
video: videoName, type = 'train'/'val'/'test', {train,val,test}_frames, {train,val,test}_joints
as 2×7×N arrays of 1-based pixel coordinates) and `videos/<videoName>/<frame>.jpg`.

Output (OUT/):
  <videoName>/<frame>.png   frames, optionally cropped (--crop X Y W H) and resized (--size S)
  keypoints.csv             sequence,frame,keypoint,x,y in pixels of the written frames,
                            pixel centres at integers (0-based: x_csv = x_mat - 1, then the crop
                            offset and scale are applied as x' = (x - X + 0.5)·S/W - 0.5)
  manifest.json             splits from each video's `type`

By default only annotated frames are written; --all-frames writes every JPEG in the video's
folder (needed for temporal pairs 3-60 frames apart), keypoints still only where annotated.

Example:
    python3 Experiments/tools/bbcpose_to_csv.py --bbc /data/bbcpose_data_1.0 --out data/bbc \
        --crop 0 0 480 480 --size 128 --all-frames
Needs numpy, scipy, Pillow.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
from PIL import Image
from scipy.io import loadmat

JOINTS = ["head", "wrist_r", "wrist_l", "elbow_r", "elbow_l", "shoulder_r", "shoulder_l"]


def field(entry, name):
    v = entry[name]
    while isinstance(v, np.ndarray) and v.dtype.kind in "OU" and v.size == 1:
        v = v.item()
    return v


def frame_number(name):
    m = re.findall(r"\d+", os.path.splitext(name)[0])
    return int(m[-1]) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", required=True, help="bbcpose_data_1.0 directory")
    ap.add_argument("--out", required=True, help="output frame-folder dataset")
    ap.add_argument("--crop", type=int, nargs=4, metavar=("X", "Y", "W", "H"), help="crop box before resizing")
    ap.add_argument("--size", type=int, default=0, help="resize to SIZE×SIZE (0: keep)")
    ap.add_argument("--all-frames", action="store_true", help="write every frame, not only annotated ones")
    args = ap.parse_args()

    mat_path = os.path.join(args.bbc, "bbcpose.mat")
    if not os.path.exists(mat_path):
        sys.exit(f"{mat_path}: not found")
    mat = loadmat(mat_path)
    key = [k for k in mat if not k.startswith("__")][0]
    videos = mat[key].ravel()
    os.makedirs(args.out, exist_ok=True)
    splits = {"train": [], "val": [], "test": []}
    rows = []
    for v in videos:
        name = str(field(v, "videoName"))
        split = str(field(v, "type"))
        frames = np.asarray(field(v, f"{split}_frames")).ravel().astype(int)
        joints = np.asarray(field(v, f"{split}_joints"), dtype=np.float64).reshape(2, 7, -1)
        src_dir = os.path.join(args.bbc, "videos", name)
        if not os.path.isdir(src_dir):
            sys.exit(f"{src_dir}: missing video folder for {name}")
        annotated = {int(f): joints[:, :, i] for i, f in enumerate(frames)}
        names = sorted(os.listdir(src_dir), key=lambda n: (frame_number(n) is None, frame_number(n) or 0))
        wanted = [n for n in names if frame_number(n) is not None and (args.all_frames or frame_number(n) in annotated)]
        missing = set(annotated) - {frame_number(n) for n in wanted}
        if missing:
            sys.exit(f"{mat_path}: video {name} annotates frames {sorted(missing)[:5]} that have no JPEG in {src_dir}")
        dst_dir = os.path.join(args.out, name)
        os.makedirs(dst_dir, exist_ok=True)
        for n in wanted:
            f = frame_number(n)
            im = Image.open(os.path.join(src_dir, n)).convert("RGB")
            x0, y0, w, h = args.crop if args.crop else (0, 0, im.width, im.height)
            im = im.crop((x0, y0, x0 + w, y0 + h))
            sx = sy = 1.0
            if args.size:
                sx, sy = args.size / w, args.size / h
                im = im.resize((args.size, args.size), Image.BILINEAR)
            im.save(os.path.join(dst_dir, f"{f:06d}.png"))
            if f in annotated:
                for k, joint in enumerate(JOINTS):
                    x = (annotated[f][0, k] - 1 - x0 + 0.5) * sx - 0.5
                    y = (annotated[f][1, k] - 1 - y0 + 0.5) * sy - 0.5
                    rows.append(f"{name},{f},{joint},{x:.3f},{y:.3f}")
        splits.setdefault(split, []).append(name)
        print(f"{name}: {len(wanted)} frames ({split})", flush=True)
    with open(os.path.join(args.out, "keypoints.csv"), "w") as fh:
        fh.write("sequence,frame,keypoint,x,y\n" + "\n".join(rows) + "\n")
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump({"format": "lmlab-frames/1", "splits": splits, "keypoints": JOINTS}, fh, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
