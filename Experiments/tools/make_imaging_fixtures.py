#!/usr/bin/env python3
"""Reference fixtures for Tests/ImagingTests (PNG decode, PIL resize, torchvision color jitter, TPS).

Writes Tests/ImagingTests/Fixtures/:
  png/<case>.png + png_expected.json   PNGs of every colour type / bit depth, written byte by byte
                                        here (struct + zlib), and the float values [3,H,W] they hold
                                        (value / (2^depth - 1), gray replicated, palette expanded,
                                        alpha dropped);
  resize.json                           PIL Image.resize(BILINEAR) of float ("F") planes;
  color_jitter.json                     torchvision.transforms.functional adjust_brightness /
                                        adjust_contrast / adjust_saturation / adjust_hue outputs;
  tps.json                              control points, their targets, scipy RBFInterpolator
                                        (kernel='thin_plate_spline', degree 1) evaluated on the
                                        pixel grid, and the image warped by it with
                                        scipy.ndimage.map_coordinates(order=1, mode='nearest').

Only JSON and PNG (no HDF5), so the Imaging tests do not depend on Storage. Deterministic:
numpy Generator(PCG64) seeded per case. Run from the repository root:
    python3 Experiments/tools/make_imaging_fixtures.py
"""
import json
import os
import struct
import zlib

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from scipy.interpolate import RBFInterpolator
from scipy.ndimage import map_coordinates

OUT = os.path.join("Tests", "ImagingTests", "Fixtures")


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


# ---------------------------------------------------------------- PNG
def png_bytes(width, height, color_type, depth, rows, palette=None, trns=None):
    """rows: list of bytes objects (already packed scanlines without filter byte)."""
    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    raw = b"".join(b"\x00" + r for r in rows)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


def pack_rows(samples, depth):
    """samples: [H, W*channels] ints."""
    rows = []
    for row in samples:
        if depth == 16:
            rows.append(b"".join(struct.pack(">H", int(v)) for v in row))
        elif depth == 8:
            rows.append(bytes(int(v) for v in row))
        else:
            bits = "".join(format(int(v), "0%db" % depth) for v in row)
            bits += "0" * (-len(bits) % 8)
            rows.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


def make_pngs():
    os.makedirs(os.path.join(OUT, "png"), exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(1234))
    W, H = 7, 5
    expected = {}
    # (name, color_type, depth, channels)
    cases = [("gray1", 0, 1, 1), ("gray4", 0, 4, 1), ("gray8", 0, 8, 1), ("gray16", 0, 16, 1),
             ("graya8", 4, 8, 2), ("rgb8", 2, 8, 3), ("rgb16", 2, 16, 3), ("rgba8", 6, 8, 4),
             ("rgba16_opaque", 6, 16, 4), ("palette8", 3, 8, 1)]
    for name, ct, depth, ch in cases:
        maxv = (1 << depth) - 1
        palette = None
        trns = None
        if ct == 3:
            pal = rng.integers(0, 256, size=(6, 3))
            palette = pal.ravel().tolist()
            trns = [255, 128, 0, 255, 10, 255]
            idx = rng.integers(0, 6, size=(H, W))
            samples = idx
            rgb = pal[idx].astype(np.float64) / 255.0
        else:
            samples = rng.integers(0, maxv + 1, size=(H, W * ch))
            if name == "rgba16_opaque":
                s = samples.reshape(H, W, 4)
                s[..., 3] = maxv
                samples = s.reshape(H, W * 4)
            s = samples.reshape(H, W, ch).astype(np.float64) / maxv
            if ch in (1, 2):
                rgb = np.repeat(s[..., :1], 3, axis=2)
            else:
                rgb = s[..., :3]
        data = png_bytes(W, H, ct, depth, pack_rows(samples, depth), palette, trns)
        with open(os.path.join(OUT, "png", name + ".png"), "wb") as f:
            f.write(data)
        expected[name] = {"width": W, "height": H, "pixels": f32list(rgb.transpose(2, 0, 1))}
    # Bad inputs: truncated PNG and a non-PNG file.
    good = open(os.path.join(OUT, "png", "rgb8.png"), "rb").read()
    with open(os.path.join(OUT, "png", "truncated.png"), "wb") as f:
        f.write(good[: len(good) - 30])
    with open(os.path.join(OUT, "png", "not_a_png.png"), "wb") as f:
        f.write(b"GIF89a this is not a png at all")
    with open(os.path.join(OUT, "png_expected.json"), "w") as f:
        json.dump(expected, f)


