"""A data set as float32 arrays in [0, 1]: the one type every loader returns.

A `Dataset` holds images flattened to (N, H*W) with their (H, W) kept, labels as int arrays (or
None for unlabelled data) and the class names, so the model, the trainer and the GUI never
care where the images came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError


@dataclass
class Dataset:
    """Images in [0, 1] as float32 rows, with labels and metadata.

    x_train, x_test: (n, H*W) float32.  y_train, y_test: (n,) int64 or None (unlabelled).
    source: where it was loaded from ("mnist" or an absolute path), and load_options the
    folder options it was loaded with, so a saved model can find the same data again.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    image_shape: tuple[int, int]
    class_names: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    load_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        h, w = self.image_shape
        for split, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.ndim != 2 or x.shape[1] != h * w:
                raise DataError(f"{self.name}: {split} images have shape {x.shape}, expected (n, {h * w})")
            if len(x) == 0:
                raise DataError(f"{self.name}: the {split} split is empty")
            if y is not None and len(y) != len(x):
                raise DataError(f"{self.name}: {len(x)} {split} images but {len(y)} labels")

    @property
    def input_dim(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    @property
    def labelled(self) -> bool:
        return self.y_train is not None

    def subset(self, n_train: int, n_test: int) -> "Dataset":
        """The first n_train / n_test images: quick experiments and tests."""
        cut = lambda a, n: None if a is None else a[:n]  # noqa: E731
        return Dataset(self.name, self.x_train[:n_train], cut(self.y_train, n_train),
                       self.x_test[:n_test], cut(self.y_test, n_test), self.image_shape,
                       self.class_names, list(self.notes), self.source, dict(self.load_options))


def images_to_float(images: np.ndarray) -> np.ndarray:
    """(n, H, W) integer or float images -> (n, H*W) float32 in [0, 1]."""
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
