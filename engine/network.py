"""Running a list of layers forward and backward: the only forward and backward path there is.

Inference passes no caches (each layer allocates its output); training passes the caches of a
workspace (buffers preallocated per batch size), which also keep what backward needs.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .layers import Layer


def forward(layers: Sequence[Layer], x: np.ndarray, caches: Sequence | None = None) -> np.ndarray:
    """The output of the layers applied in order to x (n, layers[0].in_size)."""
    for i, layer in enumerate(layers):
        x = layer.forward(x, None if caches is None else caches[i])
    return x


def backward(layers: Sequence[Layer], d: np.ndarray, caches: Sequence, need_dx: bool) -> np.ndarray | None:
    """Fill every layer's gradients from d = dL/d(output), last layer first; return dL/d(input)
    if need_dx (else the first layer skips that product)."""
    for i in reversed(range(len(layers))):
        d = layers[i].backward(d, caches[i], need_dx or i > 0)
    return d


def make_caches(layers: Sequence[Layer], n: int, dtype: np.dtype) -> list:
    return [layer.make_cache(n, dtype) for layer in layers]
