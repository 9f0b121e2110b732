#!/usr/bin/env python3
"""Prints the FNV-1a (64-bit) checksum of a LandmarkLab checkpoint's floats (h5py + numpy only).

Usage: python3 Experiments/tools/checkpoint_checksum.py FILE

Every dataset outside state/ (the tensors and optimizer/ state), in sorted path order, each
float32's 4 bytes little-endian: the number Tests/TrainingTests/BatchSplitOrderTests.swift
computes from the checkpoint it trains, so a checkpoint made by another build (main's binary)
can be compared with it bit for bit.
"""

import sys

import h5py
import numpy as np


def main(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        h = 0xCBF29CE484222325
        for name in sorted(n for n in names if not n.startswith("state/")):
            data = np.ascontiguousarray(f[name][()], dtype="<f4").tobytes()
            for b in data:
                h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    print(h)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: checkpoint_checksum.py FILE")
    main(sys.argv[1])
