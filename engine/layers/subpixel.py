"""The transposed convolution as a gather, not a scatter: one matrix product, no col2im.

A transposed convolution (a Conv2d's input gradient, a ConvTranspose2d's forward) adds each
input pixel's k x k patch into the output at stride s.  Scattering those patches back (col2im)
takes k*k strided read-modify-write passes over the output, which measured 20x slower than the
im2col copy.  When s divides k (m = k / s), every output pixel (s*R + pr, s*Q + pc) instead
gathers from an m x m window of input pixels (R - a, Q - b) through kernel tap
(s*a + pr, s*b + pc): that is an m x m, stride-1 convolution of the input, zero-padded by m - 1,
whose s*s output "parities" (pr, pc) are just more output channels.  So: im2col of the padded
input, one GEMM with an (m*m*F, s*s*C) rearranged kernel, and s*s strided copies that interleave
the parities into the output (cropping the padding).

Shapes: input u (n, H, W, F); kernel K (k, k, C, F) in Conv2d's layout (it maps C -> F); the
full output, before cropping `padding` from each side, is (n, s*(H+m-1), s*(W+m-1), C).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import ConvGeometry
from .im2col import patches

# With few output channels the scatter (im2col.scatter_planes) is cheap and the gather's im2col
# (m*m*F values per input pixel) is not.  ConvTranspose2d forward, 14x14x32 -> 28x28xC, batch 64,
# one thread, scatter / gather: 0.90 / 2.89 ms for 1 channel, 2.66 / 5.20 for 3, 4.97 / 4.85 for
# 4, 5.61 / 5.86 for 6 (Conv2d's input gradient, the same direction: 9.52 / 6.46), 12.2 / 8.6 for 8.
MIN_GATHER_CHANNELS = 6


def applies(geometry: ConvGeometry, out_channels: int) -> bool:
    """Whether to gather: the form holds (the stride divides the kernel) and pays (enough channels)."""
    return geometry.kernel % geometry.stride == 0 and out_channels >= MIN_GATHER_CHANNELS


@dataclass
class SubpixelBuffers:
    """With a bias, cols gets a last column of ones and kernel a last row of the bias (once per
    parity), so the product adds it: the interleaving copies then only copy (0.21 against 0.50 ms
    for 64x14x14x32 values, one thread)."""

    up: np.ndarray       # (n, H + 2(m-1), W + 2(m-1), F) padded input; the border stays zero
    cols: np.ndarray     # (n*(H+m-1)*(W+m-1), m*m*F [+ 1]) its m x m windows [and ones]
    g: np.ndarray        # (n*(H+m-1)*(W+m-1), s*s*C) the GEMM's result
    kernel: np.ndarray   # (m*m*F [+ 1], s*s*C) the rearranged kernel [and the bias]

    @classmethod
    def make(cls, n: int, in_shape: tuple[int, int, int], out_channels: int, geometry: ConvGeometry,
             dtype: np.dtype, bias: bool = False) -> SubpixelBuffers:
        h, w, f = in_shape
        stride = geometry.stride
        m = geometry.kernel // stride
        rows = n * (h + m - 1) * (w + m - 1)
        cols = np.empty((rows, m * m * f + bias), dtype)
        if bias:
            cols[:, -1] = 1.0
        return cls(np.zeros((n, h + 2 * (m - 1), w + 2 * (m - 1), f), dtype), cols,
                   np.empty((rows, stride * stride * out_channels), dtype),
                   np.empty((m * m * f + bias, stride * stride * out_channels), dtype))


def rearrange_kernel(K: np.ndarray, stride: int, out: np.ndarray) -> None:
    """out[(a', b', f), (pr, pc, c)] = K[s*(m-1-a') + pr, s*(m-1-b') + pc, c, f] for K (k, k, C, F)."""
    k, _, c, f = K.shape
    m = k // stride
    taps = K.reshape(m, stride, m, stride, c, f)[::-1, :, ::-1]          # (a', pr, b', pc, C, F)
    out.reshape(m, m, f, stride, stride, c)[...] = taps.transpose(0, 2, 5, 1, 3, 4)


def transposed_conv(u: np.ndarray, K: np.ndarray, geometry: ConvGeometry, out: np.ndarray,
                    buffers: SubpixelBuffers, bias: np.ndarray | None = None) -> np.ndarray:
    """out (n, Ho, Wo, C) = the transposed convolution of u (n, H, W, F) by K, `padding` cropped
    from each side of the full output (+ bias, if the buffers were made with one); rows and
    columns it does not reach are zero."""
    n, h, w, f = u.shape
    k, c = K.shape[0], K.shape[2]
    stride, padding = geometry.stride, geometry.padding
    m, s = k // stride, stride
    rn, qn = h + m - 1, w + m - 1
    window = m * m * f
    if (bias is not None) != (buffers.kernel.shape[0] > window):
        raise ValueError("the subpixel buffers must be made with bias=True exactly when there is a bias")
    buffers.up[:, m - 1:m - 1 + h, m - 1:m - 1 + w, :] = u
    np.copyto(buffers.cols[:, :window].reshape(n, rn, qn, m, m, f), patches(buffers.up, m, 1, rn, qn))
    rearrange_kernel(K, s, buffers.kernel[:window])
    if bias is not None:
        buffers.kernel[window:].reshape(s * s, c)[...] = bias
    g = np.matmul(buffers.cols, buffers.kernel, out=buffers.g).reshape(n, rn, qn, s, s, c)
    oh, ow = out.shape[1], out.shape[2]
    reach_h, reach_w = s * rn - padding, s * qn - padding
    if reach_h < oh or reach_w < ow:            # a Conv2d whose stride skipped the last rows
        out[:, reach_h:] = 0.0
        out[:, :, reach_w:] = 0.0
    for dst, src in _parities(g, out, s, padding):
        np.copyto(dst, src)
    return out


def _parities(g: np.ndarray, out: np.ndarray, s: int, padding: int):
    """Pairs (destination in out, source in g) that interleave the parities: out[:, s*R + pr - p,
    s*Q + pc - p] = g[:, R, Q, pr, pc] wherever that lands in out (n, Ho, Wo, C).

    Where all s column parities of a window column Q land inside out they are one run of s*C
    values in both arrays, copied together; one pair per row parity, plus the edge columns
    one by one.  (Copying each parity alone, runs of C values, took 0.27 against 0.21 ms for
    64x14x14x32 values, one thread.)
    """
    n, rn, qn, _, _, c = g.shape
    oh, ow = out.shape[1], out.shape[2]
    q_lo, q_hi = -(-padding // s), min(qn, (ow + padding) // s)     # Q whose s columns all land
    edges = [q for q in range(qn) if not q_lo <= q < q_hi]
    for pr in range(s):
        r0 = (pr - padding) % s                 # first output row of this parity
        big_r0 = (r0 + padding) // s
        nr = min(len(range(r0, oh, s)), rn - big_r0)
        if nr < 1:
            continue
        rows = out[:, r0:r0 + s * (nr - 1) + 1:s]                    # (n, nr, Wo, C)
        src = g[:, big_r0:big_r0 + nr, :, pr]                        # (n, nr, qn, s, C)
        if q_hi > q_lo:
            yield (rows[:, :, s * q_lo - padding:s * q_hi - padding].reshape(n, nr, q_hi - q_lo, s, c),
                   src[:, :, q_lo:q_hi])
        for q in edges:
            for pc in range(s):
                col = s * q + pc - padding
                if 0 <= col < ow:
                    yield rows[:, :, col], src[:, :, q, pc]