# ---------------------------------------------------------------- resize
def make_resize():
    rng = np.random.Generator(np.random.PCG64(99))
    cases = []
    for (w, h, ow, oh) in [(40, 30, 17, 11), (16, 12, 37, 29), (36, 36, 18, 18), (50, 20, 50, 7)]:
        img = rng.random((3, h, w), dtype=np.float32)
        out = np.stack([np.asarray(Image.fromarray(img[c], mode="F").resize((ow, oh), Image.BILINEAR))
                        for c in range(3)])
        cases.append({"width": w, "height": h, "out_width": ow, "out_height": oh,
                      "input": f32list(img), "output": f32list(out)})
    with open(os.path.join(OUT, "resize.json"), "w") as f:
        json.dump(cases, f)


# ---------------------------------------------------------------- color jitter
def make_color_jitter():
    rng = np.random.Generator(np.random.PCG64(7))
    img = rng.random((3, 12, 15), dtype=np.float32)
    img[:, 0, :3] = 0.5  # gray pixels (max == min) exercise the hue special case
    img[0, 1, 1] = img[1, 1, 1]  # ties between channels
    t = torch.from_numpy(img)
    ops = []
    for f in [0.6, 1.0, 1.37]:
        ops.append({"op": "brightness", "factor": f, "output": f32list(TF.adjust_brightness(t, f))})
    for f in [0.6, 1.0, 1.4]:
        ops.append({"op": "contrast", "factor": f, "output": f32list(TF.adjust_contrast(t, f))})
    for f in [0.0, 0.6, 1.4]:
        ops.append({"op": "saturation", "factor": f, "output": f32list(TF.adjust_saturation(t, f))})
    for f in [-0.3, -0.05, 0.0, 0.17, 0.3, 0.5]:
        ops.append({"op": "hue", "factor": f, "output": f32list(TF.adjust_hue(t, f))})
    with open(os.path.join(OUT, "color_jitter.json"), "w") as f:
        json.dump({"width": 15, "height": 12, "input": f32list(img), "ops": ops}, f)


# ---------------------------------------------------------------- TPS
def make_tps():
    rng = np.random.Generator(np.random.PCG64(2024))
    S = 32
    g = np.linspace(4, S - 5, 5)
    src = np.array([(x, y) for y in g for x in g], dtype=np.float64)
    dst = src + rng.uniform(-2.5, 2.5, size=src.shape)
    interp = RBFInterpolator(src, dst, kernel="thin_plate_spline", degree=1, smoothing=0.0)
    ys, xs = np.mgrid[0:S, 0:S]
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    mapped = interp(grid)  # [S*S, 2] (x, y) sampling positions
    img = rng.random((3, S, S), dtype=np.float32)
    warped = np.stack([map_coordinates(img[c].astype(np.float64), [mapped[:, 1], mapped[:, 0]],
                                       order=1, mode="nearest").reshape(S, S) for c in range(3)])
    with open(os.path.join(OUT, "tps.json"), "w") as f:
        json.dump({"size": S, "source": src.ravel().tolist(), "target": dst.ravel().tolist(),
                   "map_x": mapped[:, 0].tolist(), "map_y": mapped[:, 1].tolist(),
                   "input": f32list(img), "warped": f32list(warped)}, f)


if __name__ == "__main__":
    make_pngs()
    make_resize()
    make_color_jitter()
    make_tps()
    print("wrote", OUT)
