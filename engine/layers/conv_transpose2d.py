"""2-D transposed convolution on channels-last images: one matrix product, then col2im (or a gather)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import subpixel
from .base import Layer, column_sums, init_uniform, register
from .geometry import ConvGeometry
from .im2col import patch_matrix, scatter_planes


@dataclass
class ConvTranspose2dCache:
    y: np.ndarray        # (n, Ho*Wo*F) output
    gather: subpixel.SubpixelBuffers | None     # the forward's buffers (see subpixel.applies)
    planes: np.ndarray | None    # (k*k*F, n*H*W) the forward's patches when scattering them instead
    dyp: np.ndarray      # (n, Ho + 2p, Wo + 2p, F) padded output gradient; the border stays zero
    patch_buffer: np.ndarray     # n*H*W*k*k*F values for the output gradient's patch matrix
    dx: np.ndarray       # (n*H*W, C) input gradient
    x: np.ndarray | None = None


@register
class ConvTranspose2d(Layer):
    """The transpose (adjoint) of Conv2d with the same kernel, stride and padding.

    Every input pixel (i, j) adds its k x k x F patch x[n, i, j, :] @ W into the padded output
    at (s*i, s*j); the padding is then cropped: Ho = (H - 1) s - 2p + k (2H for k 4, s 2, p 1).
    Input (n, H*W*C), output (n, Ho*Wo*F), flattened channels-last; W is (C, k*k*F).  Its
    PyTorch twin is nn.ConvTranspose2d(C, F, k, s, p).
    """

    kind = "conv_transpose2d"
    tensor_names = ("weight", "bias")

    def __init__(self, in_shape: tuple[int, int, int], filters: int, kernel: int = 4,
                 stride: int = 2, padding: int = 1) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.geometry = ConvGeometry(kernel, stride, padding)
        self.out_shape = self.geometry.transposed_shape(self.in_shape, filters)
        h, w, c = self.in_shape
        self.in_size, self.out_size = h * w * c, self.out_shape[0] * self.out_shape[1] * filters
        self.param_shapes = ((c, kernel * kernel * filters), (filters,))

    @classmethod
    def examples(cls) -> list[Layer]:
        # one output channel (its gradient's patches tap by tap), a few (scattered), and a
        # forward gathered (8 output channels, the stride dividing the kernel)
        return [cls((4, 5, 2), 1), cls((5, 6, 3), 2, 3, 2, 1), cls((3, 4, 2), 8), cls((5, 3, 2), 8, 3, 1, 1)]

    def init(self, rng: np.random.Generator) -> None:
        # PyTorch's fan-in for a transposed convolution's (C, F, k, k) weight is F*k*k.
        init_uniform(rng, self.params, self.param_shapes[0][1])

    def make_cache(self, n: int, dtype: np.dtype) -> ConvTranspose2dCache:
        g = self.geometry
        h, w, c = self.in_shape
        rows, k = n * h * w, self.param_shapes[0][1]
        gather = (subpixel.SubpixelBuffers.make(n, self.in_shape, self.out_shape[2], g, dtype, bias=True)
                  if subpixel.applies(g, self.out_shape[2]) else None)
        return ConvTranspose2dCache(np.empty((n, self.out_size), dtype), gather,
                                    None if gather is not None else np.empty((k, rows), dtype),
                                    np.zeros(g.padded_shape(n, self.out_shape), dtype), np.empty(rows * k, dtype),
                                    np.empty((rows, c), dtype))

    def forward(self, x: np.ndarray, cache: ConvTranspose2dCache | None = None) -> np.ndarray:
        n, g = len(x), self.geometry
        h, w, c = self.in_shape
        f = self.out_shape[2]
        x2 = x.reshape(n * h * w, c)
        if cache is not None:
            cache.x = x2
        y = np.empty((n, self.out_size), x.dtype) if cache is None else cache.y
        if subpixel.applies(g, f):
            buffers = cache.gather if cache is not None else subpixel.SubpixelBuffers.make(
                n, self.in_shape, f, g, x.dtype, bias=True)
            K = self.params[0].reshape(c, g.kernel, g.kernel, f).transpose(1, 2, 3, 0)   # (k, k, F, C)
            subpixel.transposed_conv(x.reshape(n, h, w, c), K, g, y.reshape(n, *self.out_shape), buffers,
                                     self.params[1])
        else:       # col2im: scatter every input pixel's patch, one plane per tap and channel
            planes = np.matmul(self.params[0].T, x2.T, out=None if cache is None else cache.planes)  # (k*k*F, n*H*W)
            y4 = y.reshape(n, *self.out_shape)
            y4[...] = self.params[1]
            scatter_planes(planes, y4, g, (h, w))
        return y

    def backward(self, dy: np.ndarray, cache: ConvTranspose2dCache, need_dx: bool = True) -> np.ndarray | None:
        n, g = len(dy), self.geometry
        h, w, c = self.in_shape
        f = self.out_shape[2]
        g.interior(cache.dyp, self.out_shape)[...] = dy.reshape(n, *self.out_shape)
        dcols = patch_matrix(cache.dyp, g, h, w, cache.patch_buffer)    # (n*H*W, k*k*F)
        gW, gb = self.grads
        np.matmul(cache.x.T, dcols, out=gW)
        column_sums(dy.reshape(-1, f), gb)
        if not need_dx:
            return None
        return np.matmul(dcols, self.params[0].T, out=cache.dx).reshape(n, self.in_size)

    def to_torch(self, tensors: list[np.ndarray]) -> list[np.ndarray]:
        k, c, f = self.geometry.kernel, self.in_shape[2], self.out_shape[2]   # nn.ConvTranspose2d.weight: (C, F, k, k)
        return [tensors[0].reshape(c, k, k, f).transpose(0, 3, 1, 2), tensors[1]]

    @property
    def floats_per_image(self) -> int:
        return self.in_shape[0] * self.in_shape[1] * self.param_shapes[0][1]

    def gemm_shapes(self, n: int, need_dx: bool = True) -> list[tuple[int, int, int]]:
        m = n * self.in_shape[0] * self.in_shape[1]
        c, kf = self.param_shapes[0]
        return [(m, c, kf), (c, m, kf)] + ([(m, kf, c)] if need_dx else [])
