#!/usr/bin/env python3
"""Reference fixtures for LandmarkLab's Swift tensor engine and checkpoint storage.

Usage (from the repository root):

    python3 Experiments/tools/make_engine_fixtures.py
        Writes Tests/TensorEngineTests/Fixtures/<family>.h5 (one file per op family),
        Tests/StorageTests/Fixtures/h5py_checkpoint.h5 and its sidecar
        Tests/StorageTests/Fixtures/h5py_checkpoint_sums.json, then re-opens every file.

To read a checkpoint written by LandmarkLab with h5py (no torch needed), use
check_checkpoint.py beside this script.

Fixture layout (what the Swift tests read):
  * one group per case at the file root;
  * inputs: float32 datasets drawn from a fixed seed (per file and case);
  * reference outputs `out` / `out_<name>` and gradients `grad_<input>`: float64, computed
    in torch float64 from the float32 inputs cast to double;
  * `gout` / `gout_<name>`: float32 upstream gradients; grad_<input> = d/d input of
    sum_k sum(out_k * gout_k) (only over the outputs that have a gout);
  * op arguments as group attributes: ints int64 (scalars or 1-D arrays), floats float64,
    booleans int64 0/1. No string attributes in the engine fixtures.
  * scalar outputs (full reductions, losses) are stored with shape [] (HDF5 scalar dataspace).

Every case draws from its own torch.Generator seeded with crc32("<family>/<case>"), so the
files are reproducible and adding a case never changes the others.
"""

import argparse
import json
import math
import os
import sys
import zlib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

ENGINE_DIR = os.path.join("Tests", "TensorEngineTests", "Fixtures")
STORAGE_DIR = os.path.join("Tests", "StorageTests", "Fixtures")

torch.set_num_threads(1)  # deterministic reductions on CPU


# ----------------------------------------------------------------------------------------------
# Helpers


def gen(family, case):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(f"{family}/{case}".encode("utf-8")))
    return g


def randn(g, *shape):
    return torch.randn(tuple(shape), generator=g, dtype=torch.float32)


def rand(g, *shape):
    return torch.rand(tuple(shape), generator=g, dtype=torch.float32)


def away_from_zero(g, *shape, margin=0.05):
    """~N(0,1) values with |x| >= margin (for kinks and divisions)."""
    x = randn(g, *shape)
    return torch.where(x >= 0, x + margin, x - margin)


def positive(g, *shape, low=0.2):
    return (rand(g, *shape) * 2.5 + low).float()


def set_attrs(grp, attrs):
    for k, v in attrs.items():
        if isinstance(v, bool):
            grp.attrs.create(k, np.int64(int(v)), dtype=np.int64)
        elif isinstance(v, (int, np.integer)):
            grp.attrs.create(k, np.int64(v), dtype=np.int64)
        elif isinstance(v, (float, np.floating)):
            grp.attrs.create(k, np.float64(v), dtype=np.float64)
        elif isinstance(v, (list, tuple)):
            arr = np.asarray([int(e) for e in v], dtype=np.int64)
            grp.attrs.create(k, arr, dtype=np.int64)
        else:
            raise TypeError(f"attribute {k}: unsupported type {type(v)}")


def write(grp, name, t, dtype):
    arr = t.detach().cpu().numpy().astype(dtype) if isinstance(t, torch.Tensor) else np.asarray(t, dtype=dtype)
    grp.create_dataset(name, data=arr, dtype=dtype, track_times=False)


def record(f, name, inputs, fn, attrs=None, diff=None, gen_for_gout=None, no_grad_outputs=()):
    """Writes one case.

    inputs: dict name -> float32 tensor (written as float32 datasets).
    fn: takes a dict name -> float64 tensor, returns a tensor (stored as `out`) or a dict
        name -> tensor (stored as `out_<name>`).
    diff: input names to differentiate (default: all inputs).
    no_grad_outputs: names of outputs in a dict result that get no gout.
    """
    assert name not in f, name
    grp = f.create_group(name)
    set_attrs(grp, attrs or {})
    for k, v in inputs.items():
        assert v.dtype == torch.float32, (name, k, v.dtype)
        write(grp, k, v, np.float32)
    diff = list(inputs.keys()) if diff is None else list(diff)
    xs = {k: v.double().requires_grad_(k in diff) for k, v in inputs.items()}
    res = fn(xs)
    g = gen_for_gout
    loss = 0.0
    if isinstance(res, dict):
        for k, out in res.items():
            write(grp, f"out_{k}", out, np.float64)
            if k in no_grad_outputs:
                continue
            gout = randn(g, *out.shape)
            write(grp, f"gout_{k}", gout, np.float32)
            loss = loss + (out * gout.double()).sum()
    else:
        write(grp, "out", res, np.float64)
        gout = randn(g, *res.shape)
        write(grp, "gout", gout, np.float32)
        loss = (res * gout.double()).sum()
    if diff:
        grads = torch.autograd.grad(loss, [xs[k] for k in diff], allow_unused=True)
        for k, gr in zip(diff, grads):
            if gr is None:
                gr = torch.zeros_like(xs[k])
            write(grp, f"grad_{k}", gr, np.float64)
    return grp


def new_file(outdir, family):
    path = os.path.join(outdir, f"{family}.h5")
    return h5py.File(path, "w", libver="earliest", track_order=False)


# ----------------------------------------------------------------------------------------------
# Op families


