#!/usr/bin/env python3
"""Write the PyTorch checkpoint fixtures for Tests/StorageTests/PyTorchCheckpointTests.swift.

Usage (from the repository root; needs torch and numpy, CPU only, about a second):

    python3 Experiments/tools/make_pytorch_fixtures.py [--out Tests/StorageTests/Fixtures]

Writes, in both torch.save formats (`*_zip.*` with the default zip serialization, `*_legacy.*`
with `_use_new_zipfile_serialization=False`):

- pytorch_dtypes_{zip,legacy}.pt: float32 / float16 / bfloat16 / float64 / int64 / int32 / uint8 /
  bool tensors with special values (+-0, subnormals, +-inf, NaN), a transposed (non-contiguous)
  view, a slice with a storage offset and two strides, two tensors sharing one storage, an
  expanded view (stride 0), a 0-d scalar, an empty tensor and an nn.Parameter, in an OrderedDict;
- pytorch_dtypes_proto4_zip.pt: the same, pickled with protocol 4 (torch's default is 2);
- pytorch_lightning_{zip,legacy}.ckpt: a PyTorch-Lightning-style checkpoint (epoch, global_step,
  state_dict, hyper_parameters as Lightning's AttributeDict, optimizer_states with Adam state, an
  empty lr_schedulers list);
- pytorch_authors_{zip,legacy}.ckpt: a state dict saved the way NVIDIA/UnsupervisedLandmarkLearning's
  save_weights does (torch.save(model.state_dict(), path)), with its module names
  (shape_encoder / appearance_encoder / image_decoder) and spectral-norm weight_orig / weight_u /
  weight_v;
- pytorch_tiny_{full,missing}_zip.pt: the state dict of a two-tensor module, whole and without
  `conv.bias` (strict loading must name it);
- ../../LandmarksTests/Fixtures/vgg19_tiny_torchvision.pth: torchvision's vgg19 state-dict layout
  (16 convs and the classifier) at stage widths 2, 2, 4, 4, for VGG19Features.load;
- pytorch_view_legacy.pt: a legacy file with a storage *view* (persistent id view metadata), written
  by a hand-made pickler because torch no longer writes them;
and hostile files the reader must refuse without executing anything:
- pytorch_evil_os_system_{zip,legacy}.pt (a reduce of os.system), pytorch_evil_eval_zip.pt
  (builtins.eval), pytorch_evil_load_from_bytes_zip.pt (torch.storage._load_from_bytes);
- pytorch_truncated_zip.pt (the dtypes file cut at 60 %), pytorch_truncated_legacy.pt (cut in the
  middle of its last storage), pytorch_short_storage_zip.pt (`weight` [4, 4] whose data/0 holds 8
  floats), pytorch_compressed_zip.pt (entries deflated), pytorch_zip64_zip.pt (an end record that
  needs ZIP64), pytorch_bad_crc_zip.pt (one storage byte flipped), pytorch_deep_zip.pt (dicts
  nested 80 deep);

and pytorch_expected.json: per good file, its tensors in file order (dotted name, dtype, shape,
float32 bit patterns of torch's own `.float()` conversion; torch turns a float16 NaN into
0x7fffffff on its scalar path and into the quieted payload on its vector path, so the Swift test
compares NaN payloads only for float32, which is copied) and metadata leaves (name, kind,
value; floats as the hex of their float64 bits), flattened by the rule PyTorchCheckpoint.swift
documents, computed here from torch.load's result, independently of the Swift reader.

The output is deterministic for a given torch version (fixed seeds); commit script and
fixtures together.
"""

import argparse
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "Tests", "StorageTests", "Fixtures")
LANDMARKS_OUT = os.path.join(HERE, "..", "..", "Tests", "LandmarksTests", "Fixtures")
VGG19_CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def save(obj, path, fmt, protocol=2):
    torch.save(obj, path, _use_new_zipfile_serialization=(fmt == "zip"), pickle_protocol=protocol)
    if fmt == "legacy":
        canonical_legacy_keys(path)


ELEMENT_SIZES = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8, "LongStorage": 8,
                 "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1}


class _Stub(dict):
    """What every other global becomes: a dict that accepts any arguments and calls nothing."""

    def __new__(cls, *args, **kwargs):
        return dict.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass


