"""An element-wise activation as a layer (the maths is in engine/activations.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations
from .base import Layer, register

# Their derivative is a function of the output alone, so they may overwrite their input.
IN_PLACE = ("relu", "tanh", "sigmoid")


@dataclass
class ActivationCache:
    h: np.ndarray | None                 # output buffer (None: written over the input)
    a: np.ndarray | None = None          # input of the last forward
    out: np.ndarray | None = None        # output of the last forward


@register
class Activation(Layer):
    """h = act(a), features unchanged.

    Inside a network the input is the previous layer's own output buffer, which nothing reads
    again: inference always writes over it, and training does for relu, tanh and sigmoid (the
    others keep their input for backward).
    """

    kind = "activation"

    def __init__(self, name: str, size: int) -> None:
        super().__init__()
        self.name, self.in_size, self.out_size = name, size, size

    @classmethod
    def examples(cls) -> list[Layer]:
        return [cls(name, 6) for name in activations.NAMES]

    def make_cache(self, n: int, dtype: np.dtype) -> ActivationCache:
        return ActivationCache(None if self.name in IN_PLACE else np.empty((n, self.in_size), dtype))

    def forward(self, x: np.ndarray, cache: ActivationCache | None = None) -> np.ndarray:
        if cache is None:
            return activations.forward(self.name, x, x)
        h = activations.forward(self.name, x, x if cache.h is None else cache.h)
        cache.a, cache.out = x, h
        return h

    def backward(self, dy: np.ndarray, cache: ActivationCache, need_dx: bool = True) -> np.ndarray:
        return activations.backward(self.name, dy, cache.a, cache.out)    # dy is scaled in place
