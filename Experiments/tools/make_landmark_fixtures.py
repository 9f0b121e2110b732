"""The DESIGN §2 landmark model in PyTorch, written from the design (not from the reference).

Module and parameter names follow the reference's state-dict names, so a state dict from this
model, from the reference's `PartFactorizedModel` and from LandmarkLab's `LandmarkModel` use
the same keys: `shape_encoder.*`, `appearance_encoder.*`, `image_decoder.*` (spectral-norm
convs as `weight_orig` / `weight_u` / `weight_v`).

Used by make_landmark_fixtures.py (parity fixtures, timing) and the checkpoint converters
(to list the expected keys for a config).

Config keys (DESIGN §4 names): n_landmarks, img_size, nsf, naf, ngc, n_filters,
pose_decoder_channels, spade_hidden, disable_spade, use_identity_covariance, fixed_covar.
"""

import os
import sys

if "--bench" in sys.argv:  # before torch loads OpenMP: spinning workers distort a loaded machine
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import spectral_norm  # noqa: E402

DEFAULTS = dict(n_landmarks=30, img_size=128, nsf=6, naf=0, ngc=64, n_filters=32,
                pose_decoder_channels=[512, 256, 128], spade_hidden=128, disable_spade=False,
                use_identity_covariance=False, fixed_covar=0.008)


def full_config(cfg):
    out = dict(DEFAULTS)
    for k, v in cfg.items():
        if k not in DEFAULTS:
            raise KeyError(f"unknown model config key '{k}'")
        out[k] = v
    return out


# ---------------------------------------------------------------------------------------------
# U-Net (pose and appearance encoders)


def conv_in_relu(cin, cout, k, stride=1, padding=0, norm=True):
    """conv (bias) · InstanceNorm (no affine) · ReLU; the conv is item 0."""
    layers = [nn.Conv2d(cin, cout, k, stride, padding)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout))
    layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def down_block(cin, cout):
    return nn.Sequential(conv_in_relu(cin, cout, 3, 2, 1), conv_in_relu(cout, cout, 3, 1, 1))


def up_block(cin, cout):
    return nn.Sequential(conv_in_relu(cin, cout, 3, 1, 1),
                         nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
                         conv_in_relu(cout, cout, 3, 1, 1))


class UNet(nn.Module):
    """DESIGN §2 U-Net: `downsamples` encoder stages, `len(out_channels) - 1` decoder steps."""

    def __init__(self, cin, out_channels, downsamples, upsamples, f):
        super().__init__()
        assert len(out_channels) == upsamples + 1
        f = 2 * cin if f == 0 else f
        enc = [nn.Sequential(conv_in_relu(cin, f, 3, 1, 1), conv_in_relu(f, 2 * f, 3, 1, 1),
                             down_block(2 * f, 4 * f))]
        widths = [4 * f]
        for _ in range(downsamples - 1):
            enc.append(down_block(widths[-1], 2 * widths[-1]))
            widths.append(2 * widths[-1])
        self.encoder_layers = nn.ModuleList(enc)
        self.first_block_channels = 4 * f
        rev = widths[::-1]
        c = rev[0]
        dec = [conv_in_relu(c, c, 1)]
        skips = []
        for i in range(1, upsamples + 1):
            o = out_channels[i - 1]
            skips.append(conv_in_relu(rev[i - 1], c, 1, norm=False))
            if i == upsamples:
                dec.append(nn.Sequential(up_block(c, o), nn.Conv2d(o, out_channels[-1], 1)))
            else:
                dec.append(up_block(c, o))
            c = o
        self.decoder_layers = nn.ModuleList(dec)
        self.skip_convs = nn.ModuleList(skips)

    def forward(self, x, return_first=False):
        outs = []
        for layer in self.encoder_layers:
            x = layer(x)
            outs.append(x)
        y = self.decoder_layers[0](outs[-1])
        for i in range(1, len(self.decoder_layers)):
            y = self.decoder_layers[i](y + self.skip_convs[i - 1](outs[-i]))
        return (y, outs[0]) if return_first else y


# ---------------------------------------------------------------------------------------------
# Gaussian landmarks


def grid(n, lo_step):
    """Coordinates -1 + lo_step*i, i < n, as a row-major [n*n] pair (x varies fastest)."""
    r = -1 + lo_step * torch.arange(n, dtype=torch.float64)
    gy, gx = torch.meshgrid(r, r, indexing="ij")
    return gx.reshape(-1), gy.reshape(-1)