class _PidCollector(pickle.Unpickler):
    """Reads a legacy main pickle only to collect its storage persistent ids: every global
    resolves to a harmless stand-in, so nothing in the file is ever called."""

    def __init__(self, stream):
        super().__init__(stream)
        self.pids = []

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return name
        return _Stub

    def persistent_load(self, pid):
        self.pids.append(pid)
        return None


def canonical_legacy_keys(path):
    """torch's legacy writer names storages by memory address (str(storage._cdata)) and writes
    them sorted by that name, so its bytes change on every run. Renames the storages "0", "1", ...
    in order of first use and writes their records in that order: same contents, reproducible
    bytes."""
    raw = open(path, "rb").read()
    stream = io.BytesIO(raw)
    for _ in range(3):
        pickle.load(stream)
    main_start = stream.tell()
    collector = _PidCollector(stream)
    collector.load()
    main_end = stream.tell()
    keys = pickle.load(stream)
    sizes, order = {}, []
    for pid in collector.pids:
        sizes[pid[2]] = ELEMENT_SIZES[pid[1]]
        if pid[2] not in order:
            order.append(pid[2])
    records = {}
    for k in keys:
        (n,) = struct.unpack("<q", stream.read(8))
        records[k] = struct.pack("<q", n) + stream.read(n * sizes[k])
    rename = {k: str(i) for i, k in enumerate(order)}
    main = raw[main_start:main_end]
    for k, new in rename.items():
        main = main.replace(b"X" + struct.pack("<I", len(k)) + k.encode(), b"X" + struct.pack("<I", len(new)) + new.encode())
    new_keys = [rename[k] for k in order if k in records]
    out = raw[:main_start] + main + pickle.dumps(new_keys, protocol=2) + b"".join(records[k] for k in order if k in records)
    open(path, "wb").write(out)


def f16_from_bits(bits):
    return torch.tensor(np.array(bits, dtype=np.uint16).view(np.int16)).view(torch.float16)


def dtypes_dict():
    g = torch.Generator().manual_seed(1)
    f32 = torch.randn(2, 3, 4, generator=g)
    f32.view(-1)[:6] = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), 1e-45, float("nan")])
    f32.view(-1)[6:7] = torch.tensor(np.array([0x7FA00001], dtype=np.uint32).view(np.int32)).view(torch.float32)  # sNaN payload
    # float16: normals, +-0, smallest and largest subnormals, +-inf, max, a quiet NaN.
    f16 = f16_from_bits([0x3C00, 0xC000, 0x0000, 0x8000, 0x0001, 0x03FF, 0x8001, 0x7C00, 0xFC00, 0x7BFF, 0x7E00, 0x3555])
    bf16 = torch.tensor([1.0, -2.5, 3.140625, 1e-38, -0.0, 65280.0], dtype=torch.bfloat16)
    f64 = torch.randn(3, 3, generator=g, dtype=torch.float64)
    f64[0, 0] = 1.0 + 2.0**-30  # rounds to 1.0 in float32
    f64[0, 1] = 1e-50  # underflows to 0
    f64[0, 2] = 1e300  # overflows to inf
    i64 = torch.tensor([0, -1, 7, 2**24 + 1, -(2**40) - 3, 2**62], dtype=torch.int64)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5 - 1
    grid = torch.arange(30, dtype=torch.float32).reshape(5, 6)
    shared = torch.arange(12, dtype=torch.float32) + 100
    return collections.OrderedDict(
        [
            ("f32", f32),
            ("f16", f16),
            ("bf16", bf16),
            ("f64", f64),
            ("i64", i64),
            ("i32", torch.tensor([-(2**31), 5, 2**31 - 1], dtype=torch.int32)),
            ("u8", torch.tensor([0, 1, 255], dtype=torch.uint8)),
            ("flag", torch.tensor([True, False, True])),
            ("transposed", base.t()),  # [4, 3], stride (1, 4)
            ("sliced", grid[1:4, 2:6:2]),  # offset 8, stride (6, 2)
            ("shared.whole", shared.view(3, 4)),
            ("shared.part", shared[4:10].view(2, 3)),  # same storage, offset 4
            ("expanded", torch.tensor([1.5, -2.0, 3.25]).expand(2, 3)),  # stride (0, 1)
            ("scalar", torch.tensor(2.75)),
            ("empty", torch.zeros(0, 3)),
            ("param", nn.Parameter(torch.tensor([[0.25, -0.5]]))),
        ]
    )


