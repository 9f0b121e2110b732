#!/usr/bin/env python3
"""Export LPIPS v0.1 weights (backbone + calibrated linear layers) to HDF5 for LandmarkLab.

Usage (from the repository root):

    python3 Experiments/tools/export_lpips_weights.py --net alex --out lpips_alex.h5
        ImageNet-pretrained torchvision backbone + the `lpips` package's calibrated "lin"
        layers: the real LPIPS. torchvision must find the backbone weights in its cache
        (~/.cache/torch/hub/checkpoints) or be able to download them.

    python3 Experiments/tools/export_lpips_weights.py --net vgg --random-backbone 0 --out x.h5
        A randomly initialised backbone (torch seed 0) with the calibrated lin layers. Proves
        the computation in tests; it is NOT LPIPS, and LandmarkLab labels it
        `lpips-<net>-randombackbone` everywhere.

File layout: one float32 dataset per tensor, named by its key in `lpips.LPIPS(net=...)`'s
state dict (`net.slice1.0.weight`, `lin0.model.1.weight`, ...; OIHW convolution weights).
The `lins.<i>.*` aliases of `lin<i>.*` and the constant `scaling_layer.*` buffers are not
written. File attributes (strings): `metric` = "lpips", `version` = "0.1", `net`,
`backbone` ("torchvision-imagenet" or "random-seed-<n>[-quantized]"), `lin` =
"lpips-v0.1-calibrated".
"""

import argparse
import sys

import h5py
import numpy as np
import torch

NETS = ("alex", "vgg", "squeeze")


def build_model(net, random_backbone_seed=None):
    """An lpips.LPIPS model in eval mode; backbone pretrained unless a seed is given."""
    import lpips

    if random_backbone_seed is not None:
        torch.manual_seed(random_backbone_seed)
        return lpips.LPIPS(net=net, version="0.1", pnet_rand=True, verbose=False).eval()
    return lpips.LPIPS(net=net, version="0.1", pnet_rand=False, verbose=False).eval()


def quantize_backbone(model, levels=7):
    """Rounds every backbone tensor to integers in [-levels, levels] times a per-tensor power of
    two, in place. The values are then exact in float16 and float32 and compress well, so test
    fixtures of the full VGG16 architecture stay small. The reference is computed afterwards,
    with these exact weights."""
    with torch.no_grad():
        for name, p in model.net.named_parameters():
            m = p.abs().max().item()
            if m == 0:
                continue
            scale = 2.0 ** np.floor(np.log2(m / levels))
            p.copy_(torch.clamp(torch.round(p / scale), -levels, levels) * scale)


def state_items(model):
    for key, value in model.state_dict().items():
        if key.startswith("lins.") or key.startswith("scaling_layer."):
            continue
        yield key, value.detach().cpu().to(torch.float32).numpy()


def write_h5(model, net, path, backbone, compress=False):
    opts = dict(compression="gzip", compression_opts=9, shuffle=True) if compress else {}
    with h5py.File(path, "w") as f:
        for key, value in state_items(model):
            f.create_dataset(key, data=value, **opts)
        f.attrs["metric"] = "lpips"
        f.attrs["version"] = "0.1"
        f.attrs["net"] = net
        f.attrs["backbone"] = backbone
        f.attrs["lin"] = "lpips-v0.1-calibrated"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--net", choices=NETS, required=True)
    ap.add_argument("--out", required=True, help="output HDF5 path")
    ap.add_argument("--random-backbone", type=int, metavar="SEED", default=None,
                    help="random backbone from this torch seed instead of ImageNet weights (not LPIPS)")
    args = ap.parse_args()
    try:
        model = build_model(args.net, args.random_backbone)
    except Exception as e:  # no cached weights and no network
        print(f"error: cannot load the ImageNet-pretrained {args.net} backbone from torchvision: {e}\n"
              "Put the torchvision checkpoint in ~/.cache/torch/hub/checkpoints/ (it is downloaded on first"
              " use when the machine is online) and run again.", file=sys.stderr)
        return 1
    backbone = "torchvision-imagenet" if args.random_backbone is None else f"random-seed-{args.random_backbone}"
    write_h5(model, args.net, args.out, backbone)
    print(f"wrote {args.out} ({args.net}, backbone {backbone})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
