"""PyTorch reference side of `lmlab bench train`: one landmark training step (DESIGN §2) of the
config lmlab hands over, timed as lmlab times its own. CPU, float32, random weights.

`lmlab bench train` runs this script right after its own rows with
    --config-json '<the case's canonical config JSON>' --case NAME --steps N --json --threads T
and reads one JSON object per line from stdout (warnings go to stderr). `--versions --json`
prints only the versions line.

OMP_WAIT_POLICY=PASSIVE (set before torch loads OpenMP unless the environment sets it): under
CPU contention OpenMP's spinning workers lose their time slices and a step takes 3-10x longer.
Threads: torch.set_num_threads(--threads); lmlab also sets OMP_NUM_THREADS and MKL_NUM_THREADS.

What the step is (the config's keys decide every part; a key this script cannot honour is an
error naming it, so the two sides never silently differ):
  model      make_landmark_fixtures.LandmarkModel with the config's model keys (n_landmarks,
             img_size, nsf, naf, ngc, n_filters, pose_decoder_channels, spade_hidden,
             disable_spade, use_identity_covariance, fixed_covar); decoder_skip must be none.
             init_weights(model, 0): Xavier-uniform, biases 0.1. Train mode (one spectral-norm
             power iteration per call).
  inputs     pose, appearance and target batches [batch_size, 3, S, S] ~ U[-1, 1], made once
             before timing (lmlab samples its batches up front too).
  loss       mse_lambda · MSE(recon, target)
             + vgg_lambda · VGG19 to relu4_2 (torchvision's features[:23] layout, full widths, RANDOM
               He-uniform weights and zero biases as lmlab's random VGG; reduced_w weights 1/32,
               1/16, 1/8, 1/4, 1 over relu1_2, relu2_2, relu3_2, relu4_2 and the image) when
               use_vgg and perceptual_net is vgg19
             + gan_lambda · LSGAN (multiscale PatchGAN, num_D, n_layers_D, ndf) when use_gan,
               and the discriminator's update after the generator's
             + concentration_lambda · mean tr Σ of the pose branch's softmax maps
             + separation_lambda · Σ_{k≠l} exp(−|μ_k − μ_l|² / 2σ²) / K, mean over images
             + equivariance_lambda · MSE(μ of the warped pose images, the warp applied to μ),
               a random similarity warp per image (rotation ±equivariance_rotation, scale
               1 ± equivariance_scale, translation ±equivariance_translation), bilinear with border
               replicate, drawn and applied inside the step as lmlab does; the warped images go
               through the pose encoder a second time.
  update     Adam(lr = learning_rate, weight_decay); gradient clipping at grad_clip_norm unless
             no_grad_clip. zero_grad, forward, loss, backward, step: all inside the timing.
  timing     time.perf_counter around each step; 1 warm-up step, then --steps steps;
             seconds_per_step = median.

JSON lines:
  {"what": "versions", "python", "torch", "numpy", "torch_threads", "omp_wait_policy"}
  {"what": "train_step", "case", "seconds_per_step", "images_per_s", "batch", "steps",
   "parameters", "times", "load", "note"?}
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP (docstring)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_landmark_fixtures import (DEFAULTS, LandmarkModel, MultiscaleDiscriminator,  # noqa: E402
                                    PerceptualLoss, gaussian_fit, grid, init_weights, lsgan_loss,
                                    vgg19_features)

MODEL_KEYS = list(DEFAULTS)


def versions():
    import numpy
    return dict(what="versions", python=platform.python_version(), torch=torch.__version__,
                numpy=numpy.__version__, torch_threads=torch.get_num_threads(),
                omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "-"


def check_supported(cfg):
    """Refuses what this script does not implement: the comparison would be unfair."""
    missing = []
    if cfg.get("decoder_skip", "none") != "none":
        missing.append(f"decoder_skip: {cfg['decoder_skip']}")
    if cfg.get("use_vgg") and cfg.get("perceptual_net", "vgg19") not in ("vgg19", "none"):
        missing.append(f"perceptual_net: {cfg['perceptual_net']} (vgg19 is)")
    if missing:
        sys.exit(" and ".join(missing) + " not implemented on the PyTorch side")
    if cfg.get("use_gan") and cfg.get("no_lsgan"):
        sys.exit("no_lsgan (BCE GAN) is not implemented on the PyTorch side")


def random_vgg():
    """VGG19 features[:23], full widths, lmlab's random init: U(±sqrt(6 / (C·9))), bias 0."""
    vgg = vgg19_features(1)
    with torch.no_grad():
        for m in vgg.modules():
            if isinstance(m, nn.Conv2d):
                bound = math.sqrt(6.0 / (m.weight.shape[1] * 9))
                m.weight.uniform_(-bound, bound)
                m.bias.zero_()
    return vgg


def concentration(maps):
    b, k, h, _ = maps.shape
    p = maps.reshape(b, k, h * h)
    gx, gy = grid(h, 2.0 / h)
    gx, gy = gx.to(p.dtype), gy.to(p.dtype)
    mx, my = (p * gx).sum(2), (p * gy).sum(2)
    second = (p * (gx * gx + gy * gy)).sum(2)
    return (second - mx * mx - my * my).mean()


def separation(mu, sigma):
    b, k, _ = mu.shape
    d = mu.unsqueeze(2) - mu.unsqueeze(1)  # [B, K, K, 2]
    kern = torch.exp((d * d).sum(3) * (-1 / (2 * sigma * sigma)))
    return (kern.sum() - b * k) / (b * k)


