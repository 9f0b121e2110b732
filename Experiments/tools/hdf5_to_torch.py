#!/usr/bin/env python3
"""Convert a LandmarkLab checkpoint (DESIGN §4 HDF5) into a reference `.ckpt` + `opt.yaml` that
NVIDIA/UnsupervisedLandmarkLearning loads (`model.load_state_dict(torch.load(ckpt))`).

Usage (from the repository root):

    python3 Experiments/tools/hdf5_to_torch.py --checkpoint runs/7/checkpoint.h5 --out-dir ref_run/

Writes `ref_run/checkpoint_<step>.ckpt` (an OrderedDict state dict, float32) and
`ref_run/opt.yaml` ('key: value' lines, sorted, as the reference writes them; the reference's
own defaults fill options LandmarkLab does not have).

Strict: the file must hold exactly the tensors of the model its `config` describes, with the
same shapes; `optimizer/` and `state/` groups are ignored. A config the reference code cannot
build (pose_decoder_channels other than [512, 256, 128], spade_hidden other than 128, or
disable_spade) is refused unless --allow-nonreference (the .ckpt then loads only into a model
with the same widths, e.g. Experiments/tools/make_landmark_fixtures.py's LandmarkModel).
"""

import argparse
import collections
import json
import os
import sys

import h5py
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_landmark_fixtures import DEFAULTS, LandmarkModel  # noqa: E402

REFERENCE_DEFAULTS = dict(model="PartFactorizedModel", use_fg_bg_mask=False, low_res_mask=False,
                          use_DDP=False, torch_home="", num_workers=2,
                          color_jitter_targets=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True, help="LandmarkLab checkpoint (.h5)")
    ap.add_argument("--out-dir", required=True, help="directory for checkpoint_<step>.ckpt and opt.yaml")
    ap.add_argument("--allow-nonreference", action="store_true",
                    help="convert widths the reference code cannot build")
    args = ap.parse_args()

    with h5py.File(args.checkpoint, "r") as f:
        config = json.loads(f.attrs["config"])
        step = int(f.attrs.get("step", 0))
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        names = [n for n in names if not n.startswith(("optimizer/", "state/"))]
        cfg = {k: config[k] for k in DEFAULTS if k in config}
        full = dict(DEFAULTS, **cfg)
        if not args.allow_nonreference:
            bad = [k for k, v in (("pose_decoder_channels", [512, 256, 128]), ("spade_hidden", 128),
                                  ("disable_spade", False)) if list_or(full[k]) != list_or(v)]
            if bad:
                sys.exit(f"error: config key(s) {', '.join(bad)} differ from what the reference code builds; "
                         "pass --allow-nonreference to convert anyway")
        expected = {k: tuple(v.shape) for k, v in LandmarkModel(cfg).state_dict().items()}
        for n in sorted(names):
            if n not in expected:
                sys.exit(f"error: unexpected tensor '{n}' in {args.checkpoint}")
        state = collections.OrderedDict()
        for k, shape in expected.items():
            if k not in names:
                sys.exit(f"error: missing tensor '{k}' in {args.checkpoint}")
            t = torch.from_numpy(f[k][()].astype("float32"))
            if tuple(t.shape) != shape:
                sys.exit(f"error: tensor '{k}' has shape {tuple(t.shape)}, the model expects {shape}")
            state[k] = t

    os.makedirs(args.out_dir, exist_ok=True)
    ckpt = os.path.join(args.out_dir, f"checkpoint_{step}.ckpt")
    torch.save(state, ckpt)
    opts = dict(REFERENCE_DEFAULTS)
    opts.update({k: v for k, v in config.items() if k not in ("pose_decoder_channels", "spade_hidden")})
    with open(os.path.join(args.out_dir, "opt.yaml"), "wt") as f:
        for k, v in sorted(opts.items()):
            f.write(f"{k}: {v}\n")
    print(f"wrote {len(state)} tensors to {ckpt} and opt.yaml")


def list_or(v):
    return list(v) if isinstance(v, (list, tuple)) else v


if __name__ == "__main__":
    main()