def fam_conv2d(outdir):
    fam = "conv2d"
    cases = [
        # name, N, Cin, Cout, H, W, k, stride, pad, bias
        ("k3_s1_p1_bias", 2, 3, 4, 6, 6, 3, 1, 1, True),
        ("k3_s2_p1_odd9", 1, 3, 5, 9, 9, 3, 2, 1, True),
        ("k3_s2_p1_even8", 1, 3, 5, 8, 8, 3, 2, 1, True),
        ("k1_s1_p0", 2, 6, 4, 5, 5, 1, 1, 0, True),
        ("k4_s2_p2_patchgan", 1, 3, 6, 10, 10, 4, 2, 2, True),
        ("k4_s1_p2_patchgan_last", 1, 4, 1, 5, 5, 4, 1, 2, True),
        ("k3_s1_p1_nobias", 1, 4, 3, 6, 6, 3, 1, 1, False),
        ("k3_s1_p1_c24_16x16", 2, 24, 24, 16, 16, 3, 1, 1, True),
        ("k3_s1_p1_nonsquare_7x10", 1, 3, 4, 7, 10, 3, 1, 1, True),
        ("k3_s2_p1_nonsquare_7x10", 1, 3, 4, 7, 10, 3, 2, 1, True),
    ]
    with new_file(outdir, fam) as f:
        for name, n, cin, cout, h, w, k, s, p, bias in cases:
            g = gen(fam, name)
            inputs = {"x": randn(g, n, cin, h, w), "w": randn(g, cout, cin, k, k) / math.sqrt(cin * k * k)}
            if bias:
                inputs["b"] = randn(g, cout) * 0.5

            def fn(t, s=s, p=p):
                return F.conv2d(t["x"], t["w"], t.get("b"), stride=s, padding=p)

            record(f, name, inputs, fn, attrs={"stride": s, "padding": p, "has_bias": bias}, gen_for_gout=g)


def fam_instance_norm(outdir):
    fam = "instance_norm"
    eps = 1e-5
    cases = [
        ("small_2x2", lambda g: randn(g, 1, 2, 2, 2)),
        ("n2_c3_8x8", lambda g: randn(g, 2, 3, 8, 8)),
        ("offset_mean5", lambda g: randn(g, 2, 3, 6, 6) * 0.1 + 5.0),
        ("nonsquare_c16_5x7", lambda g: randn(g, 1, 16, 5, 7)),
    ]
    with new_file(outdir, fam) as f:
        for name, mk in cases:
            g = gen(fam, name)
            x = mk(g).float()
            record(f, name, {"x": x}, lambda t: F.instance_norm(t["x"], eps=eps), attrs={"eps": eps}, gen_for_gout=g)


def fam_bilinear(outdir):
    fam = "bilinear"
    cases = [
        ("up2", 1, 2, 4, 5, 8, 10),
        ("up_arbitrary_5x7_to_12x9", 1, 2, 5, 7, 12, 9),
        ("down_16x16_to_4x4", 1, 2, 16, 16, 4, 4),
        ("down_9x9_to_4x6", 2, 1, 9, 9, 4, 6),
    ]
    with new_file(outdir, fam) as f:
        for base, n, c, h, w, oh, ow in cases:
            for ac in (True, False):
                name = f"{base}_ac{int(ac)}"
                g = gen(fam, name)
                x = randn(g, n, c, h, w)

                def fn(t, oh=oh, ow=ow, ac=ac):
                    return F.interpolate(t["x"], size=(oh, ow), mode="bilinear", align_corners=ac, antialias=False)

                record(f, name, {"x": x}, fn, attrs={"out_h": oh, "out_w": ow, "align_corners": ac}, gen_for_gout=g)


def fam_nearest(outdir):
    fam = "nearest"
    cases = [
        ("up2", 1, 2, 4, 5, 8, 10),
        ("down2", 1, 2, 8, 8, 4, 4),
        ("arbitrary_6x6_to_4x9", 2, 1, 6, 6, 4, 9),
    ]
    with new_file(outdir, fam) as f:
        for name, n, c, h, w, oh, ow in cases:
            g = gen(fam, name)
            x = randn(g, n, c, h, w)

            def fn(t, oh=oh, ow=ow):
                return F.interpolate(t["x"], size=(oh, ow), mode="nearest")

            record(f, name, {"x": x}, fn, attrs={"out_h": oh, "out_w": ow}, gen_for_gout=g)


def fam_avg_pool2d(outdir):
    fam = "avg_pool2d"
    cases = [
        # name, N, C, H, W, kernel, stride, padding, count_include_pad
        ("k3_s2_p1_nopad_even8", 1, 2, 8, 8, 3, 2, 1, False),
        ("k3_s2_p1_nopad_odd9", 2, 2, 9, 9, 3, 2, 1, False),
        ("k3_s2_p1_includepad_even8", 1, 2, 8, 8, 3, 2, 1, True),
        ("k3_s2_p1_includepad_odd9", 1, 2, 9, 9, 3, 2, 1, True),
        ("k2_s2_p0_even8", 1, 3, 8, 8, 2, 2, 0, True),
        ("k2_s2_p0_odd7", 1, 3, 7, 7, 2, 2, 0, True),
        ("k3_s2_p1_nopad_nonsquare_7x10", 1, 2, 7, 10, 3, 2, 1, False),
    ]
    with new_file(outdir, fam) as f:
        for name, n, c, h, w, k, s, p, cip in cases:
            g = gen(fam, name)
            x = randn(g, n, c, h, w)

            def fn(t, k=k, s=s, p=p, cip=cip):
                return F.avg_pool2d(t["x"], kernel_size=k, stride=s, padding=p, ceil_mode=False, count_include_pad=cip)

            record(
                f, name, {"x": x}, fn,
                attrs={"kernel": k, "stride": s, "padding": p, "count_include_pad": cip, "ceil_mode": False},
                gen_for_gout=g,
            )


