"""Which arrays a model file must hold for a given architecture, computed without allocating them.

Named tensors (the safetensors files) follow the layer structure of the VAE with PyTorch's
names and layout, so a PyTorch module with the same attributes loads them directly:

    encoder.{i}.weight   [n_out, n_in]   encoder hidden layer i (0 = the input side)
    encoder.{i}.bias     [n_out]
    encoder_head.weight  [2L, n_in]      rows 0..L-1 give mu, rows L..2L-1 logvar
    decoder.{i}.weight   [n_out, n_in]   decoder hidden layer i (0 = the latent side)
    decoder_out.weight   [D or 2D, n_in] logits (and, with a learned variance, raw logvar rows)

and the biases likewise.  Our own flat buffer stores each layer as W [n_in, n_out] then b.
"""
from __future__ import annotations

import numpy as np

from ..config import VAEConfig
from .. import limits
from ..errors import ModelFileError
from ..vae import layer_shapes, param_count

# bytes a model needs in memory per weight while it trains: params, grads, Adam's m, w, scratch
BYTES_PER_PARAM = 5 * 4


def layer_names(config: VAEConfig) -> list[str]:
    """The name of every Dense layer, in the order of layer_shapes(config)."""
    return ([f"encoder.{i}" for i in range(len(config.hidden))] + ["encoder_head"]
            + [f"decoder.{i}" for i in range(len(config.decoder_sizes))] + ["decoder_out"])


def tensor_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]]:
    """Every named tensor's shape (PyTorch layout) for this architecture."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, (n_in, n_out) in zip(layer_names(config), layer_shapes(config)):
        shapes[f"{name}.weight"] = (n_out, n_in)
        shapes[f"{name}.bias"] = (n_out,)
    return shapes


def to_tensors(config: VAEConfig, params: np.ndarray) -> dict[str, np.ndarray]:
    """The flat parameter vector as named tensors in PyTorch layout (float32 copies)."""
    tensors, offset = {}, 0
    for name, (n_in, n_out) in zip(layer_names(config), layer_shapes(config)):
        w_end = offset + n_in * n_out
        tensors[f"{name}.weight"] = np.ascontiguousarray(params[offset:w_end].reshape(n_in, n_out).T,
                                                         dtype=np.float32)
        tensors[f"{name}.bias"] = np.array(params[w_end:w_end + n_out], dtype=np.float32)
        offset = w_end + n_out
    return tensors


def from_tensors(config: VAEConfig, tensors: dict[str, np.ndarray], out: np.ndarray) -> None:
    """Fill the flat vector `out` from named tensors in PyTorch layout (shapes already checked)."""
    offset = 0
    for name, (n_in, n_out) in zip(layer_names(config), layer_shapes(config)):
        w_end = offset + n_in * n_out
        out[offset:w_end].reshape(n_in, n_out)[...] = tensors[f"{name}.weight"].T
        out[w_end:w_end + n_out] = tensors[f"{name}.bias"]
        offset = w_end + n_out


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
