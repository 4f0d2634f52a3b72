"""Class colours that stay distinguishable from 2 classes to a hundred and more.

Up to 10 classes: Tableau 10 (colour-blind friendly). Beyond: hues stepped by the golden
angle, so any two consecutive classes are far apart on the colour wheel, with lightness and
saturation cycling through three levels, so classes of similar hue still differ. (Evenly spaced
hues make 101 classes into a rainbow where neighbours cannot be told apart.)
"""
from __future__ import annotations

import colorsys

import numpy as np

TAB10 = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
         (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
GOLDEN = 0.618033988749895
LEVELS = ((0.80, 1.00), (0.55, 0.85), (0.95, 0.70))    # (saturation, value)


def distinct_colours(n: int) -> np.ndarray:
    """(n, 3) uint8 RGB colours, one per class."""
    if n <= len(TAB10):
        return np.array(TAB10[:n], np.uint8).reshape(n, 3)
    out = np.empty((n, 3), np.uint8)
    for i in range(n):
        sat, val = LEVELS[i % len(LEVELS)]
        r, g, b = colorsys.hsv_to_rgb((i * GOLDEN) % 1.0, sat, val)
        out[i] = (round(255 * r), round(255 * g), round(255 * b))
    return out


def rgb(button) -> tuple[int, int, int]:
    """A pyqtgraph ColorButton's colour as an (r, g, b) triple of 0..255."""
    return tuple(int(c) for c in button.color(mode="byte")[:3])
