"""`edit`: move one image along an attribute direction and write the strip of decodes.

The direction goes from class A to class B of the data set (--from A --to B; "rest" for every
other class), by the class-mean difference or a logistic regression's normal, optionally kept
orthogonal to up to two others (--keep); or it is one saved with the model (--direction NAME).
--save NAME stores the direction built in the model file, both formats.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..codes_export import encode_dataset
from ..data.decode import SkipImage, border_value, decode_image
from ..directions import MAX_RANGE, MAX_STEPS, METHODS, Direction, build_direction, class_groups, edit_strip
from ..manifold import tile_images
from ..storage import ModelFile, load_model, save_model
from . import checks as check
from .common import CliError, add_data_argument, add_model_argument, data_for

NAME = "edit"


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(NAME, help="move an image along an attribute direction and write the strip of decodes")
    add_model_argument(e)
    e.add_argument("image", help="an image file, or train:N / test:N for an image of the data set")
    e.add_argument("--from", dest="from_class", default=None, help="the class the direction starts from (or 'rest')")
    e.add_argument("--to", dest="to_class", default=None, help="the class it goes towards (or 'rest')")
    e.add_argument("--direction", default=None, help="use a direction saved with the model instead of --from/--to")
    e.add_argument("--method", choices=METHODS, default="mean",
                   help="mean: the class-mean difference; logistic: a logistic regression's normal (default mean)")
    e.add_argument("--keep", default=None,
                   help="up to two directions to keep fixed, comma-separated: names saved with the model, "
                        "or A:B for the direction from class A to class B")
    e.add_argument("--steps", type=check.integer(1, MAX_STEPS), default=7, help="images in the strip (default 7)")
    e.add_argument("--range", dest="span", type=check.positive_number(0.0, MAX_RANGE), default=3.0,
                   help="move from -R to +R spreads of the data along the direction (default 3)")
    add_data_argument(e)
    e.add_argument("--save", default=None, metavar="NAME", help="also save the direction in the model file under NAME")
    e.add_argument("--out", type=Path, default=Path("strip.png"), help="image to write (default strip.png)")


def run(a: argparse.Namespace) -> int:
    from PIL import Image

    try:
        fmt = check.image_format(a.out)
    except argparse.ArgumentTypeError as exc:
        raise CliError(f"--out {exc}") from None
    if (a.direction is None) == (a.from_class is None or a.to_class is None):
        raise CliError("give either --from A --to B, or --direction NAME")
    saved = load_model(a.model)
    data = data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    image = _image(a.image, data, saved)
    if a.direction is not None:
        direction = saved.directions.get(a.direction)
    else:
        direction = _build(a, saved, data)
    strip = edit_strip(saved.model, image, direction, a.steps, a.span)
    pixels = np.clip(np.rint(tile_images(strip.images, saved.image_shape, 1, a.steps) * 255.0), 0, 255).astype(np.uint8)
    try:
        Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").save(a.out, format=fmt)
    except OSError as exc:
        raise CliError(f"cannot write {a.out}: {exc.strerror or exc}") from None
    if a.save:
        saved.directions.add(Direction(a.save, direction.vector, direction.spread, direction.method,
                                       direction.source, direction.keep), replace=True)
        save_model(a.model, saved.model, source=saved)
        print(f"saved direction {a.save!r} in {a.model}", file=sys.stderr)
    print(f"wrote {a.out}: {a.steps} decodes along {direction.source or direction.name} "
          f"({direction.method}), t from {strip.t[0]:+g} to {strip.t[-1]:+g} x spread {direction.spread:.3g}",
          file=sys.stderr)
    return 0


def _build(a: argparse.Namespace, saved: ModelFile, data) -> Direction:
    codes = encode_dataset(saved.model, data)
    keep = []
    for item in [s.strip() for s in (a.keep or "").split(",") if s.strip()]:
        if ":" in item and item not in saved.directions.names():
            lo, hi = item.split(":", 1)
            rows_a, rows_b, source = class_groups(codes.labels, codes.class_names, lo, hi)
            keep.append(build_direction(item, codes.mu, codes.logvar, rows_a, rows_b, a.method, source=source))
        else:
            keep.append(saved.directions.get(item))
    rows_a, rows_b, source = class_groups(codes.labels, codes.class_names, a.from_class, a.to_class)
    return build_direction(a.save or source, codes.mu, codes.logvar, rows_a, rows_b, a.method, keep, source)


def _image(spec: str, data, saved: ModelFile) -> np.ndarray:
    """The image to edit as a stored row (D,): train:N / test:N of the data set, or a file decoded
    like a folder's images (grey ones made light-on-dark, as the loader makes grey folders)."""
    split, _, number = spec.partition(":")
    if split in ("train", "test") and number.isdigit() and not Path(spec).exists():
        rows = data.x_train if split == "train" else data.x_test
        if int(number) >= len(rows):
            raise CliError(f"{spec}: the {split} split of {data.name} has {len(rows):,} images")
        return rows[int(number)]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise CliError(f"{spec}: no such image file (give a file, or train:N / test:N)")
    h, w, c = saved.image_shape
    try:
        pixels, _ = decode_image(str(path), (h, w), "rgb" if c == 3 else "grey")
    except SkipImage as exc:
        raise CliError(f"{spec}: {exc}") from None
    if c == 1 and border_value(pixels[..., 0]) >= 128:
        pixels = 255 - pixels
    return pixels.reshape(-1)
