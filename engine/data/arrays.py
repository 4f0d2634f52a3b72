"""Data sets stored as NumPy arrays: one .npy/.npz file, or a folder of them.

- One .npy of images (N, H, W), e.g. frey_faces.npy (1965, 28, 20): unlabelled, split here.
- Several .npy files in a folder: one class per file, named by the file (the Quick, Draw!
  numpy_bitmap layout).
- An .npz with x_train and x_test (and optionally y_train, y_test, class_names): its own split.
  An .npz with x or images (and optionally y or labels), or a single array: split here.
Images may also be (N, H, W, 1), colour (N, H, W, 3|4: kept as RGB, alpha ignored; with
color="grey" converted with the ITU-R 601 luma) or flat (N, D) when D is a square.  Integer
pixels are read by their range: 8-bit when the largest is at most 255, 16-bit when at most
65535 (said in the data set's notes); negative or larger integers are refused.  Floats must lie
in [0, 1].  Every array's header is read first, so image sizes beyond the limits and arrays too
large for this machine's memory are refused before their data is read.  Nothing is unpickled.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..image_shape import ImageShape
from ..limits import check_image_shape, check_labels, check_memory, dataset_bytes
from .dataset import Dataset, images_to_rows
from .splits import split_indices

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
STORED_BYTES_PER_VALUE = 4   # at most: a Dataset holds uint8, or float32 for float sources
_CONVERT_CHUNK = 1 << 22     # values converted at a time from 16-bit, bounding the temporaries


def load_arrays(files: list[Path], name: str, test_fraction: float = 0.1, seed: int = 0,
                color: str = "auto") -> Dataset:
    """A Dataset from .npy/.npz files (see the module docstring for the layouts).

    color: "auto" keeps colour arrays in colour and grey ones grey, "grey" makes colour grey,
    "rgb" also repeats grey values into three channels.
    """
    npz = [f for f in files if f.suffix.lower() == ".npz"]
    if npz and len(files) > 1:
        raise DataError(f"{name}: holds {len(files)} array files including an .npz; "
                        "open the .npz file itself")
    notes: list[str] = []
    if npz:
        arrays = ArrayFile(npz[0])
        if "x_train" in arrays and "x_test" in arrays:
            _check_size([(arrays, "x_train"), (arrays, "x_test")], name)
            return _given_split(arrays, name, notes, color)
        key = next((k for k in ("x", "images") if k in arrays), None)
        y_key = next((k for k in ("y", "labels") if k in arrays), None)
        if key is None and len(arrays.headers) == 1:
            key = next(iter(arrays.headers))
        if key is None:
            raise DataError(f"{npz[0].name}: expected arrays x_train and x_test, or x / images; "
                            f"found {', '.join(sorted(arrays.headers)) or 'none'}")
        _check_size([(arrays, key)], name)
        x = _images(arrays[key], npz[0].name, notes, color)
        y = _labels(arrays[y_key] if y_key else None, len(x[0]), npz[0].name)
        return _split(x, y, _class_names(arrays, y), name, test_fraction, seed, notes)
    opened = [ArrayFile(f) for f in sorted(files)]
    _check_size([(a, "arr") for a in opened], name)
    if len(opened) == 1:
        x = _images(opened[0]["arr"], opened[0].path.name, notes, color)
        return _split(x, None, None, name, test_fraction, seed, notes)
    parts = [(_images(a["arr"], a.path.name, notes, color), a.path.stem) for a in opened]
    shapes = {p[0][1] for p in parts}
    if len(shapes) > 1:
        raise DataError(f"{name}: the array files hold images of different sizes "
                        f"({', '.join(str(s) for s in sorted(shapes))})")
    x = np.concatenate([p[0][0] for p in parts])
    y = np.concatenate([np.full(len(p[0][0]), i, np.int64) for i, p in enumerate(parts)])
    return _split((x, parts[0][0][1]), y, [p[1] for p in parts], name, test_fraction, seed, notes)


class ArrayFile:
    """A .npy or .npz file whose array headers (shape, dtype) are read on opening and whose
    data is read only on request: arrays["x"] (a .npy file's one array is "arr").

    Raises DataError for a file that is not a NumPy file, holds Python objects or is truncated.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        try:
            if self.path.suffix.lower() == ".npz":
                with zipfile.ZipFile(self.path) as z:
                    for info in z.infolist():
                        if info.filename.endswith(".npy"):
                            with z.open(info) as f:
                                self._add(info.filename[:-4], f, info.file_size)
            else:
                with open(self.path, "rb") as f:
                    self._add("arr", f, self.path.stat().st_size)
        except (ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"{self.path.name}: not a readable NumPy file ({exc})") from None
        except OSError as exc:
            raise DataError(f"{self.path.name}: cannot read ({exc.strerror or exc})") from None

    def _add(self, key: str, f, file_size: int) -> None:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
        if dtype.hasobject:
            raise DataError(f"{self.path.name}: holds Python objects, which are not loaded "
                            "(save plain numeric arrays)")
        payload = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if file_size - f.tell() < payload:
            raise DataError(f"{self.path.name}: truncated: {key} promises {payload:,} bytes of data, "
                            f"the file holds {max(0, file_size - f.tell()):,}")
        self.headers[key] = (tuple(int(s) for s in shape), dtype)

    def __contains__(self, key: str) -> bool:
        return key in self.headers

    def __getitem__(self, key: str) -> np.ndarray:
        shape, dtype = self.headers[key]
        check_memory(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize,
                     f"reading {key} of {self.path.name}")
        try:
            loaded = np.load(self.path, allow_pickle=False)
            if isinstance(loaded, np.ndarray):
                return loaded
            with loaded:
                return loaded[key]
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise DataError(f"{self.path.name}: holds Python objects, which are not loaded "
                                "(save plain numeric arrays)") from None
            raise DataError(f"{self.path.name}: not a readable NumPy file ({exc})") from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"{self.path.name}: cannot read ({exc})") from None