def random_warps(b, cfg, g):
    """Per image M = s·R(θ) [B, 2, 2] and t [B, 2] (lmlab's AffineWarp.random)."""
    u = lambda lo: (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * lo
    rot, scale = u(cfg["equivariance_rotation"]), 1 + u(cfg["equivariance_scale"])
    tx, ty = u(cfg["equivariance_translation"]), u(cfg["equivariance_translation"])
    c, s = torch.cos(rot) * scale, torch.sin(rot) * scale
    m = torch.stack((c, -s, s, c), 1).reshape(b, 2, 2).float()
    return m, torch.stack((tx, ty), 1).float()


def warp(images, m, t):
    """Output position l (pixel j at -1 + 2j/S) samples source M·l + t at pixel (u + 1)·S/2,
    bilinear, clamped to the border (lmlab's AffineWarp.apply), via grid_sample."""
    b, _, s, _ = images.shape
    r = -1 + 2 * torch.arange(s, dtype=torch.float32) / s
    gy, gx = torch.meshgrid(r, r, indexing="ij")
    l = torch.stack((gx, gy), -1).reshape(1, s * s, 2)  # [1, S², 2]
    src = l @ m.transpose(1, 2) + t.unsqueeze(1)  # [B, S², 2]
    pix = (src + 1) * (s / 2)  # pixel coordinates
    norm = pix * (2 / (s - 1)) - 1  # grid_sample, align_corners=True: -1 = pixel 0, 1 = pixel S-1
    return F.grid_sample(images, norm.reshape(b, s, s, 2), mode="bilinear", padding_mode="border",
                         align_corners=True)


def equivariance(model, pose, mu, cfg, g):
    m, t = random_warps(pose.shape[0], cfg, g)
    with torch.no_grad():
        warped = warp(pose, m, t)
    _, mu_w, _ = model.encode(warped)
    expected = (mu - t.unsqueeze(1)) @ torch.linalg.inv(m).transpose(1, 2)
    return F.mse_loss(mu_w, expected)


def bench(cfg, case, steps):
    check_supported(cfg)
    torch.manual_seed(0)
    model = init_weights(LandmarkModel({k: cfg[k] for k in MODEL_KEYS if k in cfg}), 0)
    model.train()
    s, b = model.cfg["img_size"], cfg["batch_size"]
    g = torch.Generator().manual_seed(1)
    pose = torch.rand(b, 3, s, s, generator=g) * 2 - 1
    app = torch.rand(b, 3, s, s, generator=g) * 2 - 1
    target = torch.rand(b, 3, s, s, generator=g) * 2 - 1
    vgg = None
    if cfg["use_vgg"] and cfg.get("perceptual_net", "vgg19") == "vgg19" and cfg["vgg_lambda"] > 0:
        vgg = PerceptualLoss(random_vgg(), reduced_w=cfg["reduced_w"])
    disc = opt_d = None
    if cfg["use_gan"] and cfg["gan_lambda"] > 0:
        disc = init_weights(MultiscaleDiscriminator(3, cfg["ndf"], cfg["n_layers_D"], cfg["num_D"]), 1)
        opt_d = torch.optim.Adam(disc.parameters(), lr=cfg["learning_rate"], weight_decay=cfg["weight_decay"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["learning_rate"], weight_decay=cfg["weight_decay"])
    clip = None if cfg["no_grad_clip"] else cfg["grad_clip_norm"]

    def step():
        out = model(pose, app)
        recon = out["reconstruction"]
        loss = recon.new_zeros(())
        if cfg["mse_lambda"] > 0:
            loss = loss + cfg["mse_lambda"] * F.mse_loss(recon, target)
        if vgg is not None:
            loss = loss + cfg["vgg_lambda"] * vgg(recon, target)
        if disc is not None:
            loss = loss + cfg["gan_lambda"] * lsgan_loss(disc(recon), True)
        if cfg["concentration_lambda"] > 0:
            loss = loss + cfg["concentration_lambda"] * concentration(out["maps"])
        if cfg["separation_lambda"] > 0:
            loss = loss + cfg["separation_lambda"] * separation(out["mu"], cfg["separation_sigma"])
        if cfg["equivariance_lambda"] > 0:
            loss = loss + cfg["equivariance_lambda"] * equivariance(model, pose, out["mu"], cfg, g)
        value = loss.item()  # lmlab reads the loss before the update (its non-finite check)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if disc is not None:
            opt_d.zero_grad()
            fake = recon.detach()
            ld = 0.5 * (lsgan_loss(disc(target), True) + lsgan_loss(disc(fake), False))
            ld.backward()
            opt_d.step()
        return value

    times, values = [], []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        values.append(step())
        if i >= 1:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    r = dict(what="train_step", case=case, seconds_per_step=med, images_per_s=b / med, batch=b,
             steps=len(times), parameters=sum(p.numel() for p in model.parameters()),
             times=times, load=load_average())
    if not all(math.isfinite(v) for v in values):
        r["note"] = "non-finite loss in PyTorch's steps"
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config-json", help="the case's full config (lmlab's canonical JSON)")
    ap.add_argument("--case", default="case", help="the case's name (echoed back)")
    ap.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up (default 5)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    ap.add_argument("--versions", action="store_true", help="print the versions line only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    v = versions()
    if args.versions:
        print(json.dumps(v) if args.json else v, flush=True)
        return 0
    if not args.config_json:
        ap.error("--config-json is required (lmlab bench train passes it)")
    r = bench(json.loads(args.config_json), args.case, args.steps)
    if args.json:
        print(json.dumps(v), flush=True)
        print(json.dumps(r), flush=True)
    else:
        print(f"torch {v['torch']}, {v['torch_threads']} threads, OMP_WAIT_POLICY {v['omp_wait_policy']}")
        print(f"{r['case']}: batch {r['batch']}, median {r['seconds_per_step']:.3f} s/step "
              f"({r['images_per_s']:.1f} images/s, {r['steps']} steps, {r['parameters']} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