def fam_softmax(outdir):
    fam = "softmax"
    cases = [("last_axis_2x3x64", (2, 3, 64), 2), ("axis1_2x5x3", (2, 5, 3), 1)]
    with new_file(outdir, fam) as f:
        for name, shape, axis in cases:
            g = gen(fam, name)
            x = randn(g, *shape) * 2.0
            record(f, name, {"x": x}, lambda t, axis=axis: torch.softmax(t["x"], dim=axis), attrs={"axis": axis}, gen_for_gout=g)


def _sn_normalize(v, eps):
    return v / torch.clamp(v.norm(), min=eps)


def fam_spectral_norm(outdir):
    fam = "spectral_norm"
    eps = 1e-12
    cases = [("conv_8x4x3x3", (8, 4, 3, 3)), ("conv_16x16x3x3", (16, 16, 3, 3)), ("conv1x1_8x4x1x1", (8, 4, 1, 1))]
    with new_file(outdir, fam) as f:
        for name, shape in cases:
            g = gen(fam, name)
            cout, cin, kh, kw = shape
            w = randn(g, *shape) * 0.3
            # as torch.nn.utils.spectral_norm initialises them: normalize(randn, eps)
            u = F.normalize(randn(g, cout), dim=0, eps=eps)
            v = F.normalize(randn(g, cin * kh * kw), dim=0, eps=eps)

            def fn(t):
                wo = t["weight_orig"]
                wm = wo.reshape(wo.shape[0], -1)
                with torch.no_grad():
                    uu = t["u"].detach().clone()
                    vv = t["v"].detach().clone()
                    for _ in range(1):
                        vv = _sn_normalize(wm.t() @ uu, eps)
                        uu = _sn_normalize(wm @ vv, eps)
                uu, vv = uu.clone(), vv.clone()
                sigma = torch.dot(uu, wm @ vv)
                return {"weight": wo / sigma, "u": uu, "v": vv}

            grp = record(
                f, name, {"weight_orig": w, "u": u, "v": v}, fn,
                attrs={"eps": eps, "n_power_iterations": 1, "dim": 0},
                diff=["weight_orig"], gen_for_gout=g, no_grad_outputs=("u", "v"),
            )
            _check_spectral_norm_against_torch(grp, w, u, v, cin, cout, kh)


def _check_spectral_norm_against_torch(grp, w, u, v, cin, cout, k):
    ref_w = torch.from_numpy(grp["out_weight"][()])
    ref_u = torch.from_numpy(grp["out_u"][()])
    ref_v = torch.from_numpy(grp["out_v"][()])
    ref_g = torch.from_numpy(grp["grad_weight_orig"][()])
    gout = torch.from_numpy(grp["gout_weight"][()])
    for dtype, rtol, atol in ((torch.float32, 1e-4, 1e-5), (torch.float64, 1e-10, 1e-12)):
        conv = torch.nn.Conv2d(cin, cout, k, bias=False)
        conv = torch.nn.utils.spectral_norm(conv, n_power_iterations=1, eps=1e-12)
        conv = conv.to(dtype)
        conv.train()
        with torch.no_grad():
            conv.weight_orig.copy_(w.to(dtype))
            conv.weight_u.copy_(u.to(dtype))
            conv.weight_v.copy_(v.to(dtype))
        conv(torch.zeros(1, cin, k, k, dtype=dtype))  # the pre-forward hook runs the power iteration
        loss = (conv.weight * gout.to(dtype)).sum()
        loss.backward()
        ok = (
            torch.allclose(conv.weight.detach().double(), ref_w, rtol=rtol, atol=atol)
            and torch.allclose(conv.weight_u.double(), ref_u, rtol=rtol, atol=atol)
            and torch.allclose(conv.weight_v.double(), ref_v, rtol=rtol, atol=atol)
            and torch.allclose(conv.weight_orig.grad.double(), ref_g, rtol=rtol, atol=atol)
        )
        assert ok, f"spectral_norm {grp.name}: explicit math differs from torch.nn.utils.spectral_norm ({dtype})"


