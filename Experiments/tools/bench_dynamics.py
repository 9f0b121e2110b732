"""PyTorch reference side of `lmlab bench dynamics`: times the residual-LSTM dynamics
(DESIGN §2, "Extrapolation") and the rollout → decode path. CPU, float32, random weights.

`lmlab bench dynamics` runs this script right after its own rows of a case with
    --config-json '<the case's canonical config JSON>' --case NAME --seconds S --json --threads T
and reads one JSON object per line from stdout (nothing else goes to stdout; warnings go to
stderr). `--versions --json` prints only the versions line.

OMP_WAIT_POLICY=PASSIVE: under CPU contention OpenMP's spinning workers otherwise lose their
time slices and every figure gets several times (measured: up to 20x) worse. The script sets
it itself before importing torch unless the environment already sets OMP_WAIT_POLICY (e.g.
OMP_WAIT_POLICY=ACTIVE to measure spinning). Threads: torch.set_num_threads (--threads,
default 2); lmlab also sets OMP_NUM_THREADS and MKL_NUM_THREADS to the same count.

The case is the config lmlab hands over (the cases are named for the files lmlab loads:
`dynamics-demo` = landmarks-learn.yaml then dynamics-demo.yaml over it, as `lmlab demo` does;
`dynamics-bair` = bair.yaml then dynamics-bair.yaml). Keys read: n_landmarks (K, state D = 5K,
LSTM input 2D), lstm_layers x lstm_hidden, dyn_residual_scale c, n_inputs n and n_future m
(window L = n + m), dyn_batch_size B, dyn_learning_rate, dyn_grad_clip (0 = none), n_context,
n_rollout (horizon M), cholesky_floor, and the landmark model's keys (img_size, nsf, naf, ngc,
n_filters, pose_decoder_channels, spade_hidden, disable_spade, use_identity_covariance,
fixed_covar; decoder_skip must be none).

Model weights: make_landmark_fixtures.init_weights(model, 0) (Xavier-uniform, biases 0.1);
nn.LSTM(2D, 256, 3, batch_first) and nn.Linear(256, D) with PyTorch's default initialization.

What is timed (time.perf_counter around exactly this, nothing else):

lstm_train (one training step, model in train mode):
    x = randn(B, L, D) * 0.3, made once before timing. Steps t = 0 .. L-2, one LSTM time step
    per call carrying (h, c) (zeros at t = 0) through all 3 layers:
        s_t = x[:, t] if t < n else p_t        (own prediction, not detached)
        v_t = s_t - s_{t-1}, v_0 = 0
        h   = LSTM(concat([s_t, c * v_t]))     c = dyn_residual_scale
        r_t = Linear(top-layer h)
        p_{t+1} = s_t + r_t / c
    loss = mean squared error of (p_1 .. p_{L-1}) against x[:, 1:] (mean over B, L-1, D);
    loss.backward(); clip_grad_norm_(dyn_grad_clip) when > 0; Adam(dyn_learning_rate).step();
    zero_grad().
    Warm-up 3 steps; then steps until >= --seconds elapsed and >= 5 steps. Reported:
    seconds_per_step = median, sequences_per_s = B / median.

rollout_decode (one inference call, torch.no_grad(), both models in eval mode, so spectral
norm uses its stored u, v without a power iteration):
    Inputs made once before timing: 8 sequences of n_context states [8, n_context, D] (per landmark
    (mu_x, mu_y, L11, L21, L22): mu ~ U[-0.8, 0.8]; L11, L22 = sqrt(0.008) + 0.005 * N(0, 1);
    L21 = 0.005 * N(0, 1)) and the last context frame's image [8, 3, 64, 64] ~ U[-1, 1].
    The call:
      1. appearance vectors [8, K, C] of the 8 images (once per sequence): the pose U-Net with
         its first-block features, gaussian_fit's softmax maps, the appearance U-Net on
         concat([maps, first-block features]), then a = maps . features^T / (h w);
      2. LSTM rollout: one step per context state (ground truth in, same input form as in
         training), then M - 1 steps on its own predictions (batch 8); the prediction made at
         the last context state is future state 1; horizon M = n_rollout;
      3. decode all 8 x M states (sequence-major) in batches of 32 frames:
         state -> mu and Sigma = L L^T, L = [[L11, 0], [L21, L22]] with the diagonal floored as
         lmlab's PoseState.decode does (L11 >= floor, L22 >= max(floor, 1e-3 |L21|)) ->
         render_heatmaps(mu, Sigma, 64) -> projection P = a^T heat / (1 + sum_k heat) with each
         frame's own sequence's vectors -> SPADE generator(heat, P) -> [32, 3, 64, 64].
    Warm-up 1 call (--warmup-calls); then calls until >= --seconds elapsed and >= 3 calls
    (--min-calls). Reported:
    seconds_per_call = median wall time of steps 1-3, frames_per_s = 8 M / that;
    decode_seconds_per_call = median of step 3 alone (timed inside the same calls),
    decode_frames_per_s = 8 M / that.

Cost: rollout_decode is dominated by the generator's convolutions (about 6 GFLOP per frame at
the reference widths, 1.3 TFLOP per call); at 2 threads a dynamics-bair call takes tens of
seconds, so that case runs for minutes with the default protocol (1 + 3 calls).
`--what lstm_train|rollout_decode` runs one measurement only.

JSON lines (extra keys may be added; readers should ignore unknown keys):
  {"what": "versions", "python", "torch", "numpy", "torch_threads", "omp_wait_policy"}
  {"case", "what": "lstm_train", "seconds_per_step", "sequences_per_s", "batch", "window",
   "inputs", "steps", "torch", "threads"}
  {"case", "what": "rollout_decode", "seconds_per_call", "frames_per_s",
   "decode_seconds_per_call", "decode_frames_per_s", "sequences", "context", "horizon",
   "decode_batch", "calls", "torch", "threads"}
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP (docstring)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_landmark_fixtures import (LandmarkModel, gaussian_fit, init_weights,  # noqa: E402
                                    render_heatmaps)

MODEL_KEYS = ("img_size", "n_landmarks", "nsf", "naf", "ngc", "n_filters", "pose_decoder_channels",
              "spade_hidden", "disable_spade", "use_identity_covariance", "fixed_covar")
SEQUENCES = 8
DECODE_BATCH = 32
TRAIN_WARMUP, TRAIN_MIN_STEPS = 3, 5
CALL_WARMUP, CALL_MIN = 1, 3


def case_from_config(cfg):
    """The bench case of an lmlab config (canonical JSON keys; docstring)."""
    if cfg.get("decoder_skip", "none") != "none":
        sys.exit("decoder_skip: reference is not implemented on the PyTorch side")
    return dict(landmarks=cfg["n_landmarks"], inputs=cfg["n_inputs"], future=cfg["n_future"],
                hidden=cfg["lstm_hidden"], layers=cfg["lstm_layers"], scale=cfg["dyn_residual_scale"],
                batch=cfg["dyn_batch_size"], lr=cfg["dyn_learning_rate"], clip=cfg["dyn_grad_clip"],
                context=cfg["n_context"], horizon=cfg["n_rollout"], floor=cfg["cholesky_floor"],
                model={k: cfg[k] for k in MODEL_KEYS})


def versions():
    import platform
    import numpy
    return dict(what="versions", python=platform.python_version(), torch=torch.__version__,
                numpy=numpy.__version__, torch_threads=torch.get_num_threads(),
                omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))


class ResidualLSTM(nn.Module):
    """LSTM over [s_t, c (s_t - s_{t-1})] and a linear layer predicting s_{t+1} = s_t + r_t / c.
    Parameter names: lstm.weight_ih_l0 ..., linear.weight, linear.bias."""

    def __init__(self, d, hidden, layers, scale):
        super().__init__()
        self.d, self.hidden, self.layers, self.scale = d, hidden, layers, scale
        self.lstm = nn.LSTM(2 * d, hidden, layers, batch_first=True)
        self.linear = nn.Linear(hidden, d)

    def start(self, b):
        z = torch.zeros(self.layers, b, self.hidden)
        return (z, z.clone()), None

    def step(self, s, carry):
        hc, prev = carry
        v = torch.zeros_like(s) if prev is None else (s - prev) * self.scale
        out, hc = self.lstm(torch.cat((s, v), 1).unsqueeze(1), hc)
        p = s + self.linear(out[:, 0]) / self.scale
        return p, (hc, s)

    def schedule_loss(self, x, n):
        b, length, _ = x.shape
        carry = self.start(b)
        preds, own = [], None
        for t in range(length - 1):
            s = x[:, t] if t < n else own
            own, carry = self.step(s, carry)
            preds.append(own)
        return F.mse_loss(torch.stack(preds, 1), x[:, 1:])

    def rollout(self, context, horizon):
        b, n, _ = context.shape
        carry = self.start(b)
        for t in range(n):
            p, carry = self.step(context[:, t], carry)
        out = [p]
        for _ in range(horizon - 1):
            p, carry = self.step(p, carry)
            out.append(p)
        return torch.stack(out, 1)  # [B, M, D]


def states_to_gaussians(states, floor):
    """[N, 5K] -> mu [N, K, 2], Sigma [N, K, 2, 2] (Sigma = L L^T, floored diagonal)."""
    n = states.shape[0]
    s = states.reshape(n, -1, 5)
    mu = s[..., 0:2]
    l11 = s[..., 2].clamp_min(floor)
    l21 = s[..., 3]
    l22 = torch.maximum(s[..., 4].clamp_min(floor), 1e-3 * l21.abs())  # as PoseState.decode
    a, b, d = l11 * l11, l11 * l21, l21 * l21 + l22 * l22
    cov = torch.stack((a, b, b, d), -1).reshape(n, -1, 2, 2)
    return mu.contiguous(), cov


def appearance_vectors(model, images):
    """The forward's appearance branch: images [B, 3, S, S] -> vectors a [B, K, C]."""
    cfg = model.cfg
    logits, first = model.shape_encoder(images, True)
    maps, _, _ = gaussian_fit(logits, cfg["use_identity_covariance"], cfg["fixed_covar"])
    feats = model.appearance_encoder(torch.cat((maps, first), 1))  # [B, C, S/2, S/2]
    b, k = maps.shape[:2]
    c, h, w = feats.shape[1:]
    a = torch.bmm(maps.reshape(b, k, -1), feats.reshape(b, c, -1).transpose(1, 2))
    return a / h / w