def image_geometry(shape: tuple[int, ...]) -> tuple[int, ImageShape] | None:
    """(images, their ImageShape) an array of this shape holds, from its header alone; None
    when it is no image layout (_images then says why)."""
    if len(shape) == 4 and shape[-1] in (1, 3, 4):
        return shape[0], ImageShape(shape[1], shape[2], 1 if shape[-1] == 1 else 3)
    if len(shape) == 3:
        return shape[0], ImageShape(shape[1], shape[2])
    if len(shape) == 2:
        side = int(round(np.sqrt(shape[1])))
        return (shape[0], ImageShape(side, side)) if side * side == shape[1] else None
    return None


def _check_size(members: list[tuple[ArrayFile, str]], name: str) -> None:
    """Refuse image sizes the models cannot train and loads this machine has no memory for,
    before any array data is read."""
    need, images = 0, 0
    for arrays, key in members:
        shape, dtype = arrays.headers[key]
        geometry = image_geometry(shape)
        if geometry is None:
            continue
        n, image = geometry
        check_image_shape(image, f"{arrays.path.name}" + (f" {key}" if key != "arr" else ""))
        values = n * int(np.prod(shape[1:], dtype=np.float64))
        # the array as read, a float32 working copy and the stored data set
        need += values * (dtype.itemsize + 4) + dataset_bytes(n, image, STORED_BYTES_PER_VALUE)
        images += n
    check_memory(need, f"loading {name} ({images:,} images)")


def _images(x: np.ndarray, source: str, notes: list[str], color: str = "auto") -> tuple[np.ndarray, ImageShape]:
    """Any supported image array -> ((N, H*W*C) stored rows, uint8 or float32 in [0, 1], its
    ImageShape); what was assumed about integer values is added to notes."""
    if x.dtype == bool:
        x = x.astype(np.uint8) * np.uint8(255)
    elif x.dtype.kind in "ui":
        x = to_8bit(x, source, notes)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 4 and x.shape[-1] == 4:
        x = x[..., :3]  # alpha ignored
    if x.ndim == 4 and x.shape[-1] == 3 and color == "grey":
        luma = x.astype(np.float32) @ _LUMA
        x = np.rint(luma).astype(x.dtype) if x.dtype.kind in "ui" else luma
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise DataError(f"{source}: flat images of {x.shape[1]} pixels are not square; "
                            "save them as (N, H, W)")
        x = x.reshape(len(x), side, side)
    if x.ndim == 3 and color == "rgb":
        x = np.repeat(x[..., None], 3, axis=3)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3) or x.dtype.kind not in "uif" or len(x) == 0:
        raise DataError(f"{source}: expected images (N, H, W) or (N, H, W, 3), found {x.dtype} array "
                        f"of shape {x.shape}")
    check_image_shape((x.shape[1], x.shape[2]), source)
    try:   # uint8 stays one byte a value
        return images_to_rows(x), ImageShape(int(x.shape[1]), int(x.shape[2]), 3 if x.ndim == 4 else 1)
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None