def gaussian_fit(logits, use_identity, fixed_covar):
    """logits [B,K,h,w] -> maps [B,K,h,w], mu [B,K,2], cov [B,K,2,2] (grid -1 + 4j/S)."""
    b, k, h, w = logits.shape
    p = torch.softmax(logits.reshape(b, k, h * w), dim=2)
    gx, gy = grid(h, 2.0 / h)
    gx, gy = gx.to(p.dtype), gy.to(p.dtype)
    mx = (p * gx).sum(2)
    my = (p * gy).sum(2)
    mu = torch.stack((mx, my), 2)
    if use_identity:
        cov = (torch.eye(2, dtype=p.dtype) * fixed_covar).expand(b, k, 2, 2)
    else:
        sxx = (p * gx * gx).sum(2) - mx * mx
        sxy = (p * gx * gy).sum(2) - mx * my
        syy = (p * gy * gy).sum(2) - my * my
        cov = torch.stack((sxx, sxy, sxy, syy), 2).reshape(b, k, 2, 2)
    return p.reshape(b, k, h, w), mu, cov


def render_heatmaps(mu, cov, size):
    """eq. 5 on the full grid -1 + 2j/S: 1 / (1 + (l-mu)^T cov^-1 (l-mu)) -> [B,K,S,S]."""
    b, k, _ = mu.shape
    gx, gy = grid(size, 2.0 / size)
    gx, gy = gx.to(mu.dtype), gy.to(mu.dtype)
    inv = torch.inverse(cov)
    dx = gx - mu[:, :, 0:1]
    dy = gy - mu[:, :, 1:2]
    q = (dx * dx * inv[:, :, 0, 0:1] + dx * dy * (inv[:, :, 0, 1:2] + inv[:, :, 1, 0:1])
         + dy * dy * inv[:, :, 1, 1:2])
    return (1 / (1 + q)).reshape(b, k, size, size)


# ---------------------------------------------------------------------------------------------
# SPADE generator


class SPADE(nn.Module):
    def __init__(self, c, label_nc, hidden):
        super().__init__()
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_nc, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, c, 3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, c, 3, padding=1)

    def forward(self, x, seg):
        seg = F.interpolate(seg, size=x.shape[2:], mode="bilinear", align_corners=False)
        a = self.mlp_shared(seg)
        return F.instance_norm(x, eps=1e-5) * (1 + self.mlp_gamma(a)) + self.mlp_beta(a)


