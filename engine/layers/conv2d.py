"""2-D convolution on channels-last images, as im2col and one matrix product."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import subpixel
from .base import Layer, column_sums, init_uniform, register
from .geometry import ConvGeometry
from .im2col import patch_matrix, scatter_planes


@dataclass
class Conv2dCache:
    xp: np.ndarray       # (n, H + 2p, W + 2p, C) padded input; the border stays zero
    patch_buffer: np.ndarray     # the patch matrix's n*Ho*Wo*k*k*C values (+ n*Ho*Wo ones with one channel)
    y: np.ndarray        # (n*Ho*Wo, F) output
    dx: np.ndarray       # (n, H*W*C) input gradient
    gather: subpixel.SubpixelBuffers | None     # the input gradient's buffers (see subpixel.applies)
    dplanes: np.ndarray | None   # (k*k*C, n*Ho*Wo) the patches' gradients when scattering them instead
    cols: np.ndarray | None = None   # (n*Ho*Wo, k*k*C) the last forward's patch matrix (a view)


@register
class Conv2d(Layer):
    """y[n, i, j, f] = b[f] + sum_{a, c, ch} xp[n, s*i + a, s*j + c, ch] * K[a, c, ch, f].

    Input (n, H*W*C) and output (n, Ho*Wo*F), both flattened channels-last; xp is x zero-padded
    by `padding` on each side, Ho = floor((H + 2p - k) / s) + 1.  The kernel K (k, k, C, F) is
    stored as the matrix W (k*k*C, F) that multiplies the patch matrix.  Its PyTorch twin is
    nn.Conv2d(C, F, k, s, p).

    With one input channel the patch matrix gets a column of ones and the product adds the bias
    (W and b are adjacent in the parameter vector: one (k*k*C + 1, F) matrix): for MNIST's first
    layer, batch 64, 0.60 ms against 0.93 ms for the product and a separate add (one thread).  With
    more channels it did not pay: the weight gradient's product over the patch columns alone,
    strided by the extra one, took 5% longer than the add saved.
    """

    kind = "conv2d"
    tensor_names = ("weight", "bias")

    def __init__(self, in_shape: tuple[int, int, int], filters: int, kernel: int = 4,
                 stride: int = 2, padding: int = 1) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.geometry = ConvGeometry(kernel, stride, padding)
        self.out_shape = self.geometry.conv_shape(self.in_shape, filters)
        h, w, c = self.in_shape
        self.in_size, self.out_size = h * w * c, self.out_shape[0] * self.out_shape[1] * filters
        self.param_shapes = ((kernel * kernel * c, filters), (filters,))

    @classmethod
    def examples(cls) -> list[Layer]:
        # one channel (patches tap by tap, bias in the product), several (patch rows), and an
        # input gradient gathered (8 input channels, the stride dividing the kernel) or scattered
        return [cls((5, 7, 1), 2), cls((4, 5, 3), 2, 3, 1, 1), cls((4, 6, 8), 3), cls((7, 5, 8), 2, 6, 3, 2)]

    def init(self, rng: np.random.Generator) -> None:
        init_uniform(rng, self.params, self.param_shapes[0][0])

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        super().bind(params, grads)
        self._weights_and_bias = params.reshape(-1, self.out_shape[2])     # (k*k*C + 1, F)

    @property
    def _bias_in_product(self) -> bool:
        return self.in_shape[2] == 1

    def make_cache(self, n: int, dtype: np.dtype) -> Conv2dCache:
        g = self.geometry
        rows, k = n * self.out_shape[0] * self.out_shape[1], self.param_shapes[0][0]
        gather = (subpixel.SubpixelBuffers.make(n, self.out_shape, self.in_shape[2], g, dtype)
                  if subpixel.applies(g, self.in_shape[2]) else None)
        return Conv2dCache(np.zeros(g.padded_shape(n, self.in_shape), dtype),
                           np.empty(rows * (k + self._bias_in_product), dtype),
                           np.empty((rows, self.out_shape[2]), dtype), np.empty((n, self.in_size), dtype), gather,
                           None if gather is not None else np.empty((k, rows), dtype))

    def forward(self, x: np.ndarray, cache: Conv2dCache | None = None) -> np.ndarray:
        n, g = len(x), self.geometry
        oh, ow, f = self.out_shape
        xp = np.zeros(g.padded_shape(n, self.in_shape), x.dtype) if cache is None else cache.xp
        g.interior(xp, self.in_shape)[...] = x.reshape(n, *self.in_shape)
        cols = patch_matrix(xp, g, oh, ow, None if cache is None else cache.patch_buffer,
                            ones=self._bias_in_product)
        if cache is not None:
            cache.cols = cols[:, :self.param_shapes[0][0]]
        if self._bias_in_product:
            y = np.matmul(cols, self._weights_and_bias, out=None if cache is None else cache.y)
        else:
            y = np.matmul(cols, self.params[0], out=None if cache is None else cache.y)
            y += self.params[1]
        return y.reshape(n, self.out_size)

    def backward(self, dy: np.ndarray, cache: Conv2dCache, need_dx: bool = True) -> np.ndarray | None:
        n, g = len(dy), self.geometry
        oh, ow, f = self.out_shape
        dy = dy.reshape(n * oh * ow, f)
        gW, gb = self.grads
        np.matmul(cache.cols.T, dy, out=gW)
        column_sums(dy, gb)
        if not need_dx:
            return None
        dx = cache.dx.reshape(n, *self.in_shape)
        if cache.gather is not None:
            K = self.params[0].reshape(g.kernel, g.kernel, self.in_shape[2], f)
            subpixel.transposed_conv(dy.reshape(n, oh, ow, f), K, g, dx, cache.gather)
        else:       # col2im: scatter the patches' gradients back, one plane per tap and channel
            dplanes = np.matmul(self.params[0], dy.T, out=cache.dplanes)          # (k*k*C, n*Ho*Wo)
            dx[...] = 0.0
            scatter_planes(dplanes, dx, g, (oh, ow))
        return cache.dx

    def to_torch(self, tensors: list[np.ndarray]) -> list[np.ndarray]:
        k, c, f = self.geometry.kernel, self.in_shape[2], self.out_shape[2]       # nn.Conv2d.weight: (F, C, k, k)
        return [tensors[0].reshape(k, k, c, f).transpose(3, 2, 0, 1), tensors[1]]

    @property
    def floats_per_image(self) -> int:
        return self.out_shape[0] * self.out_shape[1] * self.param_shapes[0][0]

    def gemm_shapes(self, n: int, need_dx: bool = True) -> list[tuple[int, int, int]]:
        m = n * self.out_shape[0] * self.out_shape[1]
        k, f = self.param_shapes[0]
        return [(m, k, f), (k, m, f)] + ([(m, f, k)] if need_dx else [])
