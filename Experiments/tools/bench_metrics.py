"""Reference side of `lmlab bench metrics`: frames per second of scikit-image's PSNR and SSIM, the
`lpips` package's LPIPS (alex, vgg, squeeze) and effnet-lite0-dist in PyTorch, on the batch sizes
lmlab hands over, with the same thread count.

`lmlab bench metrics` runs this script after its own rows of each frame size with
    --size S --batches '{"psnr": 512, "ssim": 512, ...}' --seconds T --json --threads N
and reads one JSON object per line from stdout (warnings go to stderr). `--versions --json`
prints only the versions line. Without --json it prints a table (--size 64 and lmlab's batch
sizes by default).

What is timed (time.perf_counter around one call; a warm-up call, then calls until --seconds
have passed and at least 3 calls; frames_per_s = batch / the median call):
  psnr, ssim, ssim-uniform   one call scores `batch` frame pairs [S, S, 3] float64 in [0, 1], one
        pair per skimage call as an evaluation loop calls it (peak_signal_noise_ratio(data_range=1);
        structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=1, channel_axis=-1); structural_similarity(data_range=1, channel_axis=-1)).
        scikit-image is single-threaded: with N threads the pairs are split over N worker
        processes (started before timing, each holding the frames), as lmlab splits frames over
        N workers.
  lpips-<net>   lpips.LPIPS(net, version 0.1, pnet_rand=True: random backbone, the package's
        calibrated lin layers; same speed as the ImageNet one) on [batch, 3, S, S] in [0, 1]
        (normalize=True), torch.no_grad, torch.set_num_threads(N).
  effnet-lite0-dist   make_feature_network_fixtures.effnet_dist (the same recipe as lmlab's: six
        taps, unit-normalised channels, squared difference, spatial mean, summed) on
        [batch, 3, S, S] in [-1, 1], float32, with the ImageNet weights from
        ${LMLAB_CACHE:-~/.cache/lmlab}/weights/efficientnet-lite0-57934424.pth when present, else
        random weights of the same shapes (said in the line's "weights").
A metric whose package is missing is reported as {"what": NAME, "error": ...}.

OMP_WAIT_POLICY=PASSIVE unless the environment sets it (before torch loads OpenMP): under CPU
contention OpenMP's spinning workers lose their time slices and every figure gets worse.

JSON lines:
  {"what": "versions", "python", "torch", "numpy", "scikit-image", "lpips", "torch_threads",
   "omp_wait_policy"}
  {"what": "metric", "metric", "size", "batch", "frames_per_s", "calls", "workers"?, "weights"?}
"""

import argparse
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP (docstring)

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BATCHES = {
    64: {"psnr": 512, "ssim": 512, "ssim-uniform": 512, "lpips-alex": 256, "lpips-vgg": 32,
         "lpips-squeeze": 128, "effnet-lite0-dist": 32},
    128: {"psnr": 256, "ssim": 256, "ssim-uniform": 256, "lpips-alex": 64, "lpips-vgg": 8,
          "lpips-squeeze": 32, "effnet-lite0-dist": 8},
}
SKIMAGE_METRICS = ("psnr", "ssim", "ssim-uniform")


def versions(threads):
    import skimage
    import torch
    try:
        import lpips  # noqa: F401
        from importlib.metadata import version
        lp = version("lpips")
    except Exception as e:  # noqa: BLE001
        lp = f"not installed ({type(e).__name__})"
    return {"what": "versions", "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scikit-image": skimage.__version__, "lpips": lp,
            "torch_threads": threads, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}


def timed(fn, seconds, min_calls=3):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


# ---------------------------------------------------------------------------------------------
# scikit-image, frames split over worker processes

_FRAMES = {}


def _pairs(n, size):
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (n, size, size, 3))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    return a, b


def _init_worker(n, size):
    _FRAMES["a"], _FRAMES["b"] = _pairs(n, size)


def _score(args):
    metric, lo, hi = args
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    a, b = _FRAMES["a"], _FRAMES["b"]
    out = 0.0
    for i in range(lo, hi):
        if metric == "psnr":
            out += peak_signal_noise_ratio(a[i], b[i], data_range=1)
        elif metric == "ssim":
            out += structural_similarity(a[i], b[i], gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, data_range=1, channel_axis=-1)
        else:
            out += structural_similarity(a[i], b[i], data_range=1, channel_axis=-1)
    return out