def to_8bit(x: np.ndarray, source: str, notes: list[str]) -> np.ndarray:
    """Integer pixels -> uint8 by their range convention: 8-bit if the largest value is at most
    255, 16-bit (65535 -> 255) if at most 65535; DataError for negatives or larger values."""
    if x.size == 0:
        return x.astype(np.uint8)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0:
        raise DataError(f"{source}: holds negative pixel values (down to {lo:,}); integer images "
                        "must be 0-255 (8-bit) or 0-65535 (16-bit)")
    if hi <= 255:
        if x.dtype != np.uint8:
            notes.append(f"{source}: {x.dtype} values 0-{hi} read as 8-bit (255 is white)")
        return x.astype(np.uint8)
    if hi > 65535:
        raise DataError(f"{source}: integer pixel values up to {hi:,} are neither 8-bit (0-255) nor "
                        "16-bit (0-65535); rescale them, or save floats in [0, 1]")
    notes.append(f"{source}: {x.dtype} values up to {hi:,} read as 16-bit (65535 is white)")
    flat, out = x.reshape(-1), np.empty(x.size, np.uint8)
    for a in range(0, x.size, _CONVERT_CHUNK):   # rounded, as decode.to_grey does 16-bit files
        part = flat[a:a + _CONVERT_CHUNK].astype(np.int64)
        out[a:a + _CONVERT_CHUNK] = (part * 255 + 32767) // 65535
    return out.reshape(x.shape)


def _labels(y: np.ndarray | None, n: int, source: str) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if len(y) != n or y.dtype.kind not in "ui" or (len(y) and y.min() < 0):
        raise DataError(f"{source}: labels must be {n} non-negative integers, found {y.dtype} {y.shape}")
    return check_labels(y.astype(np.int64), source)


def _class_names(arrays: ArrayFile, y: np.ndarray | None) -> list[str] | None:
    if y is None:
        return None
    classes = int(np.max(y, initial=0)) + 1
    if "class_names" in arrays:
        names = [str(c) for c in arrays["class_names"].reshape(-1)]
        if len(names) < classes:
            raise DataError(f"{arrays.path.name}: {len(names)} class names for labels up to {classes - 1}")
        return names
    return [str(c) for c in range(classes)]


def _split(images: tuple[np.ndarray, tuple[int, int]], y: np.ndarray | None,
           class_names: list[str] | None, name: str, test_fraction: float, seed: int,
           notes: list[str]) -> Dataset:
    x, shape = images
    if len(x) < 2:
        raise DataError(f"{name}: only {len(x)} image; at least 2 are needed")
    train, test = split_indices(len(x), y, test_fraction, seed)
    pick = lambda a, i: None if a is None else a[i]  # noqa: E731
    return Dataset(name, x[train], pick(y, train), x[test], pick(y, test), shape, class_names, notes)


def _given_split(arrays: ArrayFile, name: str, notes: list[str], color: str) -> Dataset:
    (x_train, shape), (x_test, test_shape) = (_images(arrays[k], f"{name} {k}", notes, color)
                                              for k in ("x_train", "x_test"))
    if shape != test_shape:
        raise DataError(f"{name}: train images are {shape} but test images are {test_shape}")
    if ("y_train" in arrays) != ("y_test" in arrays):
        raise DataError(f"{name}: labels must be given for both splits or for neither")
    y_train = _labels(arrays["y_train"] if "y_train" in arrays else None, len(x_train), f"{name} y_train")
    y_test = _labels(arrays["y_test"] if "y_test" in arrays else None, len(x_test), f"{name} y_test")
    names = None
    if y_train is not None:
        names = _class_names(arrays, np.concatenate([y_train, y_test]))
    return Dataset(name, x_train, y_train, x_test, y_test, shape, names, notes)
