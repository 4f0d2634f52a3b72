"""`sample`: the latent manifold (latent 2) or prior samples as one image grid."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..manifold import manifold_grid
from ..storage import load_model
from ..text import printable
from . import checks as check
from .common import CliError, add_model_argument

NAME = "sample"
MAX_GRID = 200          # images per side: 200 x 28 pixels is already 5600 pixels wide


def add_parser(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(NAME, help="write the latent manifold (or prior samples) as an image grid")
    add_model_argument(s)
    s.add_argument("--grid", type=check.integer(1, MAX_GRID), default=20, help="images per side (default 20)")
    s.add_argument("--out", type=Path, default=Path("grid.png"),
                   help="image to write: .png, .jpg, .bmp, .tif, .webp or .gif (default grid.png)")
    s.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0,
                   help="seed for prior samples when latent > 2 (default 0)")


def run(a: argparse.Namespace) -> int:
    from PIL import Image

    try:
        fmt = check.image_format(a.out)
    except argparse.ArgumentTypeError as exc:
        raise CliError(f"--out {exc}") from None
    saved = load_model(a.model)
    mosaic = manifold_grid(saved.model, a.grid, np.random.default_rng(a.seed))   # (H, W) or (H, W, 3)
    pixels = np.clip(np.rint(mosaic * 255.0), 0, 255).astype(np.uint8)
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    try:
        Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").save(a.out, format=fmt, **options)
    except OSError as exc:
        raise CliError(f"cannot write {printable(a.out)}: {exc.strerror or exc}") from None
    print(f"wrote {printable(a.out)} ({pixels.shape[1]}x{pixels.shape[0]} pixels, {fmt})", file=sys.stderr)
    return 0
