"""Decoded images -> a split Dataset: labels from the scan, polarity, the seeded test split."""
from __future__ import annotations

import time

import numpy as np

from ..image_shape import ImageShape
from .dataset import Dataset, invert_rows
from .folder_report import FolderLoad
from .scan import FolderScan
from .splits import split_indices


def assemble(scan: FolderScan, images: np.ndarray, stats: np.ndarray, index: np.ndarray,
              skipped: list[tuple[str, str]], invert: bool | None, test_fraction: float, seed: int,
              from_cache: bool, start: float) -> FolderLoad:
    """Decoded uint8 images (n, H, W, C) -> the split Dataset, grey ones polarity-corrected.

    The images stay uint8: one byte a value (each split is one copy of its rows).
    """
    labels, class_names = None, None
    if scan.labels is not None:
        raw = scan.labels[index]
        present = np.unique(raw)  # a class whose every file was skipped disappears
        labels = np.searchsorted(present, raw).astype(np.int64)
        class_names = [scan.class_names[i] for i in present]
    n, h, w, c = images.shape
    colour = c == 3
    # Colour pictures are never inverted unless asked: their background is part of the picture.
    inverted = bool(invert) if invert is not None or colour else auto_invert(stats)
    train, test = split_indices(len(index), labels, test_fraction, seed)
    flat = images.reshape(n, -1)

    def rows(which: np.ndarray) -> np.ndarray:
        return invert_rows(flat[which]) if inverted else flat[which]

    pick = lambda a, i: None if a is None else a[i]  # noqa: E731
    shape = ImageShape(int(h), int(w), int(c))
    notes = [f"{len(index):,} images from {scan.path}, brought to {shape}"]
    notes += [n for n in (scan.layout_note, scan.loose_note) if n]
    if inverted:
        notes.append("inverted (light background detected)" if invert is None else "inverted by request")
    files = [scan.files[i] for i in index]
    ds = Dataset(scan.name, rows(train), pick(labels, train), rows(test), pick(labels, test),
                 shape, class_names, notes, paths_train=[files[i] for i in train],
                 paths_test=[files[i] for i in test])
    return FolderLoad(ds, len(index), skipped, from_cache, inverted, "images", time.perf_counter() - start,
                      [scan.loose_note] if scan.loose_note else [])


def auto_invert(stats: np.ndarray) -> bool:
    """Whether a folder is dark ink on a light ground, from per-image (background, mean, ...) (n, k).

    True when the typical background is light (median above mid-grey) and lighter than the
    image as a whole, so the drawing is darker than its ground.  The second test keeps
    evenly lit pictures with a bright edge, such as faces, the way they are.
    """
    if len(stats) == 0:
        return False
    background, mean = stats[:, 0], stats[:, 1]
    return bool(np.median(background) >= 128 and np.median(background - mean) > 4)