class ResBlock(nn.Module):
    """SPADE ResNet block; with spade=False the norms are plain InstanceNorm (no params)."""

    def __init__(self, fin, fout, label_nc, hidden, spade=True):
        super().__init__()
        self.learned = fin != fout
        mid = min(fin, fout)
        self.spade = spade
        self.conv_0 = spectral_norm(nn.Conv2d(fin, mid, 3, padding=1))
        self.conv_1 = spectral_norm(nn.Conv2d(mid, fout, 3, padding=1))
        if self.learned:
            self.conv_s = spectral_norm(nn.Conv2d(fin, fout, 1, bias=False))
        if spade:
            self.norm_0 = SPADE(fin, label_nc, hidden)
            self.norm_1 = SPADE(mid, label_nc, hidden)
            if self.learned:
                self.norm_s = SPADE(fin, label_nc, hidden)

    def norm(self, name, x, seg):
        return getattr(self, name)(x, seg) if self.spade else F.instance_norm(x, eps=1e-5)

    def forward(self, x, seg):
        xs = self.conv_s(self.norm("norm_s", x, seg)) if self.learned else x
        dx = self.conv_0(F.leaky_relu(self.norm("norm_0", x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm("norm_1", dx, seg), 0.2))
        return xs + dx


class Generator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        nf, k, s = cfg["ngc"], cfg["n_landmarks"], cfg["img_size"]
        h = cfg["spade_hidden"]
        self.spade = not cfg["disable_spade"]
        self.s16 = s // 16
        cin = cfg["n_filters"] + (0 if self.spade else k)
        self.fc = nn.Conv2d(cin, 4 * nf, 3, padding=1)
        blk = lambda a, b: ResBlock(a, b, k, h, self.spade)
        self.head_0 = blk(4 * nf, 4 * nf)
        self.G_middle_0 = blk(4 * nf, 4 * nf)
        self.G_middle_1 = blk(4 * nf, 4 * nf)
        self.up_0 = blk(4 * nf, 2 * nf)
        self.up_1 = blk(2 * nf, nf)
        self.up_4 = blk(nf, nf // 2)
        self.conv_img = nn.Conv2d(nf // 2, 3, 3, padding=1)

    def forward(self, seg, appearance):
        if not self.spade:
            appearance = torch.cat((appearance, seg), 1)
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        x0 = self.head_0(self.fc(F.interpolate(appearance, size=(self.s16, self.s16))), seg)
        x1 = self.head_0(self.fc(F.interpolate(appearance, size=(2 * self.s16, 2 * self.s16))), seg)
        x = 0.5 * up(x0) + 0.5 * x1
        x = self.G_middle_1(self.G_middle_0(x, seg), seg)
        x = self.up_0(up(x), seg)
        x = self.up_1(up(x), seg)
        x = self.up_4(up(x), seg)
        return self.conv_img(F.leaky_relu(x, 0.2))


# ---------------------------------------------------------------------------------------------
# The whole model


class LandmarkModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        cfg = full_config(cfg)
        self.cfg = cfg
        k = cfg["n_landmarks"]
        self.shape_encoder = UNet(3, list(cfg["pose_decoder_channels"]) + [k], 4, 3, cfg["nsf"])
        first = self.shape_encoder.first_block_channels
        self.appearance_encoder = UNet(k + first, [64, cfg["n_filters"]], 1, 1, cfg["naf"])
        self.image_decoder = Generator(cfg)

    def encode(self, x):
        logits = self.shape_encoder(x)
        return gaussian_fit(logits, self.cfg["use_identity_covariance"], self.cfg["fixed_covar"])

    def forward(self, x_pose, x_app):
        """x_pose: color-jittered image, x_app: warped/temporal image, both [B,3,S,S]."""
        s = self.cfg["img_size"]
        maps, mu, cov = self.encode(x_pose)
        logits_w, feats_w = self.shape_encoder(x_app, True)
        maps_w, _, _ = gaussian_fit(logits_w, self.cfg["use_identity_covariance"],
                                    self.cfg["fixed_covar"])
        heat = render_heatmaps(mu, cov, s)
        app = self.appearance_encoder(torch.cat((maps_w, feats_w), 1))  # [B,C,S/2,S/2]
        b, c = app.shape[:2]
        k = maps_w.shape[1]
        a = torch.bmm(maps_w.reshape(b, k, -1), app.reshape(b, c, -1).transpose(1, 2))
        a = a / app.shape[2] / app.shape[3]  # [B,K,C]
        proj = torch.bmm(a.transpose(1, 2), heat.reshape(b, k, -1)).reshape(b, c, s, s)
        proj = proj / (1 + heat.sum(1, keepdim=True))
        recon = self.image_decoder(heat, proj)
        return dict(reconstruction=recon, mu=mu, covariance=cov, maps=maps, heatmaps=heat,
                    appearance=a)


def init_weights(model, seed):
    """Xavier-uniform conv weights (weight_orig under spectral norm), biases 0.1 (DESIGN §2);
    spectral-norm u, v from N(0,1), normalized."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                w = m.weight_orig if hasattr(m, "weight_orig") else m.weight
                fan_in = w.shape[1] * w[0, 0].numel()
                fan_out = w.shape[0] * w[0, 0].numel()
                bound = (6.0 / (fan_in + fan_out)) ** 0.5
                w.copy_(torch.rand(w.shape, generator=g, dtype=w.dtype) * 2 * bound - bound)
                if m.bias is not None:
                    m.bias.fill_(0.1)
                if hasattr(m, "weight_u"):
                    for name in ("weight_u", "weight_v"):
                        t = getattr(m, name)
                        t.copy_(F.normalize(torch.randn(t.shape, generator=g, dtype=t.dtype), dim=0,
                                            eps=1e-12))
    return model


# ---------------------------------------------------------------------------------------------
# VGG19 perceptual loss (features[:23], hooks at relu1_2, relu2_2, relu3_2, relu4_2)

VGG19_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512]  # up to conv4_2
VGG_TAPS = [3, 8, 13, 22]


def vgg19_features(div=1):
    """torchvision's vgg19().features[:23] layout (optionally narrower by `div`)."""
    layers, c = [], 3
    for v in VGG19_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v // div, 3, padding=1), nn.ReLU()]
            c = v // div
    return nn.Sequential(*layers)


class PerceptualLoss(nn.Module):
    def __init__(self, features, reduced_w=True):
        super().__init__()
        self.features = features
        self.weights = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0] if reduced_w else [1.0] * 5
        for p in self.parameters():
            p.requires_grad_(False)

    def feats(self, x):
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in VGG_TAPS:
                out.append(x)
        return out

    def forward(self, x, y):
        fx = self.feats(x) + [x]
        fy = self.feats(y) + [y]
        return sum(w * F.mse_loss(a, b) for w, a, b in zip(self.weights, fx, fy))


# ---------------------------------------------------------------------------------------------
# Multiscale PatchGAN (pix2pixHD layout: layer<i>.<j>), LSGAN


class MultiscaleDiscriminator(nn.Module):
    def __init__(self, cin=3, ndf=64, n_layers=3, num_d=2):
        super().__init__()
        self.num_d = num_d
        for i in range(num_d):
            seq, nf = [nn.Conv2d(cin, ndf, 4, 2, 2), nn.LeakyReLU(0.2)], ndf
            for _ in range(1, n_layers):
                prev, nf = nf, min(nf * 2, 512)
                seq += [nn.Conv2d(prev, nf, 4, 2, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2)]
            prev, nf = nf, min(nf * 2, 512)
            seq += [nn.Conv2d(prev, nf, 4, 1, 2), nn.InstanceNorm2d(nf), nn.LeakyReLU(0.2)]
            seq += [nn.Conv2d(nf, 1, 4, 1, 2)]
            setattr(self, f"layer{i}", nn.Sequential(*seq))

    def forward(self, x):
        outs = []
        for i in range(self.num_d):
            outs.append(getattr(self, f"layer{self.num_d - 1 - i}")(x))
            if i != self.num_d - 1:
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
        return outs


def lsgan_loss(outs, real):
    return sum(F.mse_loss(o, torch.full_like(o, 1.0 if real else 0.0)) for o in outs)


# ---------------------------------------------------------------------------------------------
# Fixtures

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

FIXTURE_DIR = os.path.join("Tests", "LandmarksTests", "Fixtures")

SMALL = dict(n_landmarks=4, img_size=32, nsf=2, naf=2, ngc=4, n_filters=4,
             pose_decoder_channels=[12, 8, 8], spade_hidden=8, fixed_covar=0.05)
CASES = {
    "spade": dict(SMALL),
    "nospade": dict(SMALL, disable_spade=True),
    "fixedcov": dict(SMALL, use_identity_covariance=True),
}
VGG_DIV = 16  # the fixtures' random VGG19 is 16x narrower (widths 4, 8, 16, 32)
BATCH = 2


def write(g, name, t, dtype=np.float32):
    g.create_dataset(name, data=t.detach().cpu().numpy().astype(dtype))


def make_case(name, cfg, vgg):
    seed = zlib.crc32(f"landmarks/{name}".encode())
    torch.manual_seed(seed)
    model = init_weights(LandmarkModel(cfg), seed)
    s = model.cfg["img_size"]
    g = torch.Generator().manual_seed(seed + 1)
    x_pose = torch.rand(BATCH, 3, s, s, generator=g) * 2 - 1
    x_app = torch.rand(BATCH, 3, s, s, generator=g) * 2 - 1
    target = torch.rand(BATCH, 3, s, s, generator=g) * 2 - 1
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model = model.double()
    loss_fn = PerceptualLoss(vgg, reduced_w=True).double()
    path = os.path.join(FIXTURE_DIR, f"landmarks_{name}.h5")
    with h5py.File(path, "w") as f:
        f.attrs["config"] = json.dumps(model.cfg, sort_keys=True)
        f.attrs["batch"] = BATCH
        pg = f.create_group("params")
        for k, v in init_state.items():
            write(pg, k, v)
        write(f, "x_pose", x_pose)
        write(f, "x_app", x_app)
        write(f, "target", target)

        # Eval mode: no spectral-norm iteration.
        model.eval()
        with torch.no_grad():
            out = model(x_pose.double(), x_app.double())
        eg = f.create_group("eval")
        for k in ("mu", "covariance", "maps", "heatmaps", "reconstruction", "appearance"):
            write(eg, k, out[k], np.float64)

        # One training step: MSE + VGG (reduced_w), train mode (one power iteration per SN call).
        model.train()
        out = model(x_pose.double(), x_app.double())
        mse = F.mse_loss(out["reconstruction"], target.double())
        vgg_loss = loss_fn(out["reconstruction"], target.double())
        loss = mse + vgg_loss
        loss.backward()
        tg = f.create_group("train")
        write(tg, "reconstruction", out["reconstruction"], np.float64)
        write(tg, "loss_mse", mse, np.float64)
        write(tg, "loss_vgg", vgg_loss, np.float64)
        gg = f.create_group("grads")
        for k, p in model.named_parameters():
            write(gg, k, p.grad)
        bg = f.create_group("buffers_after")
        for k, b in model.named_buffers():
            write(bg, k, b)
    return path


def make_vgg():
    torch.manual_seed(zlib.crc32(b"landmarks/vgg"))
    vgg = vgg19_features(VGG_DIV)
    with torch.no_grad():
        for m in vgg.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=0.0)  # ReLU-preserving scale
                m.bias.uniform_(-0.05, 0.05)
    path = os.path.join(FIXTURE_DIR, "vgg19_slim.h5")
    with h5py.File(path, "w") as f:
        f.attrs["source"] = "random (test fixture, NOT ImageNet weights)"
        f.attrs["random_weights"] = 1
        f.attrs["layers"] = "features[:23]"
        for k, v in vgg.state_dict().items():
            write(f, "features." + k, v)
    return vgg, path


def make_discriminator_case():
    seed = zlib.crc32(b"landmarks/discriminator")
    torch.manual_seed(seed)
    d = MultiscaleDiscriminator(3, ndf=4, n_layers=3, num_d=2)
    init_weights(d, seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.rand(BATCH, 3, 32, 32, generator=g) * 2 - 1
    x.requires_grad_(True)
    state = {k: v.detach().clone() for k, v in d.state_dict().items()}
    d = d.double()
    xd = x.double().detach().requires_grad_(True)
    outs = d(xd)
    loss = lsgan_loss(outs, True) + 0.5 * lsgan_loss(outs, False)
    loss.backward()
    path = os.path.join(FIXTURE_DIR, "discriminator.h5")
    with h5py.File(path, "w") as f:
        f.attrs["config"] = json.dumps(dict(ndf=4, n_layers_D=3, num_D=2))
        pg = f.create_group("params")
        for k, v in state.items():
            write(pg, k, v)
        write(f, "x", x)
        for i, o in enumerate(outs):
            write(f, f"out{i}", o, np.float64)
        write(f, "loss", loss, np.float64)
        write(f, "grad_x", xd.grad, np.float64)
        gg = f.create_group("grads")
        for k, p in d.named_parameters():
            write(gg, k, p.grad)
    return path


def make_converted_case():
    """The spade case's weights as a reference `.ckpt` + `opt.yaml`, run through torch_to_hdf5.py:
    LandmarkLab must read the converted file as a checkpoint and load it strictly."""
    import subprocess
    import tempfile
    src = os.path.join(FIXTURE_DIR, "landmarks_spade.h5")
    out = os.path.join(FIXTURE_DIR, "converted_spade.h5")
    with h5py.File(src, "r") as f, tempfile.TemporaryDirectory() as tmp:
        cfg = json.loads(f.attrs["config"])
        state = {}
        f["params"].visititems(lambda n, o: state.__setitem__(n, torch.from_numpy(o[()])))
        torch.save(state, os.path.join(tmp, "checkpoint_3.ckpt"))
        with open(os.path.join(tmp, "opt.yaml"), "w") as o:
            for k, v in sorted(dict(cfg, batch_size=2, model="PartFactorizedModel", use_fg_bg_mask=False).items()):
                o.write(f"{k}: {v}\n")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_to_hdf5.py"),
                        "--ckpt", os.path.join(tmp, "checkpoint_3.ckpt"), "--opt", os.path.join(tmp, "opt.yaml"),
                        "--out", out, "--step", "3"], check=True)
    return out


