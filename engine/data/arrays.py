"""Data sets stored as NumPy arrays: one .npy/.npz file, or a folder of them.

- One .npy of images (N, H, W), e.g. frey_faces.npy (1965, 28, 20): unlabelled, split here.
- Several .npy files in a folder: one class per file, named by the file (the Quick, Draw!
  numpy_bitmap layout).
- An .npz with x_train and x_test (and optionally y_train, y_test, class_names): its own split.
  An .npz with x or images (and optionally y or labels), or a single array: split here.
Images may also be (N, H, W, 1), RGB (N, H, W, 3|4: converted with the ITU-R 601 luma) or flat
(N, D) when D is a square.  Integer pixels are scaled by 255 (65535 for 16-bit data); floats
must lie in [0, 1].  Nothing is unpickled.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .dataset import Dataset, images_to_float
from ..errors import DataError
from .splits import split_indices

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def load_arrays(files: list[Path], name: str, test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """A Dataset from .npy/.npz files (see the module docstring for the layouts)."""
    npz = [f for f in files if f.suffix.lower() == ".npz"]
    if npz and len(files) > 1:
        raise DataError(f"{name}: holds {len(files)} array files including an .npz; "
                        "open the .npz file itself")
    if npz:
        arrays = _read(npz[0])
        if "x_train" in arrays and "x_test" in arrays:
            return _given_split(arrays, name)
        x = next((arrays[k] for k in ("x", "images") if k in arrays), None)
        y = next((arrays[k] for k in ("y", "labels") if k in arrays), None)
        if x is None and len(arrays) == 1:
            x = next(iter(arrays.values()))
        if x is None:
            raise DataError(f"{npz[0].name}: expected arrays x_train and x_test, or x / images; "
                            f"found {', '.join(sorted(arrays)) or 'none'}")
        names = _class_names(arrays, y)
        return _split(_images(x, npz[0].name), _labels(y, len(x), npz[0].name), names, name,
                      test_fraction, seed)
    if len(files) == 1:
        x = _images(_read(files[0])["arr"], files[0].name)
        return _split(x, None, None, name, test_fraction, seed)
    parts = [(_images(_read(f)["arr"], f.name), f.stem) for f in sorted(files)]
    shapes = {p[0][1] for p in parts}
    if len(shapes) > 1:
        raise DataError(f"{name}: the array files hold images of different sizes "
                        f"({', '.join(f'{h}x{w}' for h, w in sorted(shapes))})")
    x = np.concatenate([p[0][0] for p in parts])
    y = np.concatenate([np.full(len(p[0][0]), i, np.int64) for i, p in enumerate(parts)])
    return _split((x, parts[0][0][1]), y, [p[1] for p in parts], name, test_fraction, seed)


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"arr": loaded}
        with loaded:
            return {k: loaded[k] for k in loaded.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(f"{path.name}: holds Python objects, which are not loaded "
                            "(save plain numeric arrays)") from None
        raise DataError(f"{path.name}: not a readable NumPy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name}: cannot read ({exc})") from None


def _images(x: np.ndarray, source: str) -> tuple[np.ndarray, tuple[int, int]]:
    """Any supported image array -> ((N, H*W) float32 in [0, 1], (H, W))."""
    if x.dtype == bool:
        x = x.astype(np.uint8) * 255
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 4 and x.shape[-1] in (3, 4):  # colour: luma of RGB, alpha ignored
        luma = x[..., :3].astype(np.float32) @ _LUMA
        x = np.rint(luma).astype(x.dtype) if x.dtype.kind in "ui" else luma
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise DataError(f"{source}: flat images of {x.shape[1]} pixels are not square; "
                            "save them as (N, H, W)")
        x = x.reshape(len(x), side, side)
    if x.ndim != 3 or x.dtype.kind not in "uif" or len(x) == 0:
        raise DataError(f"{source}: expected images (N, H, W), found {x.dtype} array of shape {x.shape}")
    try:
        return images_to_float(x), (int(x.shape[1]), int(x.shape[2]))
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None


def _labels(y: np.ndarray | None, n: int, source: str) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if len(y) != n or y.dtype.kind not in "ui" or (len(y) and y.min() < 0):
        raise DataError(f"{source}: labels must be {n} non-negative integers, found {y.dtype} {y.shape}")
    return y.astype(np.int64)


def _class_names(arrays: dict[str, np.ndarray], y: np.ndarray | None) -> list[str] | None:
    if y is None:
        return None
    if "class_names" in arrays:
        return [str(c) for c in arrays["class_names"].reshape(-1)]
    return [str(c) for c in range(int(np.max(y, initial=0)) + 1)]


def _split(images: tuple[np.ndarray, tuple[int, int]], y: np.ndarray | None,
           class_names: list[str] | None, name: str, test_fraction: float, seed: int) -> Dataset:
    x, shape = images
    if len(x) < 2:
        raise DataError(f"{name}: only {len(x)} image; at least 2 are needed")
    train, test = split_indices(len(x), y, test_fraction, seed)
    pick = lambda a, i: None if a is None else a[i]  # noqa: E731
    return Dataset(name, x[train], pick(y, train), x[test], pick(y, test), shape, class_names)


def _given_split(arrays: dict[str, np.ndarray], name: str) -> Dataset:
    (x_train, shape), (x_test, test_shape) = (_images(arrays[k], f"{name} {k}") for k in ("x_train", "x_test"))
    if shape != test_shape:
        raise DataError(f"{name}: train images are {shape} but test images are {test_shape}")
    if ("y_train" in arrays) != ("y_test" in arrays):
        raise DataError(f"{name}: labels must be given for both splits or for neither")
    y_train = _labels(arrays.get("y_train"), len(x_train), f"{name} y_train")
    y_test = _labels(arrays.get("y_test"), len(x_test), f"{name} y_test")
    names = None
    if y_train is not None:
        names = _class_names(arrays, np.concatenate([y_train, y_test]))
    return Dataset(name, x_train, y_train, x_test, y_test, shape, names)
