"""A data set as rows of pixel values: the one type every loader returns.

A `Dataset` holds images flattened row-major to (N, H*W*C) with their `ImageShape` kept,
labels as int arrays (or None for unlabelled data) and the class names, so the model, the
trainer and the GUI never care where the images came from.

Pixels are stored as uint8 (0..255) whenever the source is 8-bit, which is one byte per value
instead of four: a 50,000-image 64x64 colour folder takes 614 MB, not 2.5 GB.  Consumers
convert rows to float32 in [0, 1] as they use them (`to_float`, per batch or per chunk), with
the same arithmetic loading used before, so the values a model sees do not change.  Data that
is float to begin with (float .npy arrays) is kept as float32 in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from ..image_shape import ImageShape

_SCALE = np.float32(1.0 / 255)
STORED_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))


def to_float(rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Stored rows (uint8 0..255 or float32 0..1), any shape -> float32 in [0, 1].

    uint8 values become float32(v) * float32(1/255), exactly what MNIST always loaded as;
    float32 rows are returned as they are (a view) unless `out` is given.
    """
    if rows.dtype == np.uint8:
        return np.multiply(rows, _SCALE, out=out, dtype=np.float32)
    if out is not None:
        out[...] = rows
        return out
    return rows.astype(np.float32, copy=False)


@dataclass
class Dataset:
    """Images as flattened rows, with labels and metadata.

    x_train, x_test: (n, H*W*C) uint8 (0..255) or float32 (0..1), row-major (H, W, C), channels
    last; use `to_float` (or `train_float` / `test_float`) for [0, 1] values.
    y_train, y_test: (n,) int64 or None (unlabelled).  image_shape: an ImageShape (a
    (height, width) pair is read as grey).  source: where it was loaded from ("mnist" or an
    absolute path), and load_options the folder options it was loaded with, so a saved model can
    find the same data again.  paths_train, paths_test: each image's file, relative to `source`
    (POSIX), for a folder of images; None for MNIST, IDX files and arrays.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    image_shape: ImageShape
    class_names: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    load_options: dict = field(default_factory=dict)
    paths_train: list[str] | None = None
    paths_test: list[str] | None = None

    def __post_init__(self) -> None:
        self.image_shape = ImageShape.of(tuple(int(s) for s in self.image_shape))
        if self.x_train.dtype.kind == "f" and self.x_train.dtype != np.float32:
            self.x_train = self.x_train.astype(np.float32)
        if self.x_test.dtype.kind == "f" and self.x_test.dtype != np.float32:
            self.x_test = self.x_test.astype(np.float32)
        d = self.image_shape.size
        for split, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.ndim != 2 or x.shape[1] != d:
                raise DataError(f"{self.name}: {split} images have shape {x.shape}, expected (n, {d}) "
                                f"for {self.image_shape} images")
            if x.dtype not in STORED_DTYPES:
                raise DataError(f"{self.name}: {split} images are {x.dtype}; expected uint8 or float")
            if len(x) == 0:
                raise DataError(f"{self.name}: the {split} split is empty")
            if y is not None and len(y) != len(x):
                raise DataError(f"{self.name}: {len(x)} {split} images but {len(y)} labels")
            paths = self.paths_train if split == "train" else self.paths_test
            if paths is not None and len(paths) != len(x):
                raise DataError(f"{self.name}: {len(x)} {split} images but {len(paths)} file paths")

    @property
    def input_dim(self) -> int:
        """Values per image: H * W * C."""
        return self.image_shape.size

    @property
    def labelled(self) -> bool:
        return self.y_train is not None

    def train_float(self, rows: np.ndarray | slice | int = slice(None)) -> np.ndarray:
        """Training images `rows` as float32 in [0, 1], (n, H*W*C) (or (H*W*C,) for one int)."""
        return to_float(self.x_train[rows])

    def test_float(self, rows: np.ndarray | slice | int = slice(None)) -> np.ndarray:
        """Test images `rows` as float32 in [0, 1], (n, H*W*C) (or (H*W*C,) for one int)."""
        return to_float(self.x_test[rows])

    def subset(self, n_train: int, n_test: int) -> Dataset:
        """The first n_train / n_test images: quick experiments and tests."""
        cut = lambda a, n: None if a is None else a[:n]  # noqa: E731
        return Dataset(self.name, self.x_train[:n_train], cut(self.y_train, n_train),
                       self.x_test[:n_test], cut(self.y_test, n_test), self.image_shape,
                       self.class_names, list(self.notes), self.source, dict(self.load_options),
                       cut(self.paths_train, n_train), cut(self.paths_test, n_test))


def invert_rows(rows: np.ndarray) -> np.ndarray:
    """Stored rows with every value v replaced by its opposite (255 - v, or 1 - v for floats)."""
    return np.subtract(255, rows, dtype=np.uint8) if rows.dtype == np.uint8 else 1.0 - rows


def images_to_rows(images: np.ndarray) -> np.ndarray:
    """(n, H, W) or (n, H, W, C) images -> (n, H*W*C) stored rows.

    uint8 stays uint8 (one byte per value); any other type goes through images_to_float.
    """
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images.reshape(images.shape[0], -1))
    return images_to_float(images)


def images_to_float(images: np.ndarray) -> np.ndarray:
    """(n, H, W[, C]) integer or float images -> (n, H*W*C) float32 in [0, 1]."""
    n = images.shape[0]
    if images.dtype.kind in "ui":
        top = 255.0 if images.max(initial=0) <= 255 else float(np.iinfo(images.dtype).max)
        out = images.reshape(n, -1).astype(np.float32)
        out *= np.float32(1.0 / top)
    else:
        out = images.reshape(n, -1).astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise DataError("images contain NaN or infinite values")
        lo, hi = float(out.min(initial=0.0)), float(out.max(initial=0.0))
        if lo < 0.0 or hi > 1.0:
            raise DataError(f"float images must lie in [0, 1], found [{lo:.3g}, {hi:.3g}]")
    return out
