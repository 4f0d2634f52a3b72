"""The state_dict of the pytorch/examples VAE (vae/main.py), saved with safetensors, as one of our models.

Its layers are nn.Linear (weight [out, in], bias [out]): fc1 D->H, fc21 and fc22 H->L (mu and
logvar), fc3 L->H', fc4 H'->D; ReLU between, a sigmoid on the output and a Bernoulli (binary
cross-entropy) likelihood.  That is our MLP with hidden (H,), decoder hidden (H',), the encoder
head being fc21 and fc22 stacked.  The sizes are read from the tensors' shapes; D must be a
square image (784 = 28x28 for MNIST).  A `module.` prefix, which DistributedDataParallel adds
when its wrapper's state_dict is saved, is accepted.
"""
from __future__ import annotations

import math

import numpy as np

from ..config import VAEConfig
from ..errors import ConfigError, ModelFileError

LAYERS = ("fc1", "fc21", "fc22", "fc3", "fc4")
DDP_PREFIX = "module."
DESCRIPTION = "a pytorch/examples VAE"


def tensor_names(headers: dict) -> dict[str, str] | None:
    """Our key (fc1.weight, ...) -> the file's key, if the file is exactly that state_dict; else None."""
    names = set(headers)
    prefix = DDP_PREFIX if names and all(n.startswith(DDP_PREFIX) for n in names) else ""
    wanted = {f"{layer}.{part}" for layer in LAYERS for part in ("weight", "bias")}
    if {n[len(prefix):] for n in names} != wanted:
        return None
    return {key: prefix + key for key in wanted}


def infer_config(shapes: dict[str, tuple[int, ...]]) -> VAEConfig:
    """The architecture implied by the layers' shapes (keys fc1.weight, ...); ModelFileError if they
    do not chain into a VAE."""
    def dims(layer: str) -> tuple[int, int]:
        w, b = shapes[f"{layer}.weight"], shapes[f"{layer}.bias"]
        if len(w) != 2 or b != (w[0],) or min(w) < 1:
            raise ModelFileError(f"{layer}.weight {list(w)} and {layer}.bias {list(b)} are not one linear layer")
        return w[1], w[0]                       # (n_in, n_out)

    (d_in, h), (h21, latent), (h22, latent2), (latent3, h_dec), (h_dec2, d_out) = map(dims, LAYERS)
    chain = {"fc21 takes fc1's output": h21 == h, "fc22 takes fc1's output": h22 == h,
             "fc21 and fc22 give the same latent size": latent2 == latent,
             "fc3 takes the latent code": latent3 == latent, "fc4 takes fc3's output": h_dec2 == h_dec,
             "fc4 gives as many pixels as fc1 takes": d_out == d_in}
    broken = [rule for rule, ok in chain.items() if not ok]
    if broken:
        raise ModelFileError(f"its fc layers do not form a VAE: expected {broken[0]}")
    side = math.isqrt(d_in)
    if side * side != d_in:
        raise ModelFileError(f"its images have {d_in} pixels, not a square; the image size cannot be inferred")
    try:
        return VAEConfig(image_shape=(side, side), hidden=(h,), latent_dim=latent,
                         decoder_hidden=None if h_dec == h else (h_dec,))
    except ConfigError as exc:
        raise ModelFileError(f"its layer sizes are unusable: {exc}") from None


def to_our_tensors(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Its tensors (keys fc1.weight, ...) under our layer names (layout.py): fc21 and fc22 stacked
    into the encoder head, mu first."""
    return {"encoder.0.weight": tensors["fc1.weight"], "encoder.0.bias": tensors["fc1.bias"],
            "encoder_head.weight": np.concatenate([tensors["fc21.weight"], tensors["fc22.weight"]]),
            "encoder_head.bias": np.concatenate([tensors["fc21.bias"], tensors["fc22.bias"]]),
            "decoder.0.weight": tensors["fc3.weight"], "decoder.0.bias": tensors["fc3.bias"],
            "decoder_out.weight": tensors["fc4.weight"], "decoder_out.bias": tensors["fc4.bias"]}
