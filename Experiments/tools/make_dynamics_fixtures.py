"""Reference fixtures for Tests/DynamicsTests (PyTorch float64 on float32 inputs; scipy).

residual_lstm.h5 — the residual LSTM over an "n inputs, m future" schedule. One group per case;
  inputs (float32): `x` [B, L, D] (a ground-truth window of states, L = n + m) and the
  parameters `lstm.weight_ih_l{k}` [4H, 2D or H], `lstm.weight_hh_l{k}` [4H, H],
  `lstm.bias_ih_l{k}`, `lstm.bias_hh_l{k}` [4H], `linear.weight` [D, H], `linear.bias` [D];
  attributes n_inputs, n_future, hidden_size, num_layers, state_size (int64), residual_scale
  (float64). Math (torch.nn.LSTM + nn.Linear, one time step per call, zero initial state):
      for t = 0 .. L-2:  s_t = x[:, t] if t < n else p_t   (own prediction, not detached)
                         v_t = s_t - s_{t-1} (v_0 = 0);  h = LSTM([s_t, c·v_t]);  p_{t+1} = s_t + Linear(h) / c
  outputs (float64): `out_pred` [B, L-1, D], `out_loss` [] = mean((pred - x[:, 1:])²), and
  `grad_<name>` = d out_loss / d name for every parameter and `x`.

gaussian_interp.h5 — group `w2`: `mu_a`, `mu_b` [P, 2], `cov_a`, `cov_b` [P, 2, 2], `alpha` [A],
  `mu_t` [P, A, 2], `cov_t` [P, A, 2, 2] (float64): the Wasserstein-2 geodesic
  Σ(α) = M Σa M, M = (1-α) I + α T, T = Σa^-½ (Σa^½ Σb Σa^½)^½ Σa^-½ (scipy.linalg.sqrtm),
  over generic, near-degenerate, near-isotropic, identical and commuting pairs.

Run from the repository root: python3 Experiments/tools/make_dynamics_fixtures.py [--out DIR].
Each case is seeded with crc32("<family>/<case>"), so the files are reproducible.
"""

import argparse
import os
import zlib

import h5py
import numpy as np
import scipy.linalg
import torch

CASES = [  # name, D, H, layers, B, n, m, c
    ("d10_h16_l2_n3_m2", 10, 16, 2, 3, 3, 2, 1.0),
    ("d15_h8_l3_n2_m4_scaled", 15, 8, 3, 2, 2, 4, 10.0),
    ("d10_h12_l1_n4_m0_teacher", 10, 12, 1, 2, 4, 0, 1.0),
    ("d20_h16_l3_n1_m5_free", 20, 16, 3, 2, 1, 5, 4.0),
]


def gen(family, case):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(f"{family}/{case}".encode()))
    return g


def schedule(lstm, linear, x, n, c):
    b, length, d = x.shape
    state = None
    prev = None
    own = None
    preds = []
    for t in range(length - 1):
        s = x[:, t] if t < n else own
        v = torch.zeros_like(s) if prev is None else s - prev
        out, state = lstm(torch.cat([s, c * v], dim=-1).unsqueeze(0), state)
        p = s + linear(out[0]) / c
        preds.append(p)
        prev, own = s, p
    pred = torch.stack(preds, dim=1)
    return pred, ((pred - x[:, 1:]) ** 2).mean()


def manual_schedule(params, layers, x, n, c):
    """The same schedule with hand-written LSTM cells (cross-check)."""
    b, length, d = x.shape
    hidden = params["lstm.weight_hh_l0"].shape[1]
    h = [x.new_zeros(b, hidden) for _ in range(layers)]
    cs = [x.new_zeros(b, hidden) for _ in range(layers)]
    prev = own = None
    preds = []
    for t in range(length - 1):
        s = x[:, t] if t < n else own
        v = torch.zeros_like(s) if prev is None else s - prev
        inp = torch.cat([s, c * v], dim=-1)
        for k in range(layers):
            gates = (inp @ params[f"lstm.weight_ih_l{k}"].T + params[f"lstm.bias_ih_l{k}"]
                     + h[k] @ params[f"lstm.weight_hh_l{k}"].T + params[f"lstm.bias_hh_l{k}"])
            i, f, g, o = gates.chunk(4, dim=1)
            cs[k] = torch.sigmoid(f) * cs[k] + torch.sigmoid(i) * torch.tanh(g)
            h[k] = torch.sigmoid(o) * torch.tanh(cs[k])
            inp = h[k]
        p = s + (inp @ params["linear.weight"].T + params["linear.bias"]) / c
        preds.append(p)
        prev, own = s, p
    pred = torch.stack(preds, dim=1)
    return pred, ((pred - x[:, 1:]) ** 2).mean()


