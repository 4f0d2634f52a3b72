"""The one geometry of a k x k, stride-s, padding-p convolution, shared by Conv2d, ConvTranspose2d,
the patch matrices (im2col.py) and the gathers (subpixel.py).

Images are channels-last (n, H, W, C).  A convolution maps a side of H to floor((H + 2p - k) / s) + 1;
its transpose maps H back to (H - 1) s - 2p + k (for k 4, s 2, p 1: H/2 and 2H).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConvGeometry:
    kernel: int = 4
    stride: int = 2
    padding: int = 1

    def out_side(self, side: int) -> int:
        """A convolution's output side from its input side."""
        return (side + 2 * self.padding - self.kernel) // self.stride + 1

    def transposed_side(self, side: int) -> int:
        """A transposed convolution's output side from its input side."""
        return (side - 1) * self.stride - 2 * self.padding + self.kernel

    def conv_shape(self, in_shape: tuple[int, int, int], filters: int) -> tuple[int, int, int]:
        """(Ho, Wo, F) of a convolution of in_shape (H, W, C) images; ValueError if none fits."""
        h, w, _ = in_shape
        shape = (self.out_side(h), self.out_side(w), filters)
        if min(shape[:2]) < 1:
            raise ValueError(f"a {self.kernel}x{self.kernel} convolution does not fit {h}x{w} images")
        return shape

    def transposed_shape(self, in_shape: tuple[int, int, int], filters: int) -> tuple[int, int, int]:
        """(Ho, Wo, F) of a transposed convolution of in_shape (H, W, C); ValueError if empty."""
        h, w, _ = in_shape
        shape = (self.transposed_side(h), self.transposed_side(w), filters)
        if min(shape[:2]) < 1:
            raise ValueError(f"a {self.kernel}x{self.kernel} transposed convolution with padding {self.padding} "
                             f"leaves nothing of {h}x{w} images")
        return shape

    def padded_shape(self, n: int, shape: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """(n, H + 2p, W + 2p, C): a batch of `shape` images with the padding around them."""
        h, w, c = shape
        return n, h + 2 * self.padding, w + 2 * self.padding, c

    def interior(self, padded: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
        """The view of a padded batch (n, H + 2p, W + 2p, C) without its border."""
        p = self.padding
        return padded[:, p:p + shape[0], p:p + shape[1], :]

    def taps(self, size: int, out_size: int) -> Iterator[tuple[int, slice, int]]:
        """For each tap a of the transposed direction: the input positions i whose tap lands
        inside the output (s*i + a - p in [0, out_size)), as a slice of i, and the first output
        position they reach."""
        k, s, p = self.kernel, self.stride, self.padding
        for a in range(k):
            first = max(0, -((a - p) // s))                       # ceil((p - a) / s)
            last = min(size - 1, (out_size - 1 + p - a) // s)
            yield a, slice(first, last + 1), s * first + a - p
