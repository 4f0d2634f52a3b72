"""Which arrays a model file must hold for a given architecture, computed without allocating them.

Named tensors (the safetensors files) follow the layer structure of the VAE with PyTorch's
names and layout, so a PyTorch module with the same attributes loads them directly:

    encoder.{i}.weight   [n_out, n_in]   encoder hidden layer i (0 = the input side)
    encoder.{i}.bias     [n_out]
    encoder_head.weight  [2L, n_in]      rows 0..L-1 give mu, rows L..2L-1 logvar
    decoder.{i}.weight   [n_out, n_in]   decoder hidden layer i (0 = the latent side)
    decoder_out.weight   [D or 2D, n_in] logits (and, with a learned variance, raw logvar rows)

and the biases likewise; conv models add their convolutions (architecture.py names them all),
weights in nn.Conv2d's (F, C, k, k) and nn.ConvTranspose2d's (C, F, k, k) layouts.  Each layer
kind says what its tensors are called (Layer.tensor_names) and how they map to its PyTorch twin
(Layer.to_torch); our own flat buffer stores each layer's tensors in param_shapes' order.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .. import architecture, limits
from ..architecture import param_count
from ..config import VAEConfig
from ..errors import ModelFileError
from ..layers import Layer

# bytes a model needs in memory per weight while it trains: params, grads, Adam's m, w, scratch
BYTES_PER_PARAM = 5 * 4


def named_layers(config: VAEConfig) -> list[tuple[str, Layer]]:
    """Every layer with weights and its name (architecture.build), in the order of the flat
    parameter vector."""
    encoder, decoder = architecture.build(config)
    return [(name, layer) for name, layer in encoder + decoder if layer.n_params]


def tensor_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]]:
    """Every named tensor's shape (PyTorch layout) for this architecture, allocating nothing.

    The shapes come from each layer's to_torch applied to zero-stride stand-ins (one float
    viewed as the whole tensor), not to real arrays: a file's metadata may declare layers of
    tens of gigabytes, and this runs before its shapes are compared with the file's.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    for name, layer in named_layers(config):
        for tensor, shape in zip(layer.tensor_names, layer.torch_shapes()):
            shapes[f"{name}.{tensor}"] = shape
    return shapes


def _layer_views(config: VAEConfig, flat: np.ndarray) -> Iterator[tuple[str, Layer, list[np.ndarray]]]:
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
        for tensor, view in zip(layer.tensor_names, layer.to_torch(views)):
            tensors[f"{name}.{tensor}"] = np.array(view, dtype=np.float32, order="C")
    return tensors


def from_tensors(config: VAEConfig, tensors: dict[str, np.ndarray], out: np.ndarray) -> None:
    """Fill the flat vector `out` from named tensors in PyTorch layout (shapes already checked)."""
    for name, layer, views in _layer_views(config, out):
        layer.from_torch([tensors[f"{name}.{tensor}"] for tensor in layer.tensor_names], views)


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