def residual_lstm(out):
    with h5py.File(os.path.join(out, "residual_lstm.h5"), "w", libver="earliest", track_order=False) as f:
        for name, d, hid, layers, b, n, m, c in CASES:
            g = gen("residual_lstm", name)
            bound = 1.0 / hid ** 0.5
            params = {}
            for k in range(layers):
                fan = 2 * d if k == 0 else hid
                for pn, shape in ((f"weight_ih_l{k}", (4 * hid, fan)), (f"weight_hh_l{k}", (4 * hid, hid)),
                                  (f"bias_ih_l{k}", (4 * hid,)), (f"bias_hh_l{k}", (4 * hid,))):
                    params["lstm." + pn] = (torch.rand(shape, generator=g) * 2 - 1) * bound
            params["linear.weight"] = (torch.rand((d, hid), generator=g) * 2 - 1) * bound
            params["linear.bias"] = (torch.rand((d,), generator=g) * 2 - 1) * 0.1
            x = torch.randn((b, n + m, d), generator=g) * 0.3

            lstm = torch.nn.LSTM(2 * d, hid, layers).double()
            linear = torch.nn.Linear(hid, d).double()
            sd = {k[5:]: v.double() for k, v in params.items() if k.startswith("lstm.")}
            lstm.load_state_dict(sd)
            linear.load_state_dict({"weight": params["linear.weight"].double(), "bias": params["linear.bias"].double()})
            xd = x.double().requires_grad_(True)
            pred, loss = schedule(lstm, linear, xd, n, c)
            names = [f"lstm.{k}" for k, _ in lstm.named_parameters()] + [f"linear.{k}" for k, _ in linear.named_parameters()]
            tensors = list(lstm.parameters()) + list(linear.parameters())
            grads = torch.autograd.grad(loss, tensors + [xd])

            # Cross-check against hand-written cells.
            pd = {k: v.double().requires_grad_(True) for k, v in params.items()}
            xm = x.double().requires_grad_(True)
            pred2, loss2 = manual_schedule(pd, layers, xm, n, c)
            grads2 = torch.autograd.grad(loss2, [pd[k] for k in names] + [xm])
            assert torch.allclose(pred, pred2, atol=1e-10), name
            for a, b2 in zip(grads, grads2):
                assert torch.allclose(a, b2, atol=1e-10), name

            grp = f.create_group(name)
            for k, v in (("n_inputs", n), ("n_future", m), ("hidden_size", hid), ("num_layers", layers), ("state_size", d)):
                grp.attrs[k] = np.int64(v)
            grp.attrs["residual_scale"] = np.float64(c)
            grp.create_dataset("x", data=x.numpy().astype(np.float32))
            for k, v in params.items():
                grp.create_dataset(k, data=v.numpy().astype(np.float32))
            grp.create_dataset("out_pred", data=pred.detach().numpy())
            grp.create_dataset("out_loss", data=np.float64(loss.item()))
            for k, gr in zip(names + ["x"], grads):
                grp.create_dataset(f"grad_{k}", data=gr.numpy())


def spd(rng, kind):
    if kind == "degenerate":
        big = 10 ** rng.uniform(-3, -1)
        small = max(big * 10 ** rng.uniform(-4, -3), 1e-6)
    elif kind == "isotropic":
        big = 10 ** rng.uniform(-3, -1)
        small = big * (1 - 1e-6 * rng.uniform())
    else:
        big, small = sorted(10 ** rng.uniform(-3, -1, size=2))[::-1]
    th = rng.uniform(-np.pi, np.pi)
    r = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    return r @ np.diag([big, small]) @ r.T


def sqrtm(a):
    s = np.real(scipy.linalg.sqrtm(a))
    return (s + s.T) / 2


def gaussian_interp(out):
    rng = np.random.default_rng(zlib.crc32(b"gaussian_interp/w2"))
    kinds = ["generic"] * 120 + ["degenerate"] * 20 + ["isotropic"] * 20 + ["identical"] * 20 + ["commuting"] * 20
    alpha = np.array([0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    mu_a, mu_b, cov_a, cov_b = [], [], [], []
    for kind in kinds:
        a = spd(rng, "generic" if kind in ("identical", "commuting") else kind)
        if kind == "identical":
            b = a.copy()
        elif kind == "commuting":
            w, v = np.linalg.eigh(a)
            b = v @ np.diag(10 ** rng.uniform(-3, -1, size=2)) @ v.T
        else:
            b = spd(rng, kind)
        cov_a.append((a + a.T) / 2)
        cov_b.append((b + b.T) / 2)
        mu_a.append(rng.uniform(-1, 1, size=2))
        mu_b.append(rng.uniform(-1, 1, size=2))
    mu_a, mu_b, cov_a, cov_b = map(np.array, (mu_a, mu_b, cov_a, cov_b))
    p = len(kinds)
    mu_t = np.zeros((p, len(alpha), 2))
    cov_t = np.zeros((p, len(alpha), 2, 2))
    for i in range(p):
        ra = sqrtm(cov_a[i])
        ria = np.linalg.inv(ra)
        t = ria @ sqrtm(ra @ cov_b[i] @ ra) @ ria
        t = (t + t.T) / 2
        for j, al in enumerate(alpha):
            mm = (1 - al) * np.eye(2) + al * t
            c = mm @ cov_a[i] @ mm
            cov_t[i, j] = (c + c.T) / 2
            mu_t[i, j] = (1 - al) * mu_a[i] + al * mu_b[i]
            assert np.all(np.linalg.eigvalsh(cov_t[i, j]) > 0), (i, al)
        assert np.allclose(cov_t[i, 0], cov_a[i], rtol=1e-9, atol=1e-15)
        assert np.allclose(cov_t[i, -1], cov_b[i], rtol=1e-7, atol=1e-13), i
    with h5py.File(os.path.join(out, "gaussian_interp.h5"), "w", libver="earliest", track_order=False) as f:
        grp = f.create_group("w2")
        for k, v in (("mu_a", mu_a), ("mu_b", mu_b), ("cov_a", cov_a), ("cov_b", cov_b), ("alpha", alpha),
                     ("mu_t", mu_t), ("cov_t", cov_t)):
            grp.create_dataset(k, data=v.astype(np.float64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/DynamicsTests/Fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    residual_lstm(args.out)
    gaussian_interp(args.out)


if __name__ == "__main__":
    main()