def fam_lstm(outdir):
    fam = "lstm"
    cases = [
        # name, input_size, hidden, layers, T, B, zero_state
        ("l2_h7_in5", 5, 7, 2, 4, 3, False),
        ("l3_h16_in10_zero_state", 10, 16, 3, 6, 2, True),
    ]
    with new_file(outdir, fam) as f:
        for name, nin, hid, nl, T, B, zero in cases:
            g = gen(fam, name)
            inputs = {"x": randn(g, T, B, nin)}
            if zero:
                inputs["h0"] = torch.zeros(nl, B, hid)
                inputs["c0"] = torch.zeros(nl, B, hid)
            else:
                inputs["h0"] = randn(g, nl, B, hid) * 0.5
                inputs["c0"] = randn(g, nl, B, hid) * 0.5
            bound = 1.0 / math.sqrt(hid)  # torch's default LSTM init range
            pnames = []
            for l in range(nl):
                lin = nin if l == 0 else hid
                for pn, shp in (
                    (f"weight_ih_l{l}", (4 * hid, lin)),
                    (f"weight_hh_l{l}", (4 * hid, hid)),
                    (f"bias_ih_l{l}", (4 * hid,)),
                    (f"bias_hh_l{l}", (4 * hid,)),
                ):
                    inputs[pn] = ((rand(g, *shp) * 2 - 1) * bound).float()
                    pnames.append(pn)

            def fn(t, nin=nin, hid=hid, nl=nl, pnames=pnames):
                lstm = torch.nn.LSTM(input_size=nin, hidden_size=hid, num_layers=nl, batch_first=False).double()
                for pn in pnames:
                    delattr(lstm, pn)  # replace the Parameters by the (differentiable) inputs
                    setattr(lstm, pn, t[pn])
                lstm._flat_weights = [getattr(lstm, wn) for wn in lstm._flat_weights_names]
                out, (h, c) = lstm(t["x"], (t["h0"], t["c0"]))
                return {"output": out, "h": h, "c": c}

            record(
                f, name, inputs, fn,
                attrs={"input_size": nin, "hidden_size": hid, "num_layers": nl, "batch_first": False},
                gen_for_gout=g,
            )
            _check_lstm_module(f[name], inputs, nin, hid, nl)


def _check_lstm_module(grp, inputs, nin, hid, nl):
    """Cross-check with an ordinary nn.LSTM whose parameters were loaded from the state dict."""
    lstm = torch.nn.LSTM(input_size=nin, hidden_size=hid, num_layers=nl).double()
    sd = {k: v.double() for k, v in inputs.items() if k not in ("x", "h0", "c0")}
    lstm.load_state_dict(sd)
    x = inputs["x"].double().requires_grad_(True)
    out, (h, c) = lstm(x, (inputs["h0"].double(), inputs["c0"].double()))
    loss = sum((o * torch.from_numpy(grp[f"gout_{k}"][()]).double()).sum() for k, o in (("output", out), ("h", h), ("c", c)))
    loss.backward()
    assert torch.allclose(out, torch.from_numpy(grp["out_output"][()]), atol=1e-12)
    assert torch.allclose(x.grad, torch.from_numpy(grp["grad_x"][()]), atol=1e-12)
    assert torch.allclose(lstm.weight_hh_l0.grad, torch.from_numpy(grp["grad_weight_hh_l0"][()]), atol=1e-12)


def fam_adam(outdir):
    fam = "adam"
    cases = [
        # name, lr, beta1, beta2, eps, weight_decay
        ("project_default_lr1em4_wd5em6", 1e-4, 0.9, 0.999, 1e-8, 5e-6),
        ("lr1em3_wd0", 1e-3, 0.9, 0.999, 1e-8, 0.0),
        ("lr1em2_wd1em1_beta1_0p5", 1e-2, 0.5, 0.999, 1e-8, 0.1),
    ]
    with new_file(outdir, fam) as f:
        for name, lr, b1, b2, eps, wd in cases:
            g = gen(fam, name)
            p0 = randn(g, 4, 5)
            grads = [randn(g, 4, 5) * s for s in (1.0, 0.5, 2.0)]
            grp = f.create_group(name)
            set_attrs(grp, {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd, "amsgrad": False})
            write(grp, "param0", p0, np.float32)
            for i, gr in enumerate(grads, 1):
                write(grp, f"grad_step{i}", gr, np.float32)
            p = p0.double().clone().requires_grad_(True)
            opt = torch.optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=False, foreach=False)
            # explicit formula, to document what the fixture is
            mp, m, vv = p0.double().clone(), torch.zeros(4, 5, dtype=torch.float64), torch.zeros(4, 5, dtype=torch.float64)
            for i, gr in enumerate(grads, 1):
                p.grad = gr.double().clone()
                opt.step()
                st = opt.state[p]
                write(grp, f"param_step{i}", p, np.float64)
                write(grp, f"exp_avg_step{i}", st["exp_avg"], np.float64)
                write(grp, f"exp_avg_sq_step{i}", st["exp_avg_sq"], np.float64)
                gg = gr.double() + wd * mp
                m = b1 * m + (1 - b1) * gg
                vv = b2 * vv + (1 - b2) * gg * gg
                denom = vv.sqrt() / math.sqrt(1 - b2**i) + eps
                mp = mp - (lr / (1 - b1**i)) * m / denom
                assert torch.allclose(mp, p.detach(), rtol=0, atol=1e-14), name