def attribute_dict_class():
    """A stand-in for lightning.fabric.utilities.data.AttributeDict (a dict subclass Lightning
    keeps hyper_parameters in), registered under that module name so pickle writes that global
    without Lightning installed."""
    import sys
    import types

    name = "lightning.fabric.utilities.data"
    if name not in sys.modules:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
        cls = type("AttributeDict", (dict,), {"__module__": name})
        sys.modules[name].AttributeDict = cls
    return sys.modules[name].AttributeDict


def lightning_dict():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999))
    model(torch.randn(2, 3, 5, 5)).square().mean().backward()
    opt.step()
    state = collections.OrderedDict(("model." + k, v) for k, v in model.state_dict().items())
    return {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": state,
        "loops": None,
        "hyper_parameters": attribute_dict_class()(lr=1e-4, n_landmarks=10, name="bbc", betas=(0.9, 0.999), use_vgg=True),
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [],
    }


class Authors(nn.Module):
    """Module names as in the reference's PartFactorizedModel (tiny widths)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.shape_encoder = nn.Module()
        self.shape_encoder.conv1 = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1))
        self.shape_encoder.final_conv = nn.Conv2d(2, 4, 1)
        self.appearance_encoder = nn.Module()
        self.appearance_encoder.conv1 = nn.Sequential(nn.Conv2d(6, 2, 3, padding=1))
        self.image_decoder = nn.Module()
        self.image_decoder.fc = nn.Conv2d(2, 4, 3, padding=1)
        head = nn.Module()
        head.conv_0 = nn.utils.spectral_norm(nn.Conv2d(4, 4, 3, padding=1))
        head.conv_1 = nn.utils.spectral_norm(nn.Conv2d(4, 4, 3, padding=1))
        head.norm_0 = nn.Module()
        head.norm_0.mlp_shared = nn.Sequential(nn.Conv2d(4, 3, 3, padding=1), nn.ReLU())
        self.image_decoder.head_0 = head
        self.image_decoder.conv_img = nn.Conv2d(4, 3, 3, padding=1)


def vgg19_tiny_torchvision():
    """torchvision's vgg19 state-dict layout (all 16 convs and the classifier) at stage widths
    2, 2, 4, 4 (then 4), so that VGG19Features must read features[:23] and leave the rest."""
    g = torch.Generator().manual_seed(5)
    widths = {0: 2, 2: 2, 5: 2, 7: 2, 10: 4, 12: 4, 14: 4, 16: 4, 19: 4, 21: 4, 23: 4, 25: 4, 28: 4, 30: 4, 32: 4, 34: 4}
    sd, c = collections.OrderedDict(), 3
    for i in VGG19_CONVS:
        o = widths[i]
        sd[f"features.{i}.weight"] = torch.randn(o, c, 3, 3, generator=g)
        sd[f"features.{i}.bias"] = torch.randn(o, generator=g)
        c = o
    for i, (o, n) in {0: (6, 4 * 49), 3: (6, 6), 6: (5, 6)}.items():
        sd[f"classifier.{i}.weight"] = torch.randn(o, n, generator=g)
        sd[f"classifier.{i}.bias"] = torch.randn(o, generator=g)
    return sd


class TinyModel(nn.Module):
    """Mirrors the Swift test's module: `weight` [2, 3], `conv.bias` [2], buffer `conv.weight_u` [2]."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        self.conv = nn.Module()
        self.conv.bias = nn.Parameter(torch.tensor([0.5, -0.5]))
        self.conv.register_buffer("weight_u", torch.tensor([0.25, 0.75]))


