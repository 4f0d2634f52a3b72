"""The one protocol every layer follows, so a network is a list of layers and a new kind is one file.

Activations between layers travel as (n, features) arrays; images are flattened row-major
(height, width, channels), so a convolution views its input as (n, H, W, C) at no cost.

- `param_shapes` lists the layer's tensors; `bind` gives it views of them in the model's flat
  parameter vector and in one flat gradient vector (several gradient vectors may view the same
  parameters, so each training pass owns its gradients).
- `forward(x, cache)` returns the output; given a cache (from `make_cache(n, dtype)`, buffers
  preallocated for batch size n) it writes into the cache and keeps what backward needs.
  Without a cache (inference) it allocates, so a model can decode in one thread while a copy
  trains in another.
- `backward(dy, cache, need_dx)` fills the layer's gradients from dy (n, out_size) and returns
  dL/dx (n, in_size), or None when need_dx is False (the first layer: its input is the data).
- `gemm_shapes(n)` lists the (m, k, n) of the matrix products one forward and backward do,
  for the benchmarks' count of FLOPs.

What the rest of the engine needs to know about a kind it reads from the class, so a new kind
is one file (and one import line in layers/__init__.py):
- `kind`, its name in REGISTRY (`@register` puts it there);
- `tensor_names`, its tensors' names in model files (`{layer name}.{tensor name}`, storage/layout.py);
- `to_torch`, its PyTorch twin: its tensors as views in the twin module's layout (nn.Linear's
  (out, in) weight, nn.Conv2d's (F, C, k, k)); model files store them so;
- `examples()`, small instances on which the tests check every gradient against finite differences.
"""
from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

from ..constants import cached_full


class Layer:
    """Base of all layers: parameter binding and the default (parameter-free) behaviour."""

    kind: str = ""
    tensor_names: tuple[str, ...] = ()          # one per param_shapes entry
    in_size: int
    out_size: int
    param_shapes: tuple[tuple[int, ...], ...] = ()

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes)

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        """View this layer's tensors in flat slices `params` and `grads` of length n_params."""
        self.params, self.grads, offset = [], [], 0
        for shape in self.param_shapes:
            size = math.prod(shape)
            self.params.append(params[offset:offset + size].reshape(shape))
            self.grads.append(grads[offset:offset + size].reshape(shape))
            offset += size

    def init(self, rng: np.random.Generator) -> None:
        """Draw the initial weights (layers without parameters have nothing to draw)."""

    def make_cache(self, n: int, dtype: np.dtype) -> Any:
        """Buffers for a training batch of n images (None if the layer needs none)."""
        return None

    def forward(self, x: np.ndarray, cache: Any = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray, cache: Any, need_dx: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    @classmethod
    def examples(cls) -> list[Layer]:
        """Small instances covering this kind's code paths, for the finite-difference checks."""
        raise NotImplementedError(f"layer kind {cls.kind!r} gives no examples to check its gradients on")

    def gemm_shapes(self, n: int, need_dx: bool = True) -> list[tuple[int, int, int]]:
        return []

    def to_torch(self, tensors: list[np.ndarray]) -> list[np.ndarray]:
        """These tensors of this layer (e.g. views of the flat vector) in PyTorch's layout, as
        views; model files store and name them so."""
        return list(tensors)

    def torch_shapes(self) -> list[tuple[int, ...]]:
        """The PyTorch-layout shapes of this layer's tensors, allocating nothing: to_torch is applied
        to zero-stride stand-ins (one float viewed as each whole tensor), since a file may declare
        layers of tens of gigabytes and this runs before its shapes are checked."""
        one = np.zeros(1, np.float32)
        stand_ins = [np.lib.stride_tricks.as_strided(one, s, (0,) * len(s), writeable=False) for s in self.param_shapes]
        return [t.shape for t in self.to_torch(stand_ins)]

    def from_torch(self, tensors: list[np.ndarray], out: list[np.ndarray]) -> None:
        """Write tensors in PyTorch's layout into this layer's tensors `out` (views of a flat vector)."""
        for view, src in zip(self.to_torch(out), tensors):
            view[...] = src

    @property
    def floats_per_image(self) -> int:
        """Size of the largest array forward allocates per image (inference sizes its chunks by it)."""
        return self.out_size


REGISTRY: dict[str, type[Layer]] = {}
LayerKind = TypeVar("LayerKind", bound=type[Layer])


def register(cls: LayerKind) -> LayerKind:
    """Class decorator: list a layer kind in REGISTRY under its `kind`."""
    if not cls.kind or cls.kind in REGISTRY:
        raise ValueError(f"layer kind {cls.kind!r} is unnamed or already registered")
    REGISTRY[cls.kind] = cls
    return cls


def init_uniform(rng: np.random.Generator, tensors: list[np.ndarray], fan_in: int) -> None:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every tensor: PyTorch's default for Linear and
    convolution layers, so results compare like for like with the reference implementation."""
    bound = 1.0 / math.sqrt(fan_in)
    for t in tensors:
        t[...] = rng.uniform(-bound, bound, t.shape)


def column_sums(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out (f,) = a (rows, f) summed over its rows: a bias gradient.

    As a BLAS product with a ones vector: np.sum(axis=0) took 0.42 ms on a (12544, 32) float32
    gradient and this 0.045 ms (one thread), and its rounding error was smaller.
    """
    return np.matmul(cached_full((len(a),), 1.0, a.dtype), a, out=out)
