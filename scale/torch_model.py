"""Latent Lab's VAE in PyTorch (MLP or conv): the same layers, names, order and maths as the engine.

Layer names match the engine's safetensors layout (engine/storage/layout.py), so this module's
state_dict is written as is: encoder.{i} (hidden layers, input side first), encoder_head
(-> [mu | logvar]), decoder.{i} (latent side first), decoder_out (-> logits, and with a learned
Gaussian variance also raw log-variances).  nn.Linear's default initialisation is the engine's
too (uniform in +-1/sqrt(fan_in)).  The loss is the engine's: per-image mean of
reconstruction + beta * KL, with BCE from logits for a Bernoulli decoder, or a Gaussian with a
sigmoid mean and a fixed variance or a learned per-pixel variance floored softly at 1e-4.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

VAR_FLOOR = 1e-4     # engine/losses.py
FAMILIES = ("mlp", "conv")     # engine/architecture.py's families, twinned here
ACTIVATIONS = {"relu": F.relu, "leaky_relu": lambda a: F.leaky_relu(a, 0.01), "tanh": torch.tanh,
               "sigmoid": torch.sigmoid, "softplus": F.softplus}


def family_fields(arch: str, channels: list[int]) -> dict:
    """The config fields that record the family: none for the MLP, so that an engine from before
    conv models opens its files too."""
    return {"arch": arch, "channels": list(channels)} if arch == "conv" else {}


def family_problem(arch: str, channels: list[int], image_shape: tuple[int, ...] | None = None) -> str | None:
    """One sentence if these settings make no model of the family (as the engine's
    architecture.Family.check says), else None; image_shape None checks the channels alone."""
    if arch != "conv":
        return None
    if not channels or min(channels) < 1:
        return "--arch conv needs --channels, e.g. 32,64"
    step = 2 ** len(channels)
    if image_shape is not None and any(side % step for side in image_shape[:2]):
        return (f"--arch conv with {len(channels)} convolutions needs image sides divisible by {step}; "
                f"the images are {tuple(image_shape[:2])}")
    return None


class TorchVAE(nn.Module):
    """config: the engine's VAEConfig fields as a dict (image_shape, hidden, latent_dim,
    decoder_hidden, activation, likelihood, output_variance, and for arch "conv" its channels).

    arch "conv" (engine/architecture.py) puts a 4x4, stride-2, padding-1 nn.Conv2d per channel
    count before the dense encoder (encoder_conv.{i}), and after the dense decoder a Linear to
    the smallest feature maps (decoder_map) and nn.ConvTranspose2d back up (decoder_deconv.{i},
    the last being decoder_out).  Images travel flattened channels-last (H, W, C), as in the
    engine, so feature maps are permuted to and from PyTorch's (N, C, H, W) around the convs.
    """

    def __init__(self, config: dict) -> None:
        super().__init__()
        self.config = config
        shape = list(config["image_shape"]) + [1] * (3 - len(config["image_shape"]))
        self.image_hwc = tuple(shape)
        d = math.prod(shape)
        latent, hidden = config["latent_dim"], list(config["hidden"])
        dec = list(config["decoder_hidden"]) if config.get("decoder_hidden") is not None else hidden[::-1]
        channels = list(config.get("channels") or []) if config.get("arch", "mlp") == "conv" else []
        self.learns_variance = config["likelihood"] == "gaussian" and config.get("output_variance") is None
        out_factor = 2 if self.learns_variance else 1
        self.input_dim, self.latent_dim = d, latent
        h, w, c = shape
        self.encoder_conv = nn.ModuleList(nn.Conv2d(i, o, 4, 2, 1) for i, o in zip([c] + channels[:-1], channels))
        self.map_hwc = (h >> len(channels), w >> len(channels), channels[-1] if channels else c)
        flat = math.prod(self.map_hwc)
        self.encoder = nn.ModuleList(nn.Linear(i, o) for i, o in zip([flat] + hidden[:-1], hidden))
        self.encoder_head = nn.Linear(hidden[-1] if hidden else flat, 2 * latent)
        self.decoder = nn.ModuleList(nn.Linear(i, o) for i, o in zip([latent] + dec[:-1], dec))
        last = dec[-1] if dec else latent
        if channels:
            self.decoder_map = nn.Linear(last, flat)
            targets = channels[::-1][1:] + [out_factor * c]
            deconvs = [nn.ConvTranspose2d(i, o, 4, 2, 1) for i, o in zip(channels[::-1], targets)]
            self.decoder_deconv = nn.ModuleList(deconvs[:-1])
            self.decoder_out = deconvs[-1]
        else:
            self.decoder_out = nn.Linear(last, out_factor * d)
        self.convolutional = bool(channels)
        self.act = ACTIVATIONS[config["activation"]]

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar), each (n, L), for images x (n, D)."""
        h = x
        if self.convolutional:
            h = h.reshape(len(x), *self.image_hwc).permute(0, 3, 1, 2)
            for conv in self.encoder_conv:
                h = self.act(conv(h))
            h = h.permute(0, 2, 3, 1).reshape(len(x), -1)          # flattened channels-last
        for layer in self.encoder:
            h = self.act(layer(h))
        stats = self.encoder_head(h)
        return stats[:, :self.latent_dim], stats[:, self.latent_dim:]

    def decoder_output(self, z: torch.Tensor) -> torch.Tensor:
        """Raw decoder outputs (n, D) logits, or (n, 2D) [mean logits | raw logvar]."""
        h = z
        for layer in self.decoder:
            h = self.act(layer(h))
        if not self.convolutional:
            return self.decoder_out(h)
        h = self.act(self.decoder_map(h)).reshape(len(z), *self.map_hwc).permute(0, 3, 1, 2)
        for deconv in self.decoder_deconv:
            h = self.act(deconv(h))
        out = self.decoder_out(h).permute(0, 2, 3, 1)                 # (n, H, W, C or 2C)
        c = self.image_hwc[2]
        if self.learns_variance:                                      # [means | logvars], each channels-last
            return torch.cat([out[..., :c].reshape(len(z), -1), out[..., c:].reshape(len(z), -1)], dim=1)
        return out.reshape(len(z), -1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder mean images (n, D) in [0, 1]."""
        return torch.sigmoid(self.decoder_output(z)[:, :self.input_dim])

    def loss_terms(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image (reconstruction, KL) in nats, (n,) each, with z = mu + exp(0.5 logvar) * eps."""
        mu, logvar = self.encode(x)
        out = self.decoder_output(mu + torch.exp(0.5 * logvar) * eps)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
        return self.recon_nll(out, x), kl

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The training pass (what DistributedDataParallel wraps): loss_terms."""
        return self.loss_terms(x, eps)

    def recon_nll(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        d = self.input_dim
        if self.config["likelihood"] == "bernoulli":
            return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(dim=1)
        diff = torch.sigmoid(out[:, :d]) - x
        if not self.learns_variance:
            var = self.config["output_variance"]
            return 0.5 * diff.pow(2).sum(dim=1) / var + 0.5 * d * (math.log(2 * math.pi) + math.log(var))
        log_floor = math.log(VAR_FLOOR)
        logvar = log_floor + F.softplus(out[:, d:] - log_floor)
        return 0.5 * (d * math.log(2 * math.pi) + logvar.sum(dim=1) + (diff.pow(2) * torch.exp(-logvar)).sum(dim=1))