def decode(model, mu, cov, vectors):
    """The forward's decode path: (mu, Sigma) and vectors [B, K, C] -> images [B, 3, S, S]."""
    s = model.cfg["img_size"]
    heat = render_heatmaps(mu, cov, s)
    b, k = heat.shape[:2]
    c = vectors.shape[2]
    proj = torch.bmm(vectors.transpose(1, 2), heat.reshape(b, k, -1)).reshape(b, c, s, s)
    proj = proj / (1 + heat.sum(1, keepdim=True))
    return model.image_decoder(heat, proj)


def timed(fn, warmup, min_runs, seconds):
    """Runs fn warmup times, then until >= seconds and >= min_runs; returns fn's results and
    wall times of the timed runs."""
    for _ in range(warmup):
        fn()
    times, results = [], []
    t_start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - t_start < seconds:
        t0 = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - t0)
        results.append(r)
    return times, results


def bench_lstm_train(name, spec, seconds):
    torch.manual_seed(0)
    d = 5 * spec["landmarks"]
    n, length = spec["inputs"], spec["inputs"] + spec["future"]
    net = ResidualLSTM(d, spec["hidden"], spec["layers"], spec["scale"])
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=spec["lr"])
    batch = spec["batch"]
    x = torch.randn(batch, length, d) * 0.3

    def step():
        loss = net.schedule_loss(x, n)
        loss.backward()
        if spec["clip"] > 0:
            nn.utils.clip_grad_norm_(net.parameters(), spec["clip"])
        opt.step()
        opt.zero_grad()
        return loss.item()

    times, losses = timed(step, TRAIN_WARMUP, TRAIN_MIN_STEPS, seconds)
    if not all(math.isfinite(v) for v in losses):
        print(f"warning: {name} lstm_train: non-finite loss", file=sys.stderr)
    med = statistics.median(times)
    return dict(case=name, what="lstm_train", seconds_per_step=med,
                sequences_per_s=batch / med, batch=batch, window=length, hidden=spec["hidden"],
                layers=spec["layers"], parameters=sum(p.numel() for p in net.parameters()),
                inputs=n, steps=len(times), torch=torch.__version__,
                threads=torch.get_num_threads())


