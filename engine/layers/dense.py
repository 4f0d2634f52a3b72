"""Fully connected layer: y = x @ W + b."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Layer, column_sums, init_uniform, register


@dataclass
class DenseCache:
    y: np.ndarray                  # (n, out) output
    dx: np.ndarray                 # (n, in) input gradient
    x: np.ndarray | None = None    # the input of the last forward (a view, not a copy)


@register
class Dense(Layer):
    """W (in_size, out_size), b (out_size,).  Its PyTorch twin is nn.Linear(in_size, out_size)."""

    kind = "dense"
    tensor_names = ("weight", "bias")

    def __init__(self, in_size: int, out_size: int) -> None:
        super().__init__()
        self.in_size, self.out_size = in_size, out_size
        self.param_shapes = ((in_size, out_size), (out_size,))

    @classmethod
    def examples(cls) -> list[Layer]:
        return [cls(5, 3), cls(1, 4)]

    @property
    def W(self) -> np.ndarray:
        return self.params[0]

    @property
    def b(self) -> np.ndarray:
        return self.params[1]

    def init(self, rng: np.random.Generator) -> None:
        init_uniform(rng, self.params, self.in_size)

    def make_cache(self, n: int, dtype: np.dtype) -> DenseCache:
        return DenseCache(np.empty((n, self.out_size), dtype), np.empty((n, self.in_size), dtype))

    def forward(self, x: np.ndarray, cache: DenseCache | None = None) -> np.ndarray:
        y = np.matmul(x, self.params[0], out=None if cache is None else cache.y)
        y += self.params[1]
        if cache is not None:
            cache.x = x
        return y

    def backward(self, dy: np.ndarray, cache: DenseCache, need_dx: bool = True) -> np.ndarray | None:
        gW, gb = self.grads
        np.matmul(cache.x.T, dy, out=gW)
        column_sums(dy, gb)
        return np.matmul(dy, self.params[0].T, out=cache.dx) if need_dx else None

    def to_torch(self, tensors: list[np.ndarray]) -> list[np.ndarray]:
        return [tensors[0].T, tensors[1]]                  # nn.Linear.weight is (out, in)

    def gemm_shapes(self, n: int, need_dx: bool = True) -> list[tuple[int, int, int]]:
        shapes = [(n, self.in_size, self.out_size), (self.in_size, n, self.out_size)]
        return shapes + ([(n, self.out_size, self.in_size)] if need_dx else [])