def bench_skimage(size, batches, threads, seconds):
    rows = []
    for metric in SKIMAGE_METRICS:
        n = batches.get(metric)
        if not n:
            continue
        chunks = [(metric, n * w // threads, n * (w + 1) // threads) for w in range(threads)]
        if threads == 1:
            _init_worker(n, size)
            med, calls = timed(lambda: _score(chunks[0]), seconds)
        else:
            ctx = multiprocessing.get_context("fork")  # torch is not loaded yet: forking is safe
            with ctx.Pool(threads, initializer=_init_worker, initargs=(n, size)) as pool:
                med, calls = timed(lambda: sum(pool.map(_score, chunks)), seconds)
        rows.append({"what": "metric", "metric": metric, "size": size, "batch": n, "frames_per_s": n / med,
                     "calls": calls, "workers": threads, "reference": "scikit-image"})
    return rows


# ---------------------------------------------------------------------------------------------
# PyTorch: lpips and effnet-lite0-dist


def effnet_weights():
    import torch
    sys.path.insert(0, HERE)
    import make_feature_network_fixtures as fn
    path = os.path.join(fn.weights_dir(), fn.PTH_NAME)
    if os.path.exists(path):
        return fn, torch.load(path, map_location="cpu", weights_only=True), "ImageNet (" + os.path.basename(path) + ")"
    # Random weights of the same shapes: the stem and the 16 blocks (the features stop there).
    g = torch.Generator().manual_seed(0)
    sd = {"_conv_stem.weight": torch.randn(32, 3, 3, 3, generator=g) / 3}
    for name, c in (("_bn0", 32),):
        sd[f"{name}.weight"], sd[f"{name}.bias"] = torch.ones(c), torch.zeros(c)
        sd[f"{name}.running_mean"], sd[f"{name}.running_var"] = torch.zeros(c), torch.ones(c)
    for i, (cin, cout, e, k, _) in enumerate(fn.block_configs()):
        sd.update(fn.random_block_params(g, f"_blocks.{i}.", cin, cout, e, k))
    return fn, sd, "random (no " + fn.PTH_NAME + " in the weights cache)"


def bench_torch(size, batches, threads, seconds):
    import torch
    torch.set_num_threads(threads)
    rows = []
    g = torch.Generator().manual_seed(0)
    for net in ("alex", "vgg", "squeeze"):
        metric = f"lpips-{net}"
        n = batches.get(metric)
        if not n:
            continue
        try:
            import lpips
        except ImportError as e:
            rows.append({"what": "metric", "metric": metric, "size": size, "error": f"lpips not installed ({e}): pip install lpips"})
            continue
        model = lpips.LPIPS(net=net, version="0.1", pnet_rand=True, verbose=False).eval()
        a = torch.rand(n, 3, size, size, generator=g)
        b = (a + 0.05 * torch.randn(a.shape, generator=g)).clamp(0, 1)
        with torch.no_grad():
            med, calls = timed(lambda: model(a, b, normalize=True), seconds)
        rows.append({"what": "metric", "metric": metric, "size": size, "batch": n, "frames_per_s": n / med,
                     "calls": calls, "reference": "lpips", "weights": "random backbone, calibrated lin"})
    n = batches.get("effnet-lite0-dist")
    if n:
        fn, sd, weights = effnet_weights()
        a = torch.rand(n, 3, size, size, generator=g) * 2 - 1
        b = (a + 0.1 * torch.randn(a.shape, generator=g)).clamp(-1, 1)
        with torch.no_grad():
            med, calls = timed(lambda: fn.effnet_dist(a, b, sd), seconds)
            value = float(fn.effnet_dist(a[:1], b[:1], sd)[0])
        rows.append({"what": "metric", "metric": "effnet-lite0-dist", "size": size, "batch": n,
                     "frames_per_s": n / med, "calls": calls, "reference": "torch", "weights": weights,
                     "finite": math.isfinite(value)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batches", help="JSON {metric: frames per call} (default: lmlab's for --size)")
    ap.add_argument("--seconds", type=float, default=2.0, help="minimum timed seconds per metric (default 2)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    ap.add_argument("--versions", action="store_true", help="print the versions line only")
    args = ap.parse_args()
    batches = json.loads(args.batches) if args.batches else DEFAULT_BATCHES.get(args.size, DEFAULT_BATCHES[64])
    if args.versions:
        v = versions(args.threads)
        print(json.dumps(v) if args.json else v, flush=True)
        return 0
    rows = bench_skimage(args.size, batches, args.threads, args.seconds)  # before torch: fork is safe
    rows += bench_torch(args.size, batches, args.threads, args.seconds)
    v = versions(args.threads)
    if args.json:
        for r in [v] + rows:
            print(json.dumps(r), flush=True)
        return 0
    print(", ".join(f"{k} {val}" for k, val in v.items() if k != "what"))
    for r in rows:
        if "error" in r:
            print(f"{r['metric']:<20} {r['size']:4d} px  {r['error']}")
        else:
            print(f"{r['metric']:<20} {r['size']:4d} px  batch {r['batch']:4d}  {r['frames_per_s']:10.1f} frames/s"
                  f"  ({r['calls']} calls{', ' + r['weights'] if 'weights' in r else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
