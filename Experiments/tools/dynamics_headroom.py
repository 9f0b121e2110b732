#!/usr/bin/env python3
"""How much better than holding the last state can any predictor do on these landmark tracks?

Reads the state caches of a dynamics run (states_train.h5, states_val.h5: DESIGN §4 landmark
files) and fits, per horizon h, a regression from the 2 context frames (means at t-1, t) to
the mean at t+h on the train sequences; reports the mean landmark-mean error in pixels on the
val sequences (appearances never seen in training) beside hold-state and constant velocity.
A diagnostic for the LSTM's figures: if a ridge regression beats hold-state by X%, an LSTM that
does not is not learning what the data allows (or is overfitting).

usage: dynamics_headroom.py RUN_DIR [--size 64] [--horizons 5,10,28]
"""
import argparse
import h5py
import numpy as np


def tracks(path):
    with h5py.File(path, "r") as f:
        mu = f["mu"][...]
        seq = [s.decode() if isinstance(s, bytes) else str(s) for s in f["sequence"][...]]
    out, start = [], 0
    for i in range(1, len(seq) + 1):
        if i == len(seq) or seq[i] != seq[start]:
            out.append(mu[start:i].reshape(i - start, -1))
            start = i
    return out


def pairs(seqs, h, every_start):
    xs, ys, last, prev = [], [], [], []
    for s in seqs:
        starts = range(1, len(s) - h) if every_start else [1]
        for t in starts:
            xs.append(np.concatenate([s[t], s[t] - s[t - 1]]))
            ys.append(s[t + h] - s[t])
            last.append(s[t]); prev.append(s[t - 1])
    return np.array(xs), np.array(ys), np.array(last), np.array(prev)


def features(x, quadratic):
    f = [x, np.ones((len(x), 1))]
    if quadratic:
        f.append(np.einsum("ni,nj->nij", x, x)[:, np.triu_indices(x.shape[1])[0], np.triu_indices(x.shape[1])[1]])
    return np.concatenate(f, axis=1)


def px(delta, size):  # mean over landmarks of |Δμ| in pixels (coordinates span [-1, 1] over S px)
    d = delta.reshape(len(delta), -1, 2)
    return float(np.mean(np.linalg.norm(d, axis=2)) * size / 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--horizons", default="5,10,28")
    ap.add_argument("--ridge", type=float, default=1e-3)
    a = ap.parse_args()
    train, val = tracks(a.run_dir + "/states_train.h5"), tracks(a.run_dir + "/states_val.h5")
    print(f"{len(train)} train, {len(val)} val sequences; val: every start t>=1 / first window only")
    print(f"{'h':>3} {'hold':>7} {'c.vel':>7} {'ridge':>7} {'ridge2':>7}   (px, every start)")
    for h in map(int, a.horizons.split(",")):
        xt, yt, _, _ = pairs(train, h, True)
        xv, yv, lv, pv = pairs(val, h, True)
        res = []
        for quad in (False, True):
            ft, fv = features(xt, quad), features(xv, quad)
            w = np.linalg.solve(ft.T @ ft + a.ridge * len(ft) * np.eye(ft.shape[1]), ft.T @ yt)
            res.append(px(fv @ w - yv, a.size))
        hold = px(yv, a.size)
        cv = px((lv - pv) * h - yv, a.size)
        print(f"{h:>3} {hold:7.3f} {cv:7.3f} {res[0]:7.3f} {res[1]:7.3f}")


if __name__ == "__main__":
    main()
