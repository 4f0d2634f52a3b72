"""Which arrays a model file must hold for a given architecture, computed without allocating them.

Named tensors (the safetensors files) follow the layer structure of the VAE with PyTorch's
names and layout, so a PyTorch module with the same attributes loads them directly:

    encoder.{i}.weight   [n_out, n_in]   encoder hidden layer i (0 = the input side)
    encoder.{i}.bias     [n_out]
    encoder_head.weight  [2L, n_in]      rows 0..L-1 give mu, rows L..2L-1 logvar
    decoder.{i}.weight   [n_out, n_in]   decoder hidden layer i (0 = the latent side)
    decoder_out.weight   [D or 2D, n_in] logits (and, with a learned variance, raw logvar rows)

and the biases likewise; conv models add their convolutions (see named_layers), weights in
nn.Conv2d's (F, C, k, k) and nn.ConvTranspose2d's (C, F, k, k) layouts.  Our own flat buffer
stores each layer as its W (engine/layers) then b.
"""
from __future__ import annotations

import math

import numpy as np

from .. import architecture
from ..config import VAEConfig
from .. import limits
from ..errors import ModelFileError
from ..layers import Layer
from ..vae import param_count

# bytes a model needs in memory per weight while it trains: params, grads, Adam's m, w, scratch
BYTES_PER_PARAM = 5 * 4


def named_layers(config: VAEConfig) -> list[tuple[str, Layer]]:
    """Every layer with weights and its name, in the order of the flat parameter vector.

    MLP: encoder.{i}, encoder_head, decoder.{i}, decoder_out.  Conv models add
    encoder_conv.{i} before the encoder's dense layers, and after the decoder's: decoder_map
    (dense, to the smallest feature maps) and decoder_deconv.{i}, the last of which is
    decoder_out.
    """
    encoder, decoder = architecture.build(config)
    enc = [layer for layer in encoder if layer.n_params]
    dec = [layer for layer in decoder if layer.n_params]
    convs, deconvs = len(config.channels), len(config.channels)
    n_dec_dense = len(config.decoder_sizes)
    names = ([f"encoder_conv.{i}" for i in range(convs)] + [f"encoder.{i}" for i in range(len(config.hidden))]
             + ["encoder_head"] + [f"decoder.{i}" for i in range(n_dec_dense)])
    if deconvs:
        names += ["decoder_map"] + [f"decoder_deconv.{i}" for i in range(deconvs - 1)]
    names += ["decoder_out"]
    return list(zip(names, enc + dec))


def tensor_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]]:
    """Every named tensor's shape (PyTorch layout) for this architecture, allocating nothing.

    The shapes come from each layer's to_torch applied to zero-stride stand-ins (one float
    viewed as the whole tensor), not to real arrays: a file's metadata may declare layers of
    tens of gigabytes, and this runs before its shapes are compared with the file's.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    one = np.zeros(1, np.float32)
    for name, layer in named_layers(config):
        stand_ins = [np.lib.stride_tricks.as_strided(one, shape, (0,) * len(shape), writeable=False)
                     for shape in layer.param_shapes]
        weight, bias = (t.shape for t in layer.to_torch(stand_ins))
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = weight, bias
    return shapes


def _layer_views(config: VAEConfig, flat: np.ndarray):
    offset = 0
    for name, layer in named_layers(config):
        views = []
        for shape in layer.param_shapes:
            size = math.prod(shape)
            views.append(flat[offset:offset + size].reshape(shape))
            offset += size
        yield name, layer, views


def to_tensors(config: VAEConfig, params: np.ndarray) -> dict[str, np.ndarray]:
    """The flat parameter vector as named tensors in PyTorch layout (float32 copies)."""
    tensors = {}
    for name, layer, views in _layer_views(config, params):
        weight, bias = layer.to_torch(views)
        tensors[f"{name}.weight"] = np.ascontiguousarray(weight, dtype=np.float32)
        tensors[f"{name}.bias"] = np.array(bias, dtype=np.float32)
    return tensors


def from_tensors(config: VAEConfig, tensors: dict[str, np.ndarray], out: np.ndarray) -> None:
    """Fill the flat vector `out` from named tensors in PyTorch layout (shapes already checked)."""
    for name, layer, views in _layer_views(config, out):
        layer.from_torch([tensors[f"{name}.weight"], tensors[f"{name}.bias"]], views)


def optimizer_shapes(optimizer: str | None, n_params: int) -> dict[str, tuple[int, ...]]:
    """The optimizer state arrays a run with this optimizer saves: Adam's moments and step, SGD's step."""
    if optimizer == "adam":
        return {"m": (n_params,), "w": (n_params,), "t": ()}
    if optimizer == "sgd":
        return {"t": ()}
    return {}


def check_shapes(found: dict[str, tuple[tuple[int, ...], np.dtype]],
                 expected: dict[str, tuple[int, ...]], what: str) -> None:
    """Compare the arrays a file's headers declare with what the architecture implies.

    found: name -> (shape, dtype) from the headers; expected: name -> shape.  Weights must be
    real floating point, a step counter an integer; ModelFileError names the first mismatch.
    """
    missing = [k for k in expected if k not in found]
    extra = [k for k in found if k not in expected]
    if missing or extra:
        parts = ([f"lacks {', '.join(missing[:3])}"] if missing else []) + \
                ([f"has unexpected {', '.join(extra[:3])}"] if extra else [])
        raise ModelFileError(f"its {what} do not fit its architecture: it {' and '.join(parts)}")
    for name, shape in expected.items():
        got, dtype = found[name]
        if tuple(got) != tuple(shape):
            raise ModelFileError(f"{name} has shape {list(got)} but its architecture needs {list(shape)}; "
                                 f"the file is incompatible or damaged")
        want = "iu" if shape == () else "f"
        if dtype.kind not in want or dtype.itemsize > 8:
            raise ModelFileError(f"{name} holds {dtype} values, not "
                                 f"{'an integer' if shape == () else 'floating-point numbers'}")


def check_memory(config: VAEConfig) -> None:
    """Refuse a model file whose architecture would not fit in the memory this machine has available."""
    n = param_count(config)
    limits.check_memory(n * BYTES_PER_PARAM, f"its architecture of {n:,} weights", ModelFileError)
