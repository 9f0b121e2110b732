#!/usr/bin/env python3
"""Export torchvision's VGG19 feature weights to the HDF5 file LandmarkLab's perceptual loss reads.

Usage (from the repository root):

    python3 Experiments/tools/export_vgg19.py --weights vgg19-dcbb9e9d.pth --out vgg19.h5
        Converts a local torchvision VGG19 state dict (the ImageNet file torchvision
        downloads to ~/.cache/torch/hub/checkpoints/) to HDF5.

    python3 Experiments/tools/export_vgg19.py --random --out vgg19_random.h5
        No pretrained file available (this machine cannot download one): writes randomly
        initialized weights, prints a loud warning and marks the file `random_weights = 1`,
        which LandmarkLab reports (a perceptual loss on random features is not the paper's).

Output: datasets `features.<i>.weight` [O, C, 3, 3] and `features.<i>.bias` [O] (float32,
torchvision's state-dict names) for the convs of `vgg19().features[:23]` (up to relu4_2, the
deepest layer the loss uses); root attributes `source` (path or "random"), `random_weights`
(0/1), `layers` ("features[:23]").
"""

import argparse
import sys

import h5py
import torch
import torchvision

LAST_LAYER = 23  # features[:23] ends with relu4_2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="local torchvision vgg19 .pth (state dict or full model)")
    src.add_argument("--random", action="store_true", help="write random weights (marked as such)")
    ap.add_argument("--seed", type=int, default=0, help="seed for --random")
    ap.add_argument("--out", required=True, help="output HDF5 path")
    args = ap.parse_args()

    model = torchvision.models.vgg19(weights=None)
    if args.weights:
        obj = torch.load(args.weights, map_location="cpu", weights_only=False)
        state = obj.state_dict() if hasattr(obj, "state_dict") else obj
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if k.startswith("features.")]
        if missing:
            sys.exit(f"error: {args.weights} lacks tensors: {', '.join(missing)}")
        source, random_weights = args.weights, 0
    else:
        torch.manual_seed(args.seed)
        model = torchvision.models.vgg19(weights=None)
        source, random_weights = "random", 1
        bar = "!" * 78
        print(f"{bar}\nWARNING: no pretrained VGG19 given: writing RANDOM weights to {args.out}.\n"
              f"A perceptual loss on random features is NOT the reference's ImageNet VGG loss;\n"
              f"the file is marked random_weights=1 and runs using it will say so.\n{bar}",
              file=sys.stderr)

    with h5py.File(args.out, "w") as f:
        f.attrs["source"] = source
        f.attrs["random_weights"] = random_weights
        f.attrs["layers"] = f"features[:{LAST_LAYER}]"
        n = 0
        for name, t in model.state_dict().items():
            if not name.startswith("features."):
                continue
            if int(name.split(".")[1]) >= LAST_LAYER:
                continue
            f.create_dataset(name, data=t.detach().float().numpy())
            n += 1
    print(f"wrote {n} tensors to {args.out} (source: {source})")


if __name__ == "__main__":
    main()