class Evil:
    """Pickles as a call of `fn(*args)`; the reader must refuse the global and run nothing."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


# ---------------------------------------------------------------- expected values


def flatten(obj, name, tensors, metadata):
    def child(c):
        return c if name == "" else name + "." + c

    if isinstance(obj, torch.Tensor):
        tensors.append((name or "tensor", obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            key = {True: "True", False: "False"}.get(k, None) if isinstance(k, bool) else None
            flatten(v, child(key if key is not None else ("None" if k is None else str(k))), tensors, metadata)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, child(str(i)), tensors, metadata)
    elif obj is None:
        metadata.append([name, "none", None])
    elif isinstance(obj, bool):
        metadata.append([name, "bool", obj])
    elif isinstance(obj, int):
        metadata.append([name, "int", obj])
    elif isinstance(obj, float):
        metadata.append([name, "float", struct.pack(">d", obj).hex()])
    elif isinstance(obj, str):
        metadata.append([name, "string", obj])
    else:
        raise TypeError(f"{name}: {type(obj)} not expected in a fixture")


def expected_for(path):
    obj = torch.load(path, map_location="cpu", weights_only=False)
    tensors, metadata = [], []
    flatten(obj, "", tensors, metadata)
    out = []
    for name, t in tensors:
        f = t.detach().to(torch.float32).contiguous().reshape(-1)
        bits = f.view(torch.int32).numpy().astype(np.uint32).tolist()
        out.append({"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "bits": bits})
    return {"tensors": out, "metadata": metadata}


# ---------------------------------------------------------------- hand-made and damaged files


def write_legacy_view(path):
    """A legacy file whose tensor lives in a storage view ('v', offset 2, 4 elements) of root 'r'."""

    class Marker:
        pass

    storage, rebuild = Marker(), Marker()

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if obj is storage:
                return ("storage", torch.FloatStorage, "r", "cpu", 8, ("v", 2, 4))
            return None

        def reducer_override(self, obj):
            if obj is rebuild:
                return (torch._utils._rebuild_tensor_v2, (storage, 1, (2, 1), (2, 1), False, collections.OrderedDict()))
            return NotImplemented

    buf = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, buf, protocol=2)
    P(buf, protocol=2).dump(collections.OrderedDict([("v", rebuild)]))
    pickle.dump(["r"], buf, protocol=2)
    root = np.arange(8, dtype="<f4") * 1.5
    buf.write(struct.pack("<q", 8) + root.tobytes())
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    # root[2:6] viewed from element 1 as [2, 1] with stride (2, 1): root[3], root[5].
    return {"tensors": [{"name": "v", "dtype": "float32", "shape": [2, 1], "bits": [int(np.float32(x).view(np.uint32)) for x in (root[3], root[5])]}], "metadata": []}


def rewrite_zip(src, dst, transform=None, compression=zipfile.ZIP_STORED):
    """Copies a zip entry by entry (optionally changing an entry's bytes or the compression)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if transform:
                data = transform(info.filename, data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            zout.writestr(fixed, data, compress_type=compression)


def write_efficientnet_expected(src, dst):
    sd = torch.load(src, map_location="cpu", weights_only=True)
    detail = ["_conv_stem.weight", "_bn0.running_mean", "_bn0.running_var", "_bn0.num_batches_tracked",
              "_blocks.0._depthwise_conv.weight", "_blocks.15._project_conv.weight", "_conv_head.weight", "_fc.weight", "_fc.bias"]
    out = {"count": len(sd), "elements": sum(t.numel() for t in sd.values()),
           "tensors": [[k, str(t.dtype).replace("torch.", ""), list(t.shape)] for k, t in sd.items()], "detail": {}}
    for k in detail:
        f = sd[k].to(torch.float32).reshape(-1)
        out["detail"][k] = {"sum": float(f.double().sum()), "first": f[:4].view(torch.int32).numpy().astype(np.uint32).tolist(),
                            "last": int(f[-1:].view(torch.int32).numpy().astype(np.uint32)[0])}
    with open(dst, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--efficientnet", help="efficientnet-lite0-57934424.pth (scripts/fetch-weights.sh): also write "
                    "pytorch_efficientnet_lite0_expected.json (names, shapes, dtypes of all tensors; sums and first values of some)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    def p(name):
        return os.path.join(out, name)

    expected = {}
    for fmt in ("zip", "legacy"):
        for stem, ext, make in (("dtypes", "pt", dtypes_dict), ("lightning", "ckpt", lightning_dict), ("authors", "ckpt", lambda: Authors().state_dict())):
            name = f"pytorch_{stem}_{fmt}.{ext}"
            save(make(), p(name), fmt)
            expected[name] = dict(expected_for(p(name)), format=fmt)

    # Pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL) instead of torch's default 2.
    save(dtypes_dict(), p("pytorch_dtypes_proto4_zip.pt"), "zip", protocol=4)
    expected["pytorch_dtypes_proto4_zip.pt"] = dict(expected_for(p("pytorch_dtypes_proto4_zip.pt")), format="zip")

    tiny = TinyModel().state_dict()
    save(tiny, p("pytorch_tiny_full_zip.pt"), "zip")
    expected["pytorch_tiny_full_zip.pt"] = dict(expected_for(p("pytorch_tiny_full_zip.pt")), format="zip")
    del tiny["conv.bias"]
    save(tiny, p("pytorch_tiny_missing_zip.pt"), "zip")
    expected["pytorch_view_legacy.pt"] = dict(write_legacy_view(p("pytorch_view_legacy.pt")), format="legacy")

    # torchvision's VGG19 layout for Tests/LandmarksTests (legacy format, as torchvision's own file).
    save(vgg19_tiny_torchvision(), os.path.join(os.path.abspath(LANDMARKS_OUT), "vgg19_tiny_torchvision.pth"), "legacy")

    # Hostile: a global that would run a command, eval, or unpickle arbitrary bytes.
    for fmt in ("zip", "legacy"):
        save({"weight": torch.ones(2), "payload": Evil(os.system, ("echo pwned > /tmp/landmarklab-pwned",))}, p(f"pytorch_evil_os_system_{fmt}.pt"), fmt)
    save({"payload": Evil(eval, ("1+1",))}, p("pytorch_evil_eval_zip.pt"), "zip")
    save({"payload": Evil(torch.storage._load_from_bytes, (b"\x80\x02N.",))}, p("pytorch_evil_load_from_bytes_zip.pt"), "zip")

    # Damaged containers.
    raw = open(p("pytorch_dtypes_zip.pt"), "rb").read()
    open(p("pytorch_truncated_zip.pt"), "wb").write(raw[: len(raw) * 6 // 10])
    legacy = open(p("pytorch_dtypes_legacy.pt"), "rb").read()
    open(p("pytorch_truncated_legacy.pt"), "wb").write(legacy[:-5])
    save({"weight": torch.arange(16, dtype=torch.float32).reshape(4, 4)}, p("short_tmp.pt"), "zip")
    rewrite_zip(p("short_tmp.pt"), p("pytorch_short_storage_zip.pt"), lambda n, d: d[:32] if n.endswith("/data/0") else d)
    os.remove(p("short_tmp.pt"))
    rewrite_zip(p("pytorch_tiny_full_zip.pt"), p("pytorch_compressed_zip.pt"), compression=zipfile.ZIP_DEFLATED)
    tiny_raw = bytearray(open(p("pytorch_tiny_full_zip.pt"), "rb").read())
    eocd = tiny_raw.rfind(b"PK\x05\x06")
    zip64 = bytearray(tiny_raw)
    zip64[eocd + 16 : eocd + 20] = b"\xff\xff\xff\xff"  # central directory offset "in the ZIP64 record"
    open(p("pytorch_zip64_zip.pt"), "wb").write(zip64)
    with zipfile.ZipFile(p("pytorch_tiny_full_zip.pt")) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
    with open(p("pytorch_tiny_full_zip.pt"), "rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", f.read(4))
    bad = bytearray(tiny_raw)
    bad[info.header_offset + 30 + name_len + extra_len + 1] ^= 0x40
    open(p("pytorch_bad_crc_zip.pt"), "wb").write(bad)
    deep = {"leaf": torch.ones(1)}
    for _ in range(80):
        deep = {"d": deep}
    save(deep, p("pytorch_deep_zip.pt"), "zip")

    if args.efficientnet:
        write_efficientnet_expected(args.efficientnet, p("pytorch_efficientnet_lite0_expected.json"))

    with open(p("pytorch_expected.json"), "w") as f:
        json.dump(expected, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    total = sum(os.path.getsize(p(n)) for n in os.listdir(out) if n.startswith("pytorch_"))
    print(f"wrote {len([n for n in os.listdir(out) if n.startswith('pytorch_')])} fixture files ({total} bytes) to {out}")


if __name__ == "__main__":
    main()