# ---------------------------------------------------------------------------------------------
# Timing (forward + loss + backward + Adam step): bench_train.py, on lmlab's configs

# The trainer keys of lmlab's defaults (TrainerConfig): ref-64 trains with them, so VGG19 is on
# (vgg_lambda 5, reduced weights) and MSE off, as in `lmlab bench train --config ref-64`.
BENCH_TRAINER = dict(use_vgg=True, perceptual_net="vgg19", vgg_lambda=5.0, reduced_w=True, mse_lambda=0.0,
                     use_gan=False, gan_lambda=1.0, no_lsgan=False, num_D=2, n_layers_D=3, ndf=64,
                     learning_rate=1e-4, weight_decay=5e-6, no_grad_clip=True, grad_clip_norm=1.0,
                     concentration_lambda=0.0, separation_lambda=0.0, separation_sigma=0.1,
                     equivariance_lambda=0.0, equivariance_rotation=0.3, equivariance_scale=0.1,
                     equivariance_translation=0.1, decoder_skip="none")
BENCH = {
    "ref-64": dict(img_size=64, n_landmarks=30, nsf=6, naf=0, ngc=64, n_filters=32),
    # landmarks-demo.yaml's model and loss (MSE only); `lmlab bench train` reads the yaml itself.
    "slim": dict(img_size=64, n_landmarks=10, nsf=4, naf=0, ngc=16, n_filters=16,
                 pose_decoder_channels=[128, 64, 32], spade_hidden=32),
}