def fam_elementwise(outdir):
    fam = "elementwise"
    bin_ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
    }
    with new_file(outdir, fam) as f:
        for op, fn in bin_ops.items():
            for suffix, ashape, bshape in (
                ("bcast", (2, 3, 4), (3, 1)),
                ("bcast3d", (2, 3, 4), (1, 3, 1)),
                ("bcast_both", (2, 1, 4), (3, 1)),
                ("same", (2, 3, 4), (2, 3, 4)),
            ):
                name = f"{op}_{suffix}"
                g = gen(fam, name)
                a = randn(g, *ashape)
                b = away_from_zero(g, *bshape, margin=0.5) if op == "div" else randn(g, *bshape)
                record(f, name, {"a": a, "b": b}, lambda t, fn=fn: fn(t["a"], t["b"]), gen_for_gout=g)

        shape = (3, 4, 5)
        unary = [
            ("relu", lambda g: away_from_zero(g, *shape), lambda x: torch.relu(x), {}),
            ("leaky_relu", lambda g: away_from_zero(g, *shape), lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2}),
            ("sigmoid", lambda g: randn(g, *shape) * 2, torch.sigmoid, {}),
            ("tanh", lambda g: randn(g, *shape) * 2, torch.tanh, {}),
            ("exp", lambda g: randn(g, *shape), torch.exp, {}),
            ("log", lambda g: positive(g, *shape), torch.log, {}),
            ("sqrt", lambda g: positive(g, *shape), torch.sqrt, {}),
            ("pow", lambda g: positive(g, *shape), lambda x: torch.pow(x, 2.5), {"exponent": 2.5}),
            ("pow_int", lambda g: randn(g, *shape), lambda x: torch.pow(x, 2), {"exponent": 2.0}),
            ("relu6", lambda g: _away_from(away_from_zero(g, *shape) * 4 + 3, (0.0, 6.0)), F.relu6, {}),
        ]
        for name, mk, fn, attrs in unary:
            g = gen(fam, name)
            x = mk(g).float()
            record(f, name, {"x": x}, lambda t, fn=fn: fn(t["x"]), attrs=attrs, gen_for_gout=g)


def _away_from(x, kinks, margin=0.05):
    """x with every value at least `margin` from each kink (ReLU6 has two: 0 and 6)."""
    for k in kinks:
        d = x - k
        x = torch.where(d.abs() < margin, k + torch.where(d >= 0, margin, -margin) * torch.ones_like(x), x)
    return x.float()


def fam_reduce(outdir):
    fam = "reduce"
    cases = [
        ("sum_axis1", [1], False, "sum"),
        ("sum_axis1_keepdim", [1], True, "sum"),
        ("sum_all", [0, 1, 2], False, "sum"),
        ("mean_axes02", [0, 2], False, "mean"),
        ("mean_axes02_keepdim", [0, 2], True, "mean"),
        ("max_axis2", [2], False, "max"),
    ]
    with new_file(outdir, fam) as f:
        for name, axes, keep, kind in cases:
            g = gen(fam, name)
            if kind == "max":
                # distinct values, well separated: a shuffled grid plus small noise
                perm = torch.randperm(24, generator=g).float()
                x = ((perm - 12.0) / 4.0 + rand(g, 24) * 0.05).reshape(2, 3, 4).float()
            else:
                x = randn(g, 2, 3, 4)

            def fn(t, axes=axes, keep=keep, kind=kind):
                if kind == "sum":
                    return t["x"].sum(dim=axes, keepdim=keep)
                if kind == "mean":
                    return t["x"].mean(dim=axes, keepdim=keep)
                return t["x"].amax(dim=axes, keepdim=keep)

            record(f, name, {"x": x}, fn, attrs={"axes": axes, "keepdim": keep}, gen_for_gout=g)


def fam_matmul(outdir):
    fam = "matmul"
    with new_file(outdir, fam) as f:
        g = gen(fam, "bmm")
        record(f, "bmm", {"a": randn(g, 3, 4, 5), "b": randn(g, 3, 5, 6)}, lambda t: torch.bmm(t["a"], t["b"]), gen_for_gout=g)
        g = gen(fam, "matmul_2d")
        record(f, "matmul_2d", {"a": randn(g, 4, 5), "b": randn(g, 5, 3)}, lambda t: t["a"] @ t["b"], gen_for_gout=g)
        g = gen(fam, "linear")
        record(
            f, "linear", {"x": randn(g, 6, 5), "weight": randn(g, 3, 5), "bias": randn(g, 3)},
            lambda t: F.linear(t["x"], t["weight"], t["bias"]), gen_for_gout=g,
        )


def _spd(g, *batch):
    a = randn(g, *batch, 2, 2)
    m = a @ a.transpose(-1, -2) + 0.5 * torch.eye(2)
    m = 0.5 * (m + m.transpose(-1, -2))  # exactly symmetric in float32
    return m.float()


def fam_covariance(outdir):
    fam = "covariance"
    with new_file(outdir, fam) as f:
        for suffix, batch in (("", (4,)), ("_batch2x3", (2, 3))):
            for op, fn in (("inverse", torch.linalg.inv), ("cholesky", torch.linalg.cholesky)):
                name = op + suffix
                g = gen(fam, name)
                m = _spd(g, *batch)
                record(f, name, {"m": m}, lambda t, fn=fn: fn(t["m"]), gen_for_gout=g)


def fam_loss(outdir):
    fam = "loss"
    with new_file(outdir, fam) as f:
        g = gen(fam, "mse")
        record(f, "mse", {"a": randn(g, 2, 3, 4, 5), "b": randn(g, 2, 3, 4, 5)},
               lambda t: F.mse_loss(t["a"], t["b"], reduction="mean"), gen_for_gout=g)
        g = gen(fam, "l1")
        a = randn(g, 2, 3, 4, 5)
        b = a + away_from_zero(g, 2, 3, 4, 5, margin=0.05)  # |a - b| >= 0.05: no kink
        record(f, "l1", {"a": a, "b": b.float()}, lambda t: F.l1_loss(t["a"], t["b"], reduction="mean"), gen_for_gout=g)


