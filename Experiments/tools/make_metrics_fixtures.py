#!/usr/bin/env python3
"""Reference fixtures for LandmarkLab's metrics (PSNR, SSIM, LPIPS, keypoint regression).

Usage (from the repository root; needs numpy, h5py, torch, lpips, scikit-image, scikit-learn;
CPU only, under a minute):

    python3 Experiments/tools/make_metrics_fixtures.py

Writes Tests/MetricsTests/Fixtures/:
  * images.h5 — groups `s64` and `s128`, each with
      `reference`, `distorted`  float32 [M, 3, S, S] in [0, 1] (crops of scikit-image's bundled
                                 photographs, resized with anti-aliasing, on the 1/255 grid of 8-bit frames; distortions: Gaussian
                                 noise, Gaussian blur, a shift with edge replication, and
                                 quantization to 8 levels)
      `psnr`                    float64 [M]  10·log10(1 / MSE) in float64 (checked against
                                 skimage.metrics.peak_signal_noise_ratio)
      `ssim_gaussian`           float64 [M]  structural_similarity(gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False, data_range=1,
                                 channel_axis=-1) on the float32 values cast to float64
      `ssim_uniform`            float64 [M]  structural_similarity(data_range=1, channel_axis=-1)
      `lpips_alex`, `lpips_vgg`, `lpips_squeeze`  float64 [M]  lpips.LPIPS (v0.1) in float64
                                 on 2x−1, with the backbone weights stored in lpips_<net>.h5
  * lpips_<net>.h5 — weights made by export_lpips_weights.py: a RANDOM torchvision backbone
    (seed 0), quantized to 7 levels per tensor so the full VGG16 compresses to a few MB
    (gzip + shuffle), and the calibrated lin layers shipped with the `lpips` package.
  * keypoints_{train,test}_landmarks.h5 (DESIGN §4 landmark format: mu [N,K,2],
    covariance [N,K,2,2], sequence [N] strings, frame [N] int64) and
    keypoints_{train,test}.csv (sequence,frame,keypoint,x,y in pixels of 128-px frames);
    keypoints_reference.h5 with `pred` float64 [Ntest, P, 2] from scikit-learn's
    Ridge(alpha=0, fit_intercept=False) fitted on landmark means (pixels, centred) and
    keypoints centred on the crop centre S/2, plus `accuracy_6px` (overall), `per_keypoint_6px`
    [P] and `curve` [21] (share within t px, t = 0…20; a keypoint counts when distance <= t).

Everything is seeded; reruns give the same numbers for given library versions.

    python3 Experiments/tools/make_metrics_fixtures.py --bench
        Prints the Python baselines `lmlab bench metrics` is compared with, on this machine: runs
        bench_metrics.py (scikit-image PSNR and SSIM in both modes, lpips.LPIPS alex/vgg/squeeze,
        effnet-lite0-dist in PyTorch) at 64 and 128 px on 2 threads with lmlab's batch sizes.
        `lmlab bench metrics` runs the same script itself, beside its own rows.
"""

import os
import sys

import h5py
import numpy as np
import torch
from skimage import data, filters, transform
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from sklearn.linear_model import Ridge

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_lpips_weights import NETS, build_model, quantize_backbone, write_h5  # noqa: E402

OUT = os.path.join("Tests", "MetricsTests", "Fixtures")
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
SIZES = (64, 128)
torch.set_num_threads(1)


