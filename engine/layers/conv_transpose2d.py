"""2-D transposed convolution on channels-last images: one matrix product, then col2im (or a gather)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Layer, column_sums, init_uniform
from . import subpixel
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


class ConvTranspose2d(Layer):
    """The transpose (adjoint) of Conv2d with the same kernel, stride and padding.

    Every input pixel (i, j) adds its k x k x F patch x[n, i, j, :] @ W into the padded output
    at (s*i, s*j); the padding is then cropped: Ho = (H - 1) s - 2p + k (2H for k 4, s 2, p 1).
    Input (n, H*W*C), output (n, Ho*Wo*F), flattened channels-last; W is (C, k*k*F).
    """

    def __init__(self, in_shape: tuple[int, int, int], filters: int, kernel: int = 4,
                 stride: int = 2, padding: int = 1) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        h, w, c = self.in_shape
        self.kernel, self.stride, self.padding = kernel, stride, padding
        oh, ow = (h - 1) * stride - 2 * padding + kernel, (w - 1) * stride - 2 * padding + kernel
        if oh < 1 or ow < 1:
            raise ValueError(f"a {kernel}x{kernel} transposed convolution with padding {padding} "
                             f"leaves nothing of {h}x{w} images")
        self.out_shape = (oh, ow, filters)
        self.in_size, self.out_size = h * w * c, oh * ow * filters
        self.param_shapes = ((c, kernel * kernel * filters), (filters,))

    def init(self, rng: np.random.Generator) -> None:
        # PyTorch's fan-in for a transposed convolution's (C, F, k, k) weight is F*k*k.
        init_uniform(rng, self.params, self.param_shapes[0][1])

    def _padded_shape(self, n: int) -> tuple[int, int, int, int]:
        oh, ow, f = self.out_shape
        return n, oh + 2 * self.padding, ow + 2 * self.padding, f

    def make_cache(self, n: int, dtype: np.dtype) -> ConvTranspose2dCache:
        h, w, c = self.in_shape
        rows, k = n * h * w, self.param_shapes[0][1]
        gather = (subpixel.SubpixelBuffers.make(n, self.in_shape, self.out_shape[2], self.kernel, self.stride, dtype,
                                                bias=True)
                  if subpixel.applies(self.kernel, self.stride, self.out_shape[2]) else None)
        return ConvTranspose2dCache(np.empty((n, self.out_size), dtype), gather,
                                    None if gather is not None else np.empty((k, rows), dtype),
                                    np.zeros(self._padded_shape(n), dtype), np.empty(rows * k, dtype),
                                    np.empty((rows, c), dtype))

    def _interior(self, yp: np.ndarray) -> np.ndarray:
        oh, ow, _ = self.out_shape
        p = self.padding
        return yp[:, p:p + oh, p:p + ow, :]

    def forward(self, x: np.ndarray, cache: ConvTranspose2dCache | None = None) -> np.ndarray:
        n = len(x)
        h, w, c = self.in_shape
        f = self.out_shape[2]
        x2 = x.reshape(n * h * w, c)
        if cache is not None:
            cache.x = x2
        y = np.empty((n, self.out_size), x.dtype) if cache is None else cache.y
        if subpixel.applies(self.kernel, self.stride, f):
            buffers = cache.gather if cache is not None else subpixel.SubpixelBuffers.make(
                n, self.in_shape, f, self.kernel, self.stride, x.dtype, bias=True)
            K = self.params[0].reshape(c, self.kernel, self.kernel, f).transpose(1, 2, 3, 0)   # (k, k, F, C)
            subpixel.transposed_conv(x.reshape(n, h, w, c), K, self.stride, self.padding,
                                     y.reshape(n, *self.out_shape), buffers, self.params[1])
        else:       # col2im: scatter every input pixel's patch, one plane per tap and channel
            planes = np.matmul(self.params[0].T, x2.T, out=None if cache is None else cache.planes)  # (k*k*F, n*H*W)
            y4 = y.reshape(n, *self.out_shape)
            y4[...] = self.params[1]
            scatter_planes(planes, y4, self.kernel, self.stride, self.padding, (h, w))
        return y

    def backward(self, dy: np.ndarray, cache: ConvTranspose2dCache, need_dx: bool = True) -> np.ndarray | None:
        n = len(dy)
        h, w, c = self.in_shape
        f = self.out_shape[2]
        self._interior(cache.dyp)[...] = dy.reshape(n, *self.out_shape)
        dcols = patch_matrix(cache.dyp, self.kernel, self.stride, h, w, cache.patch_buffer)    # (n*H*W, k*k*F)
        gW, gb = self.grads
        np.matmul(cache.x.T, dcols, out=gW)
        column_sums(dy.reshape(-1, f), gb)
        if not need_dx:
            return None
        return np.matmul(dcols, self.params[0].T, out=cache.dx).reshape(n, self.in_size)

    def to_torch(self, tensors: list[np.ndarray]) -> list[np.ndarray]:
        k, c, f = self.kernel, self.in_shape[2], self.out_shape[2]   # nn.ConvTranspose2d.weight: (C, F, k, k)
        return [tensors[0].reshape(c, k, k, f).transpose(0, 3, 1, 2), tensors[1]]

    @property
    def floats_per_image(self) -> int:
        return self.in_shape[0] * self.in_shape[1] * self.param_shapes[0][1]

    def gemm_shapes(self, n: int, need_dx: bool = True) -> list[tuple[int, int, int]]:
        m = n * self.in_shape[0] * self.in_shape[1]
        c, kf = self.param_shapes[0]
        return [(m, c, kf), (c, m, kf)] + ([(m, kf, c)] if need_dx else [])