def fam_layout(outdir):
    fam = "layout"
    with new_file(outdir, fam) as f:
        g = gen(fam, "permute")
        record(f, "permute", {"x": randn(g, 2, 3, 4, 5)}, lambda t: t["x"].permute(0, 2, 3, 1),
               attrs={"perm": [0, 2, 3, 1]}, gen_for_gout=g)
        g = gen(fam, "concat")
        record(f, "concat", {"a": randn(g, 2, 3, 4), "b": randn(g, 2, 1, 4)}, lambda t: torch.cat([t["a"], t["b"]], dim=1),
               attrs={"axis": 1}, gen_for_gout=g)
        g = gen(fam, "slice")
        record(f, "slice", {"x": randn(g, 4, 6)}, lambda t: t["x"][:, 1:5], attrs={"axis": 1, "start": 1, "end": 5},
               gen_for_gout=g)
        # pad: (top, bottom, left, right) as attributes; F.pad takes (left, right, top, bottom).
        for name, (pt, pb, pl, pr) in (("pad_tf_same_k3", (0, 1, 0, 1)), ("pad_tf_same_k5", (1, 2, 1, 2)),
                                       ("pad_uneven", (2, 0, 1, 3))):
            g = gen(fam, name)
            record(f, name, {"x": randn(g, 2, 3, 4, 5)}, lambda t, p=(pl, pr, pt, pb): F.pad(t["x"], p),
                   attrs={"top": pt, "bottom": pb, "left": pl, "right": pr}, gen_for_gout=g)


def tf_same(size, k, s):
    """TensorFlow "SAME" padding along one axis: (before, after), the odd pixel after."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def fam_depthwise_conv2d(outdir):
    """Depthwise conv (groups = channels) after F.pad: every padding the engine supports."""
    fam = "depthwise_conv2d"
    cases = [
        # name, N, C, H, W, k, stride, padding (top, bottom, left, right) or "same", bias
        ("k3_s1_p1_bias", 2, 3, 6, 7, 3, 1, (1, 1, 1, 1), True),
        ("k3_s1_valid", 1, 2, 5, 6, 3, 1, (0, 0, 0, 0), False),
        ("k3_s2_same_even8", 2, 3, 8, 8, 3, 2, "same", False),
        ("k3_s2_same_odd9", 1, 4, 9, 9, 3, 2, "same", True),
        ("k5_s1_same", 2, 3, 7, 6, 5, 1, "same", False),
        ("k5_s2_same_even8", 2, 3, 8, 8, 5, 2, "same", True),
        ("k5_s2_same_nonsquare_7x10", 1, 3, 7, 10, 5, 2, "same", False),
        ("k5_s2_same_16x16", 1, 4, 16, 16, 5, 2, "same", False),
        ("k3_s1_uneven_pad", 1, 2, 5, 4, 3, 1, (2, 0, 1, 3), True),
        # Stride 1 with uneven padding under the kernel size (the input gradient's transposed-conv path).
        ("k3_s1_uneven_pad_small", 2, 2, 5, 6, 3, 1, (2, 0, 0, 1), False),
        ("k5_s1_uneven_pad_small", 1, 3, 6, 5, 5, 1, (0, 3, 4, 1), True),
        # 1x1 (output rows are the phase rows: no compaction) and 2x2 stride 2 (the same).
        ("k1_s1", 1, 2, 4, 5, 1, 1, (0, 0, 0, 0), True),
        ("k2_s2_even", 1, 2, 6, 8, 2, 2, (0, 0, 0, 0), False),
        ("k3_s2_uneven_pad", 1, 2, 6, 7, 3, 2, (0, 2, 3, 1), False),
        ("k5_s1_tiny_3x3", 1, 2, 3, 3, 5, 1, (2, 2, 2, 2), False),
        # Rows of 40 and 20 outputs: the 16-wide register blocks and their tails.
        ("k3_s1_same_wide_3x40", 1, 2, 3, 40, 3, 1, "same", True),
        ("k5_s2_same_wide_4x40", 1, 2, 4, 40, 5, 2, "same", False),
    ]
    with new_file(outdir, fam) as f:
        for name, n, c, h, w, k, s, pad, bias in cases:
            if pad == "same":
                pt, pb = tf_same(h, k, s)
                pl, pr = tf_same(w, k, s)
            else:
                pt, pb, pl, pr = pad
            g = gen(fam, name)
            inputs = {"x": randn(g, n, c, h, w), "w": randn(g, c, 1, k, k) / k}
            if bias:
                inputs["b"] = randn(g, c) * 0.5

            def fn(t, s=s, p=(pl, pr, pt, pb), c=c):
                return F.conv2d(F.pad(t["x"], p), t["w"], t.get("b"), stride=s, groups=c)

            record(f, name, inputs, fn, gen_for_gout=g,
                   attrs={"stride": s, "top": pt, "bottom": pb, "left": pl, "right": pr, "has_bias": bias})


def fam_batch_norm(outdir):
    """Batch norm with running statistics (eval mode); gradients for x, weight and bias."""
    fam = "batch_norm"
    cases = [
        # name, shape, eps, mean offset
        ("n2_c3_4x5_eps1e-3", (2, 3, 4, 5), 1e-3, 0.0),
        ("n1_c4_3x3_eps1e-5", (1, 4, 3, 3), 1e-5, 0.0),
        ("offset_mean5", (2, 3, 4, 4), 1e-3, 5.0),
        ("n3_c2_2d", (3, 2), 1e-3, 0.0),
    ]
    with new_file(outdir, fam) as f:
        for name, shape, eps, offset in cases:
            g = gen(fam, name)
            c = shape[1]
            inputs = {
                "x": randn(g, *shape) + offset,
                "running_mean": randn(g, c) * 0.5 + offset,
                "running_var": positive(g, c, low=0.05),
                "weight": randn(g, c),
                "bias": randn(g, c) * 0.5,
            }

            def fn(t, eps=eps):
                return F.batch_norm(t["x"], t["running_mean"], t["running_var"], t["weight"], t["bias"],
                                    training=False, eps=eps)

            record(f, name, inputs, fn, attrs={"eps": float(eps)}, diff=["x", "weight", "bias"], gen_for_gout=g)


def _per_sample_conv2d_grouped(image, kernels):
    """out[b, n, c] = image[b, c] correlated with kernels[b, n], padding k // 2: one grouped conv
    with a group per (b, n, c)."""
    B, C, H, W = image.shape
    N, k = kernels.shape[1], kernels.shape[2]
    x = image[:, None].expand(B, N, C, H, W).reshape(1, B * N * C, H, W)
    w = kernels[:, :, None].expand(B, N, C, k, k).reshape(B * N * C, 1, k, k)
    return F.conv2d(x, w, padding=k // 2, groups=B * N * C).reshape(B, N, C, H, W)


def _per_sample_conv2d_unfold(image, kernels):
    """The same op written with unfold (patches times kernels), to cross-check the grouped form."""
    B, C, H, W = image.shape
    N, k = kernels.shape[1], kernels.shape[2]
    patches = F.unfold(image, k, padding=k // 2).reshape(B, C, k * k, H * W)
    return torch.einsum("bctp,bnt->bncp", patches, kernels.reshape(B, N, k * k)).reshape(B, N, C, H, W)


def fam_per_sample_conv2d(outdir):
    """Per-sample kernels (CDNA-style): every sample's N kernels applied to each of its channels."""
    fam = "per_sample_conv2d"
    cases = [
        # name, B, C, H, W, N, k
        ("b2_c3_9x7_n3_k5", 2, 3, 9, 7, 3, 5),
        ("b2_c3_9x7_n3_k3", 2, 3, 9, 7, 3, 3),
        # A kernel wider than the image: most taps read padding.
        ("b1_c2_4x6_n2_k7", 1, 2, 4, 6, 2, 7),
    ]
    with new_file(outdir, fam) as f:
        for name, b, c, h, w, n, k in cases:
            g = gen(fam, name)
            inputs = {"image": randn(g, b, c, h, w), "kernels": randn(g, b, n, k, k) / k}
            record(f, name, inputs, lambda t: _per_sample_conv2d_grouped(t["image"], t["kernels"]),
                   attrs={"kernel": k}, gen_for_gout=g)
            _check_per_sample_unfold(f[name], inputs)