def bench_rollout_decode(name, spec, seconds, warmup=CALL_WARMUP, min_calls=CALL_MIN):
    torch.manual_seed(0)
    k = spec["landmarks"]
    d = 5 * k
    model = init_weights(LandmarkModel(spec["model"]), 0)
    model.eval()
    net = ResidualLSTM(d, spec["hidden"], spec["layers"], spec["scale"])
    net.eval()
    context, horizon, floor = spec["context"], spec["horizon"], spec["floor"]
    s = model.cfg["img_size"]
    g = torch.Generator().manual_seed(1)
    ctx = torch.zeros(SEQUENCES, context, k, 5)
    ctx[..., 0:2] = torch.rand(SEQUENCES, context, k, 2, generator=g) * 1.6 - 0.8
    diag = math.sqrt(0.008)
    ctx[..., 2] = diag + 0.005 * torch.randn(SEQUENCES, context, k, generator=g)
    ctx[..., 3] = 0.005 * torch.randn(SEQUENCES, context, k, generator=g)
    ctx[..., 4] = diag + 0.005 * torch.randn(SEQUENCES, context, k, generator=g)
    ctx = ctx.reshape(SEQUENCES, context, d)
    images = torch.rand(SEQUENCES, 3, s, s, generator=g) * 2 - 1
    frames = SEQUENCES * horizon
    decode_times = []

    def call():
        with torch.no_grad():
            vectors = appearance_vectors(model, images)  # [8, K, C]
            states = net.rollout(ctx, horizon).reshape(frames, d)  # sequence-major
            t0 = time.perf_counter()
            per_frame = vectors.repeat_interleave(horizon, 0)  # [8 M, K, C]
            out = torch.empty(frames, 3, s, s)
            for i in range(0, frames, DECODE_BATCH):
                j = min(frames, i + DECODE_BATCH)
                mu, cov = states_to_gaussians(states[i:j], floor)
                out[i:j] = decode(model, mu, cov, per_frame[i:j])
            decode_times.append(time.perf_counter() - t0)
            return bool(torch.isfinite(out).all())

    times, finite = timed(call, warmup, max(1, min_calls), seconds)
    dec = decode_times[warmup:]
    if not all(finite):
        print(f"warning: {name} rollout_decode: non-finite frames", file=sys.stderr)
    med, dmed = statistics.median(times), statistics.median(dec)
    return dict(case=name, what="rollout_decode", seconds_per_call=med, frames_per_s=frames / med,
                decode_seconds_per_call=dmed, decode_frames_per_s=frames / dmed,
                sequences=SEQUENCES, context=context, horizon=horizon,
                decode_batch=DECODE_BATCH, model_parameters=sum(p.numel() for p in model.parameters()), calls=len(times), torch=torch.__version__,
                threads=torch.get_num_threads())