def bench(name, batch, steps, use_vgg, threads):
    """Median seconds per training step of BENCH[name] with the loss lmlab's config gives it
    (ref-64: VGG19 to relu4_2, reduced weights, lambda 5; slim: MSE), via bench_train.py. Under
    CPU contention OMP_WAIT_POLICY=PASSIVE matters (bench_train sets it unless the environment does)."""
    import bench_train
    torch.set_num_threads(threads)
    cfg = dict(DEFAULTS, **BENCH[name], **BENCH_TRAINER, batch_size=batch)
    if name == "slim":
        cfg.update(use_vgg=False, mse_lambda=1.0)
    if use_vgg is not None:
        cfg["use_vgg"] = use_vgg
    r = bench_train.bench(cfg, name, steps)
    print(f"{name} batch {batch} vgg {cfg['use_vgg']}: median {r['seconds_per_step']:.3f} s/step "
          f"(min {min(r['times']):.3f}, {r['steps']} steps, {r['parameters'] / 1e6:.2f} M params, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY "
          f"{os.environ.get('OMP_WAIT_POLICY', '(default)')})")


CONV_GEOMETRIES = [((8, 128, 64, 64), 64), ((8, 128, 32, 32), 128), ((8, 432, 16, 16), 432),
                   ((8, 30, 64, 64), 128), ((8, 512, 8, 8), 512), ((8, 128, 64, 64), 32)]


