"""Reorders a channels-last output of 2C channels into two flat halves: channels [0, C), then [C, 2C).

A convolutional decoder that learns the Gaussian variance emits, per pixel, C mean logits and
C raw log-variances; the likelihood expects all means first (n, H*W*C), then all log-variances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Layer, register


@dataclass
class SplitChannelsCache:
    y: np.ndarray     # (n, 2*P*C)
    dx: np.ndarray    # (n, P*2C)


@register
class SplitChannels(Layer):
    """(n, P*2C) channels-last -> (n, 2*P*C) as [first C channels | last C channels]; P pixels."""

    kind = "split_channels"

    def __init__(self, pixels: int, channels: int) -> None:
        super().__init__()
        self.pixels, self.channels = pixels, channels
        self.in_size = self.out_size = 2 * pixels * channels

    @classmethod
    def examples(cls) -> list[Layer]:
        return [cls(3, 2), cls(4, 1)]

    def make_cache(self, n: int, dtype: np.dtype) -> SplitChannelsCache:
        return SplitChannelsCache(np.empty((n, self.out_size), dtype), np.empty((n, self.in_size), dtype))

    def forward(self, x: np.ndarray, cache: SplitChannelsCache | None = None) -> np.ndarray:
        n = len(x)
        y = np.empty((n, self.out_size), x.dtype) if cache is None else cache.y
        y.reshape(n, 2, self.pixels, self.channels)[...] = \
            x.reshape(n, self.pixels, 2, self.channels).transpose(0, 2, 1, 3)
        return y

    def backward(self, dy: np.ndarray, cache: SplitChannelsCache, need_dx: bool = True) -> np.ndarray:
        n = len(dy)
        cache.dx.reshape(n, self.pixels, 2, self.channels)[...] = \
            dy.reshape(n, 2, self.pixels, self.channels).transpose(0, 2, 1, 3)
        return cache.dx
