#!/usr/bin/env python3
"""Convert a reference checkpoint (NVIDIA/UnsupervisedLandmarkLearning `.ckpt` + its `opt.yaml`)
into a LandmarkLab checkpoint (DESIGN §4).

Usage (from the repository root):

    python3 Experiments/tools/torch_to_hdf5.py --ckpt run/checkpoint_40.ckpt \
        --opt run/opt.yaml --out run40.h5 [--step 40]

Strict: the state dict must hold exactly the tensors of the model the options describe
(`shape_encoder.*`, `appearance_encoder.*`, `image_decoder.*`, spectral-norm `weight_orig`/
`weight_u`/`weight_v`), with the same shapes; a missing, unexpected or mis-shaped tensor is an
error naming it. Reference runs trained with `use_fg_bg_mask` have extra networks LandmarkLab
does not implement and are refused by name.

Output: one float32 dataset per tensor named by its dotted state-dict name; root attributes
`config` (JSON of the options LandmarkLab knows, i.e. the keys of Experiments/defaults.yaml,
plus the reference's fixed widths `pose_decoder_channels` [512, 256, 128] and `spade_hidden`
128), `reference_options` (JSON of every option in opt.yaml) and `step` (int64). No
optimizer state is converted.
"""

import argparse
import json
import os
import sys

import h5py
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_landmark_fixtures import DEFAULTS, LandmarkModel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULTS_YAML = os.path.join(HERE, "..", "defaults.yaml")


def known_keys():
    """Flattened keys of Experiments/defaults.yaml (sections are only grouping); `make build`
    writes that file, `lmlab config defaults` prints it."""
    if not os.path.exists(DEFAULTS_YAML):
        sys.exit(f"error: {DEFAULTS_YAML} is missing: run `lmlab config defaults > {DEFAULTS_YAML}` (make build writes it)")
    with open(DEFAULTS_YAML) as f:
        doc = yaml.safe_load(f)
    keys = set()
    for k, v in doc.items():
        keys |= set(v.keys()) if isinstance(v, dict) else {k}
    return keys


def read_options(path):
    """opt.yaml as the reference writes it ('key: str(value)' lines)."""
    with open(path) as f:
        opts = yaml.safe_load(f) or {}
    return {k: (None if v == "None" else v) for k, v in opts.items()}


def check_strict(state, expected, what):
    for k in sorted(state):
        if k not in expected:
            sys.exit(f"error: unexpected tensor '{k}' in {what} (the model the options describe has no such tensor)")
    for k, shape in expected.items():
        if k not in state:
            sys.exit(f"error: missing tensor '{k}' in {what} (the model the options describe needs it)")
        if tuple(state[k].shape) != tuple(shape):
            sys.exit(f"error: tensor '{k}' in {what} has shape {tuple(state[k].shape)}, the model expects {tuple(shape)}")


def model_config(opts):
    cfg = {k: opts[k] for k in DEFAULTS if k in opts and opts[k] is not None}
    cfg.setdefault("pose_decoder_channels", [512, 256, 128])
    cfg.setdefault("spade_hidden", 128)
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True, help="reference model checkpoint (a torch state dict)")
    ap.add_argument("--opt", required=True, help="the run's opt.yaml")
    ap.add_argument("--out", required=True, help="LandmarkLab checkpoint to write (.h5)")
    ap.add_argument("--step", type=int, default=0, help="training step to record")
    args = ap.parse_args()

    opts = read_options(args.opt)
    if opts.get("use_fg_bg_mask"):
        sys.exit("error: option 'use_fg_bg_mask' is set: the foreground/background networks are not part of LandmarkLab")
    cfg = model_config(opts)
    expected = {k: tuple(v.shape) for k, v in LandmarkModel(cfg).state_dict().items()}
    state = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    check_strict(state, expected, args.ckpt)

    known = known_keys()
    config = {k: v for k, v in opts.items() if k in known and v is not None}
    config.update(cfg)
    tmp = args.out + ".tmp"
    with h5py.File(tmp, "w") as f:
        for k in expected:
            f.create_dataset(k, data=state[k].detach().float().cpu().numpy())
        f.attrs["config"] = json.dumps(config, sort_keys=True)
        f.attrs["reference_options"] = json.dumps(opts, sort_keys=True, default=str)
        f.attrs["step"] = int(args.step)
    os.replace(tmp, args.out)
    print(f"wrote {len(expected)} tensors to {args.out}")


if __name__ == "__main__":
    main()
