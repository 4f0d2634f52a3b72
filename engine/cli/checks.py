"""Range-checked argument types for `python -m engine`: each bad value gets one sentence naming the flag.

argparse calls these on the raw text; an ArgumentTypeError becomes "argument --seed: ..." on
one line (cli.common.Parser).  Checks that need more than one flag (memory for an architecture, the
image format of --out) live beside the commands in their modules.
"""
from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image

MAX_SEED = 2 ** 63 - 1
# Pillow formats `sample --out` writes, by the extension that asks for them
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP", ".gif": "GIF"}


def integer(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    """An int in [low, high] (no upper bound if high is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"between {low} and {high}{what}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value
    return parse


def positive_number(low: float = 0.0, high: float = math.inf, low_inclusive: bool = False,
                    why: str = "") -> Callable[[str], float]:
    """A finite float above low (or at least low) and at most high."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        too_low = value < low if low_inclusive else value <= low
        if too_low or value > high:
            bound = f"{'at least' if low_inclusive else 'above'} {low:g}"
            upper = f" and at most {high:g}" if high < math.inf else ""
            raise argparse.ArgumentTypeError(f"must be {bound}{why}{upper}, got {value:g}")
        return value
    return parse


def threads(text: str) -> int:
    """1 .. the number of cores: more threads than cores only slows the matrix products down."""
    cores = os.cpu_count() or 1
    return integer(1, cores, f" (this machine has {cores} cores)")(text)


def sizes(text: str) -> tuple[int, ...]:
    """Hidden layer sizes like 400 or 512,256: at least one, each positive."""
    try:
        values = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 400 or 512,256, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one size, like 400 or 512,256, got {text!r}")
    if any(s < 1 for s in values):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return values


def image_format(path: Path) -> str:
    """The Pillow format an output file's extension asks for; ArgumentTypeError for any other."""
    fmt = IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        names = ", ".join(sorted(IMAGE_FORMATS))
        raise argparse.ArgumentTypeError(f"{path}: the file name must end in one of {names}")
    if fmt not in Image.SAVE:
        Image.init()
    return fmt