def report(r, as_json):
    """One result: a JSON line, or a row of the human table."""
    if as_json:
        print(json.dumps(r), flush=True)
    elif r["what"] == "lstm_train":
        print(f"{r['case']:<6} {'lstm_train':<15} {r['seconds_per_step']:>9.4f} "
              f"{r['sequences_per_s']:>11.1f} seq/s   (B {r['batch']}, L {r['window']}, "
              f"{r['steps']} steps)", flush=True)
    else:
        print(f"{r['case']:<6} {'rollout_decode':<15} {r['seconds_per_call']:>9.4f} "
              f"{r['frames_per_s']:>8.1f} frames/s {r['decode_frames_per_s']:>10.1f} "
              f"frames/s ({r['decode_seconds_per_call']:.4f} s)   ({r['sequences']}x"
              f"{r['horizon']} frames, {r['calls']} calls)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config-json", help="the case's full config (lmlab's canonical JSON)")
    ap.add_argument("--case", default="case", help="the case's name (echoed back)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0,
                    help="minimum timed seconds per measurement (default 3)")
    ap.add_argument("--what", choices=["lstm_train", "rollout_decode", "all"], default="all")
    ap.add_argument("--warmup-calls", type=int, default=CALL_WARMUP,
                    help=f"rollout_decode warm-up calls (default {CALL_WARMUP})")
    ap.add_argument("--min-calls", type=int, default=CALL_MIN,
                    help=f"rollout_decode minimum timed calls (default {CALL_MIN})")
    ap.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    ap.add_argument("--versions", action="store_true", help="print the versions line only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float32)
    v = versions()
    if args.versions or args.json:
        print(json.dumps(v) if args.json else v, flush=True)
    if args.versions:
        return 0
    if not args.config_json:
        ap.error("--config-json is required (lmlab bench dynamics passes it)")
    spec = case_from_config(json.loads(args.config_json))
    if not args.json:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, CPU")
        print(f"{'case':<6} {'what':<15} {'s/unit':>9} {'rate':>18} {'decode only':>22}")
    if args.what in ("lstm_train", "all"):
        report(bench_lstm_train(args.case, spec, args.seconds), args.json)
    if args.what in ("rollout_decode", "all"):
        report(bench_rollout_decode(args.case, spec, args.seconds, args.warmup_calls, args.min_calls),
               args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
