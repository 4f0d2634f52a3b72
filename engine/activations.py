"""Hidden-layer activations: in-place forward, and the backward step that scales an upstream gradient.

Each backward needs only what the forward left behind: the pre-activation `a` and the output `h`
(both (batch, units)); it multiplies `d` (dLoss/dh) in place by dh/da.
"""
from __future__ import annotations

import numpy as np

from .constants import cached_full

LEAKY_SLOPE = 0.01
NAMES = ("relu", "leaky_relu", "tanh", "sigmoid", "softplus")


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function without overflow warnings: exp(-a) may overflow to inf, giving exactly 0."""
    out = np.negative(a, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def softplus(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log(1 + exp(a)) computed as max(a, 0) + log1p(exp(-|a|)), exact for any float."""
    positive_part = np.maximum(a, 0.0)        # taken first: out may be a itself
    out = np.abs(a, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += positive_part
    return out


def forward(name: str, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """h = act(a), written into h (which may be a itself)."""
    if name == "relu":
        np.maximum(a, cached_full(a.shape, 0.0, a.dtype), out=h)
    elif name == "leaky_relu":
        # max(a, slope*a) equals a for a > 0 and slope*a otherwise, as slope < 1.
        np.maximum(a, a * LEAKY_SLOPE, out=h)
    elif name == "tanh":
        np.tanh(a, out=h)
    elif name == "sigmoid":
        sigmoid(a, out=h)
    elif name == "softplus":
        softplus(a, out=h)
    else:
        raise ValueError(f"unknown activation {name!r}")
    return h


def backward(name: str, d: np.ndarray, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """d *= act'(a), in place; d, a, h are (batch, units)."""
    if name == "relu":
        # h > 0 exactly where a > 0; multiplying by the bool mask is the fastest form measured.
        np.multiply(d, h > 0.0, out=d)
    elif name == "leaky_relu":
        np.multiply(d, LEAKY_SLOPE, out=d, where=a <= 0.0)
    elif name == "tanh":
        d *= 1.0 - h * h
    elif name == "sigmoid":
        d *= h * (1.0 - h)
    elif name == "softplus":
        d *= sigmoid(a)
    else:
        raise ValueError(f"unknown activation {name!r}")
    return d
