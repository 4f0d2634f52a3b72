"""Patches of channels-last image batches, as the matrix products of convolutions need them.

im2col: a convolution's input patches become the rows of one matrix, so the whole layer is one
GEMM.  `patches` is a strided view (no copy) of a padded batch (n, Hp, Wp, C) as
(n, out_h, out_w, k, k, C); copying it into a contiguous buffer gives the (n*out_h*out_w, k*k*C)
matrix, each row's (kx, C) runs being contiguous in the source.  col2im, `scatter_add`, is the
transpose: every patch is added back at its place, overlaps summed, with one strided add per
kernel offset (k*k NumPy calls whatever the batch size).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output side of a convolution: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def patches(xp: np.ndarray, kernel: int, stride: int, out_h: int, out_w: int) -> np.ndarray:
    """Read-only view (n, out_h, out_w, k, k, C) of xp (n, Hp, Wp, C): patch (i, j) starts at
    row stride*i, column stride*j."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, (n, out_h, out_w, kernel, kernel, c),
                      (sn, stride * sh, stride * sw, sh, sw, sc), writeable=False)


def scatter_add(cols: np.ndarray, xp: np.ndarray, stride: int) -> None:
    """xp (n, Hp, Wp, C) += each patch of cols (n, out_h, out_w, k, k, C) at its place."""
    out_h, out_w, kernel = cols.shape[1], cols.shape[2], cols.shape[3]
    rows, columns = stride * (out_h - 1) + 1, stride * (out_w - 1) + 1
    for i in range(kernel):
        for j in range(kernel):
            xp[:, i:i + rows:stride, j:j + columns:stride, :] += cols[:, :, :, i, j, :]