def _check_per_sample_unfold(grp, inputs):
    image = inputs["image"].double().requires_grad_(True)
    kernels = inputs["kernels"].double().requires_grad_(True)
    out = _per_sample_conv2d_unfold(image, kernels)
    (out * torch.from_numpy(grp["gout"][()]).double()).sum().backward()
    assert torch.allclose(out, torch.from_numpy(grp["out"][()]), atol=1e-12), grp.name
    assert torch.allclose(image.grad, torch.from_numpy(grp["grad_image"][()]), atol=1e-12), grp.name
    assert torch.allclose(kernels.grad, torch.from_numpy(grp["grad_kernels"][()]), atol=1e-12), grp.name


def _conv_lstm_step(x, state, weight, bias):
    """One ConvLSTM step: gates from one conv over [x, h], PyTorch LSTM's order i, f, g, o."""
    h, c = state
    gates = F.conv2d(torch.cat([x, h], 1), weight, bias, padding=weight.shape[-1] // 2)
    i, f, g, o = gates.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def fam_conv_lstm(outdir):
    """A ConvLSTM cell over two steps from the zero state, step 1's state fed to step 2; upstream
    gradients on both steps' h and c."""
    fam = "conv_lstm"
    cases = [
        # name, B, Cin, hidden, H, W, k
        ("b2_cin3_h4_8x8_k3_2steps", 2, 3, 4, 8, 8, 3),
    ]
    with new_file(outdir, fam) as f:
        for name, b, cin, hid, h, w, k in cases:
            g = gen(fam, name)
            bound = 1.0 / math.sqrt((cin + hid) * k * k)  # torch's Conv2d default init range
            inputs = {
                "x1": randn(g, b, cin, h, w),
                "x2": randn(g, b, cin, h, w),
                "weight": ((rand(g, 4 * hid, cin + hid, k, k) * 2 - 1) * bound).float(),
                "bias": ((rand(g, 4 * hid) * 2 - 1) * bound).float(),
            }

            def fn(t, b=b, hid=hid, h=h, w=w):
                zero = torch.zeros(b, hid, h, w, dtype=torch.float64)
                h1, c1 = _conv_lstm_step(t["x1"], (zero, zero), t["weight"], t["bias"])
                h2, c2 = _conv_lstm_step(t["x2"], (h1, c1), t["weight"], t["bias"])
                return {"h1": h1, "c1": c1, "h2": h2, "c2": c2}

            record(f, name, inputs, fn, attrs={"input_channels": cin, "hidden_channels": hid, "kernel": k},
                   gen_for_gout=g)
    _check_conv_lstm_gate_order()


def _check_conv_lstm_gate_order():
    """On 1x1 images with a 1x1 kernel the ConvLSTM step is nn.LSTMCell: the gate order matches."""
    g = gen("conv_lstm", "gate_order")
    cin, hid, b = 3, 5, 2
    cell = torch.nn.LSTMCell(cin, hid).double()
    x, h, c = randn(g, b, cin).double(), randn(g, b, hid).double(), randn(g, b, hid).double()
    weight = torch.cat([cell.weight_ih, cell.weight_hh], 1)[:, :, None, None]
    h1, c1 = _conv_lstm_step(x[:, :, None, None], (h[:, :, None, None], c[:, :, None, None]), weight,
                             cell.bias_ih + cell.bias_hh)
    h2, c2 = cell(x, (h, c))
    assert torch.allclose(h1[:, :, 0, 0], h2, atol=1e-12) and torch.allclose(c1[:, :, 0, 0], c2, atol=1e-12)


FAMILIES = [
    fam_conv2d, fam_instance_norm, fam_bilinear, fam_nearest, fam_avg_pool2d, fam_softmax, fam_spectral_norm,
    fam_lstm, fam_adam, fam_elementwise, fam_reduce, fam_matmul, fam_covariance, fam_loss, fam_layout,
    fam_depthwise_conv2d, fam_batch_norm, fam_per_sample_conv2d, fam_conv_lstm,
]


# ----------------------------------------------------------------------------------------------
# Checkpoint interop fixture (DESIGN §4)

CKPT_CONFIG = {"n_landmarks": 10, "img_size": 64}
CKPT_STEP = 1234
CKPT_OPT_STEP = 1234


def make_checkpoint(outdir):
    g = gen("checkpoint", "h5py_checkpoint")
    tensors = {
        "pose_encoder.conv1.weight": randn(g, 4, 3, 3, 3),
        "pose_encoder.conv1.bias": randn(g, 4),
        "decoder.head_0.conv_0.weight_orig": randn(g, 8, 4, 3, 3),
        "decoder.head_0.conv_0.weight_u": F.normalize(randn(g, 8), dim=0),
        "decoder.head_0.conv_0.weight_v": F.normalize(randn(g, 36), dim=0),
        "lstm.weight_ih_l0": randn(g, 28, 5),
    }
    trainable = ["pose_encoder.conv1.weight", "pose_encoder.conv1.bias", "decoder.head_0.conv_0.weight_orig",
                 "lstm.weight_ih_l0"]
    opt = {}
    for name in trainable:
        shape = tensors[name].shape
        opt[f"optimizer/{name}.exp_avg"] = randn(g, *shape) * 0.01
        opt[f"optimizer/{name}.exp_avg_sq"] = rand(g, *shape) * 1e-4

    path = os.path.join(outdir, "h5py_checkpoint.h5")
    sums = {}
    with h5py.File(path, "w", libver="earliest") as f:
        for name, t in tensors.items():
            f.create_dataset(name, data=t.numpy().astype(np.float32), dtype=np.float32, track_times=False)
        og = f.create_group("optimizer")
        og.attrs.create("step", np.int64(CKPT_OPT_STEP), dtype=np.int64)
        for name, t in opt.items():
            f.create_dataset(name, data=t.numpy().astype(np.float32), dtype=np.float32, track_times=False)
        f.attrs.create("config", json.dumps(CKPT_CONFIG), dtype=h5py.string_dtype("utf-8"))
        f.attrs.create("step", np.int64(CKPT_STEP), dtype=np.int64)
        for name, t in list(tensors.items()) + list(opt.items()):
            arr = t.numpy().astype(np.float32)
            sums[name] = {
                "shape": list(arr.shape),
                "sum": float(arr.astype(np.float64).sum()),
                "first": float(arr.reshape(-1)[0]),
            }
    with open(os.path.join(outdir, "h5py_checkpoint_sums.json"), "w") as fh:
        json.dump(sums, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return path


# ----------------------------------------------------------------------------------------------


def verify(path):
    with h5py.File(path, "r") as f:
        count = [0]

        def visit(_name, obj):
            if isinstance(obj, h5py.Dataset):
                arr = obj[()]
                if np.issubdtype(arr.dtype, np.floating):
                    assert np.all(np.isfinite(arr)), f"{path}:{obj.name} non-finite"
                count[0] += 1

        f.visititems(visit)
    return count[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine-dir", default=ENGINE_DIR, help="output folder for the op-family fixtures")
    ap.add_argument("--storage-dir", default=STORAGE_DIR, help="output folder for the checkpoint fixture")
    args = ap.parse_args()

    torch.manual_seed(0)  # only nn-module construction draws from the global RNG; values are overwritten
    os.makedirs(args.engine_dir, exist_ok=True)
    os.makedirs(args.storage_dir, exist_ok=True)
    paths = []
    for fam in FAMILIES:
        fam(args.engine_dir)
        paths.append(os.path.join(args.engine_dir, fam.__name__[len("fam_"):] + ".h5"))
    paths.append(make_checkpoint(args.storage_dir))
    total = 0
    for p in paths:
        n = verify(p)
        size = os.path.getsize(p)
        total += size
        print(f"{p:<55} {size / 1024:8.1f} KiB  {n:4d} datasets")
    print(f"total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