def photo(name, size):
    im = getattr(data, name)().astype(np.float64) / 255.0
    h, w = im.shape[:2]
    s = min(h, w)
    im = im[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return to8bit(transform.resize(im, (size, size), anti_aliasing=True))


def to8bit(im):
    """Values on the 1/255 grid, as frames read from 8-bit PNGs are (and they compress)."""
    return (np.round(np.clip(im, 0, 1) * 255) / 255).astype(np.float32)


def distortions(im, rng):
    noisy = np.clip(im + rng.normal(0, 0.05, im.shape), 0, 1)
    blur = filters.gaussian(im.astype(np.float64), sigma=1.0, channel_axis=-1)
    pad = np.pad(im, ((3, 3), (3, 3), (0, 0)), mode="edge")
    shift = pad[1:1 + im.shape[0], 5:5 + im.shape[1]]  # 2 px down, 2 px left
    quant = np.round(im * 7) / 7
    return [(k, to8bit(v)) for k, v in (("noise", noisy), ("blur", blur), ("shift", shift), ("quantize", quant))]


def lpips_models():
    models = {}
    for net in NETS:
        m = build_model(net, random_backbone_seed=0)
        quantize_backbone(m, levels=3)
        write_h5(m, net, os.path.join(OUT, f"lpips_{net}.h5"), "random-seed-0-quantized", compress=True)
        models[net] = m.double()
    return models


def image_fixtures(models):
    rng = np.random.default_rng(20240601)
    with h5py.File(os.path.join(OUT, "images.h5"), "w") as f:
        for size in SIZES:
            refs, dists = [], []
            for name in PHOTOS:
                im = photo(name, size)
                for _, d in distortions(im, rng):
                    refs.append(im)
                    dists.append(np.asarray(d, dtype=np.float32))
            a = np.stack(refs).astype(np.float64)  # [M, S, S, 3], float32 values
            b = np.stack(dists).astype(np.float64)
            mse = ((a - b) ** 2).reshape(len(a), -1).mean(axis=1)
            psnr = 10 * np.log10(1.0 / mse)
            for i in range(len(a)):
                assert abs(psnr[i] - peak_signal_noise_ratio(a[i], b[i], data_range=1)) < 1e-9
            ssim_g = [structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                            data_range=1, channel_axis=-1) for x, y in zip(a, b)]
            ssim_u = [structural_similarity(x, y, data_range=1, channel_axis=-1) for x, y in zip(a, b)]
            g = f.create_group(f"s{size}")
            z = dict(compression="gzip", compression_opts=9, shuffle=True)
            g.create_dataset("reference", data=np.ascontiguousarray(a.transpose(0, 3, 1, 2)).astype(np.float32), **z)
            g.create_dataset("distorted", data=np.ascontiguousarray(b.transpose(0, 3, 1, 2)).astype(np.float32), **z)
            g["psnr"] = psnr
            g["ssim_gaussian"] = np.array(ssim_g)
            g["ssim_uniform"] = np.array(ssim_u)
            t0 = torch.from_numpy(a.transpose(0, 3, 1, 2).copy()) * 2 - 1
            t1 = torch.from_numpy(b.transpose(0, 3, 1, 2).copy()) * 2 - 1
            for net, m in models.items():
                with torch.no_grad():
                    g[f"lpips_{net}"] = m(t0, t1).reshape(-1).numpy()
            print(f"s{size}: psnr {psnr.round(2)}\n  ssim_g {np.round(ssim_g, 4)}\n  ssim_u {np.round(ssim_u, 4)}")
            for net in models:
                print(f"  lpips_{net} {np.round(g[f'lpips_{net}'][()], 5)}")


def keypoint_fixtures():
    rng = np.random.default_rng(7)
    K, P, S = 10, 7, 128
    W = rng.normal(0, 0.5, (2 * K, 2 * P))

    def split(name, seqs, frames):
        n = seqs * frames
        mu = rng.uniform(-0.8, 0.8, (n, K, 2)).astype(np.float32)
        a = rng.normal(0, 0.05, (n, K, 2, 2))
        cov = (a @ a.transpose(0, 1, 3, 2) + 1e-3 * np.eye(2)).astype(np.float32)
        kp = S / 2 + (mu.reshape(n, -1).astype(np.float64) @ W) * (S / 4) + rng.normal(0, 4.0, (n, 2 * P))
        kp = kp.reshape(n, P, 2)
        seq = [f"seq{s:02d}" for s in range(seqs) for _ in range(frames)]
        fr = np.array([t for _ in range(seqs) for t in range(frames)], dtype=np.int64)
        with h5py.File(os.path.join(OUT, f"keypoints_{name}_landmarks.h5"), "w") as f:
            f["mu"] = mu
            f["covariance"] = cov
            f.create_dataset("sequence", data=np.array(seq, dtype=object), dtype=h5py.string_dtype())
            f["frame"] = fr
        with open(os.path.join(OUT, f"keypoints_{name}.csv"), "w") as f:
            f.write("sequence,frame,keypoint,x,y\n")
            for i in range(n):
                for p in range(P):
                    f.write(f"{seq[i]},{fr[i]},{p},{kp[i, p, 0]:.4f},{kp[i, p, 1]:.4f}\n")
        # What the CSV holds, exactly as a reader parses it.
        kp = np.round(kp, 4)
        return mu.reshape(n, -1).astype(np.float64), kp

    x_train, k_train = split("train", 4, 50)
    x_test, k_test = split("test", 2, 30)
    c = S / 2
    ridge = Ridge(alpha=0, fit_intercept=False).fit(x_train * c, k_train.reshape(len(k_train), -1) - c)
    pred = ridge.predict(x_test * c).reshape(k_test.shape) + c
    dist = np.linalg.norm(pred - k_test, axis=2)  # [N, P]
    with h5py.File(os.path.join(OUT, "keypoints_reference.h5"), "w") as f:
        f["pred"] = pred
        f["accuracy_6px"] = np.array((dist <= 6).mean())
        f["per_keypoint_6px"] = (dist <= 6).mean(axis=0)
        f["curve"] = np.array([(dist <= t).mean() for t in range(21)])
    print("keypoints: accuracy@6px", (dist <= 6).mean(), "per keypoint", (dist <= 6).mean(axis=0).round(3))


def bench():
    """The Python baselines of `lmlab bench metrics`: bench_metrics.py (what lmlab runs in the same
    invocation, on its batch sizes and thread count) at 64 and 128 px, 2 threads."""
    import subprocess
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_metrics.py")
    for size in SIZES:
        subprocess.run([sys.executable, script, "--size", str(size), "--threads", "2"], check=True)


def main():
    if "--bench" in sys.argv:
        bench()
        return 0
    os.makedirs(OUT, exist_ok=True)
    image_fixtures(lpips_models())
    keypoint_fixtures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
