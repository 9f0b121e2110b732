#!/usr/bin/env python3
"""Reads a checkpoint written by LandmarkLab with h5py (needs only h5py and numpy).

Usage (from anywhere):

    python3 Experiments/tools/check_checkpoint.py FILE

Prints one line per dataset (path, shape, dtype, float64 sum and first element), every
attribute with its dtype, the parsed `config` JSON and the `step`, and exits non-zero if any
dataset or attribute fails to load, a tensor is not float32, or `config`/`step` are missing or
of the wrong type (DESIGN §4). The Swift tests run it on a checkpoint they write, so a change
to the writer that h5py cannot read, or that changes a dtype, fails `make test`.
"""

import json
import sys

import h5py
import numpy as np


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == () and isinstance(v.item(), bytes):
        return v.item().decode("utf-8")
    return v


def _attr(obj, k):
    """`dtype=... value=...` as stored (HDF5 type, not numpy's view), the same for any numpy."""
    stored = obj.attrs.get_id(k).dtype
    info = h5py.check_string_dtype(stored)
    v = obj.attrs[k]
    if info is not None:
        kind = "variable" if info.length is None else f"fixed[{info.length}]"
        return f"dtype=string({info.encoding}, {kind}) value={_text(v)!r}"
    v = np.asarray(v)
    return f"dtype={stored} value={v.item() if v.shape == () else v.tolist()!r}"


def check(path):
    failures = []
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001 (report any reader failure, then exit 1)
        print(f"FAIL: cannot open {path}: {e}")
        return 1
    with f:
        datasets, groups = [], [("/", f)]
        f.visititems(lambda n, o: datasets.append((n, o)) if isinstance(o, h5py.Dataset) else groups.append((n, o)))
        for name, ds in datasets:
            try:
                arr = np.asarray(ds[()])
            except Exception as e:  # noqa: BLE001
                failures.append(f"dataset {name}: {e}")
                continue
            total = float(np.sum(arr, dtype=np.float64)) if arr.size else 0.0
            first = arr.reshape(-1)[0].item() if arr.size else None
            print(f"dataset {name} shape={tuple(ds.shape)} dtype={ds.dtype} sum={total:.6g} first={first!r}")
            # Tensors are float32; only run state under state/ is int64.
            want = np.int64 if name.startswith("state/") else np.float32
            if ds.dtype != want:
                failures.append(f"dataset {name}: dtype {ds.dtype}, expected {np.dtype(want)}")
        for gname, obj in groups:
            for k in obj.attrs:
                try:
                    print(f"attr {gname}@{k} {_attr(obj, k)}")
                except Exception as e:  # noqa: BLE001
                    failures.append(f"attribute {gname}@{k}: {e}")
        try:
            print(f"config = {json.dumps(json.loads(_text(f.attrs['config'])), sort_keys=True)}")
        except Exception as e:  # noqa: BLE001
            failures.append(f"config attribute: {e!r}")
        try:
            step = np.asarray(f.attrs["step"])
            if step.dtype != np.int64 or step.shape != ():
                failures.append(f"step attribute: {step.dtype} {step.shape}, expected a scalar int64")
            print(f"step = {int(step)} ({step.dtype})")
        except Exception as e:  # noqa: BLE001
            failures.append(f"step attribute: {e!r}")
    for msg in failures:
        print(f"FAIL: {msg}")
    if failures:
        return 1
    print(f"OK {len(datasets)} datasets")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(check(sys.argv[1]))
