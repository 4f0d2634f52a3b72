"""A loaded data set written as one .npz of uint8 images: for training elsewhere (scale/train_torch.py).

Arrays: x_train, x_test (n, H, W) uint8, or (n, H, W, C) for colour; y_train, y_test (n,) int64
when labelled; class_names (unicode) when named.  The engine's array loader reads this layout
back with its own split, so the file also reopens as a data set here.  No pickle: every array
is numeric or unicode.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import Dataset
from .errors import DataError
from .storage.atomic import write_atomically


def to_uint8(x: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Stored images (n, D), uint8 or floats in [0, 1], as uint8 (n, H, W) or (n, H, W, C), floats
    rounded to the nearest level."""
    shape = tuple(image_shape) if len(image_shape) == 2 or image_shape[2] > 1 else tuple(image_shape[:2])
    levels = x if x.dtype == np.uint8 else np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    return levels.reshape((len(x),) + shape)


def export_dataset(data: Dataset, path: str | Path) -> Path:
    """Write data's train and test images (and labels, class names) to path (.npz), atomically."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise DataError(f"{path}: an exported data set is an .npz file; end the name in .npz")
    arrays = {"x_train": to_uint8(data.x_train, data.image_shape), "x_test": to_uint8(data.x_test, data.image_shape)}
    if data.y_train is not None and data.y_test is not None:
        arrays["y_train"] = data.y_train.astype(np.int64)
        arrays["y_test"] = data.y_test.astype(np.int64)
    if data.class_names:
        arrays["class_names"] = np.array(data.class_names, dtype=str)
    return write_atomically(path, lambda f: np.savez(f, **arrays))
