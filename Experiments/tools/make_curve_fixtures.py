#!/usr/bin/env python3
"""Reference values for LandmarkLab's prediction-curve statistics (Student t quantiles and the
95% interval of a mean), computed with scipy.

Usage (from the repository root; needs scipy and numpy, a second):

    python3 Experiments/tools/make_curve_fixtures.py

Writes Tests/MetricsTests/Fixtures/student_t.json:
  * "quantiles": [{"p", "df", "t"}] with t = scipy.stats.t.ppf(p, df), for tail and central
    probabilities and degrees of freedom 1 to 10^6 (the t table the Swift code is checked
    against to 1e-9 relative);
  * "intervals": [{"values", "mean", "low", "high"}] with the mean of `values` and
    scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=sem) (sem with ddof=1).
"""
import json
import pathlib

import numpy as np
from scipy import stats

OUT = pathlib.Path("Tests/MetricsTests/Fixtures/student_t.json")

ps = [0.0005, 0.025, 0.1, 0.4, 0.5, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995]
dfs = [1, 2, 3, 4, 5, 6, 7, 9, 10, 15, 20, 29, 30, 31, 50, 99, 100, 250, 1000, 1000000]
quantiles = [{"p": p, "df": df, "t": float(stats.t.ppf(p, df))} for df in dfs for p in ps]

rng = np.random.default_rng(11)
samples = [
    [0.5, 0.7],
    [1.0, 2.0, 4.0],
    [28.1, 27.4, 29.9, 26.2, 27.7],
    [3.0, 3.0, 3.0, 3.0],  # zero spread: the interval collapses to the mean
]
samples += [list(np.round(rng.normal(0.3, 0.05, n), 6)) for n in (8, 30, 200)]
intervals = []
for v in samples:
    a = np.asarray(v, dtype=np.float64)
    mean = float(a.mean())
    sem = float(a.std(ddof=1) / np.sqrt(len(a)))
    if sem == 0:
        low = high = mean
    else:
        low, high = stats.t.interval(0.95, len(a) - 1, loc=mean, scale=sem)
    intervals.append({"values": [float(x) for x in v], "mean": mean, "low": float(low), "high": float(high)})

OUT.write_text(json.dumps({"quantiles": quantiles, "intervals": intervals}, indent=1) + "\n")
print(f"wrote {OUT}: {len(quantiles)} quantiles, {len(intervals)} intervals")