def bench_conv():
    """Forward and backward seconds of ref-64's dominant 3x3 convs (cf. LandmarkBenchTests)."""
    torch.set_num_threads(2)
    for shape, o in CONV_GEOMETRIES:
        x = torch.rand(shape, requires_grad=True)
        conv = nn.Conv2d(shape[1], o, 3, padding=1)
        best = [1e9, 1e9]
        for _ in range(4):
            t0 = time.perf_counter()
            y = conv(x)
            t1 = time.perf_counter()
            y.backward(torch.ones_like(y))
            t2 = time.perf_counter()
            best = [min(best[0], t1 - t0), min(best[1], t2 - t1)]
        gflop = 2 * shape[0] * o * shape[2] * shape[3] * shape[1] * 9 / 1e9
        print(f"[conv] {list(shape)} -> {o}: forward {best[0]:.3f} s ({gflop / best[0]:.0f} GFLOP/s), "
              f"backward {best[1]:.3f} s ({2 * gflop / best[1]:.0f} GFLOP/s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", choices=list(BENCH), help="time one config instead of writing fixtures")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--vgg", action=argparse.BooleanOptionalAction, default=None,
                    help="force the VGG19 loss on or off (default: as lmlab's config: on for ref-64)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for --bench (default 2)")
    ap.add_argument("--bench-conv", action="store_true", help="time the dominant conv geometries")
    args = ap.parse_args()
    if args.bench_conv:
        bench_conv()
        return
    if args.bench:
        bench(args.bench, args.batch, args.steps, args.vgg, args.threads)
        return
    torch.set_num_threads(1)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    vgg, path = make_vgg()
    paths = [path]
    for name, cfg in CASES.items():
        paths.append(make_case(name, cfg, vgg))
    paths.append(make_discriminator_case())
    paths.append(make_converted_case())
    for p in paths:
        print(f"{p}: {os.path.getsize(p) / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
