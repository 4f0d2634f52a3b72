"""IDX files (the MNIST format by LeCun et al.), gzipped or raw, and folders holding the four of them."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import DataError
from ..limits import check_image_shape, check_labels, check_memory, dataset_bytes
from .arrays import STORED_BYTES_PER_VALUE, to_8bit
from .dataset import Dataset, images_to_rows

# IDX type codes -> big-endian numpy dtypes (the IDX spec by LeCun et al.).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_header(path: str | Path) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of an IDX file (gzipped or raw), reading only its header."""
    path = Path(path)
    try:
        with _open(path) as f:
            return _read_header(f, path)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or raw) into an array of its stored shape and type.

    The header is checked first: a payload this machine has no memory for is refused before it
    is read, and a payload of the wrong length (truncated, or longer than promised) is an error.
    """
    path = Path(path)
    try:
        with _open(path) as f:
            shape, dtype = _read_header(f, path)
            expected = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
            check_memory(expected, f"reading {path.name}")
            raw = f.read(expected + 1)   # one byte more: an overlong payload is an error too
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if len(raw) != expected:
        raise DataError(f"{path}: IDX payload is {'longer than' if len(raw) > expected else len(raw)} "
                        f"bytes, header promises {expected}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _open(path: Path) -> BinaryIO:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _read_header(f: BinaryIO, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    ndim = magic[3]
    dims = f.read(4 * ndim)
    if ndim == 0 or len(dims) < 4 * ndim:
        raise DataError(f"{path}: IDX header is truncated")
    shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
    return shape, np.dtype(_IDX_DTYPES[magic[2]])


def load_idx_dataset(train_images: str | Path, train_labels: str | Path | None,
                     test_images: str | Path, test_labels: str | Path | None,
                     name: str = "idx") -> Dataset:
    """A data set from IDX files: MNIST, Fashion-MNIST, KMNIST and the like.

    Image sizes beyond the limits and sets too large for this machine's memory are refused from
    the headers, before the images are read; integer pixels are read as in arrays.py (8- or
    16-bit by their range, said in the notes).
    """
    need, count = 0, 0
    for img_path in (train_images, test_images):
        shape, dtype = idx_header(img_path)
        if len(shape) != 3:
            raise DataError(f"{img_path}: expected (n, rows, cols) images, found shape {shape}")
        image = check_image_shape(shape[1:], str(img_path))
        need += shape[0] * image.size * (dtype.itemsize + 4) + dataset_bytes(shape[0], image, STORED_BYTES_PER_VALUE)
        count += shape[0]
    check_memory(need, f"loading {name} ({count:,} images)")
    xs, ys, shapes, notes = [], [], [], []
    for img_path, lab_path in ((train_images, train_labels), (test_images, test_labels)):
        imgs = read_idx(img_path)
        shapes.append(imgs.shape[1:])
        if imgs.dtype.kind in "ui":
            imgs = to_8bit(imgs, Path(img_path).name, notes)
        try:
            xs.append(images_to_rows(imgs))   # uint8 stays one byte a value
        except DataError as exc:
            raise DataError(f"{img_path}: {exc}") from None
        if lab_path is None:
            ys.append(None)
            continue
        labels = read_idx(lab_path)
        if labels.ndim != 1 or len(labels) != len(imgs) or labels.dtype.kind not in "ui":
            raise DataError(f"{lab_path}: {labels.shape[0]} labels for {len(imgs)} images")
        ys.append(check_labels(labels.astype(np.int64), str(lab_path)))
    if shapes[0] != shapes[1]:
        raise DataError(f"train images are {shapes[0]} but test images are {shapes[1]}")
    if (ys[0] is None) != (ys[1] is None):
        raise DataError("labels must be given for both splits or for neither")
    classes = None
    if ys[0] is not None:
        classes = [str(c) for c in range(int(max(ys[0].max(initial=0), ys[1].max(initial=0))) + 1)]
    h, w = (int(s) for s in shapes[0])
    return Dataset(name, xs[0], ys[0], xs[1], ys[1], (h, w), classes, notes)


def find_idx_files(folder: str | Path) -> dict[str, Path] | None:
    """The four MNIST-style IDX files in a folder (gzipped or raw), or None if they are not there.

    Matches the standard names (train-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte, ...) and
    the common variants that use "test" for "t10k" or dots for dashes.
    """
    found: dict[str, Path] = {}
    for p in sorted(Path(folder).iterdir()):
        name = p.name.lower().replace(".", "-").replace("_", "-")
        if not p.is_file() or "idx" not in name:
            continue
        split = "train" if name.startswith("train") else "test" if name.startswith(("t10k", "test")) else None
        kind = "images" if "images" in name or "idx3" in name else "labels" if "labels" in name or "idx1" in name else None
        if split and kind:
            found.setdefault(f"{split}_{kind}", p)
    if "train_images" not in found or "test_images" not in found:
        return None
    return found


def load_idx_folder(folder: str | Path) -> Dataset:
    """A data set from a folder holding MNIST-style IDX files."""
    files = find_idx_files(folder)
    if files is None:
        raise DataError(f"{folder}: no train and test IDX image files found")
    ds = load_idx_dataset(files["train_images"], files.get("train_labels"),
                          files["test_images"], files.get("test_labels"), name=Path(folder).name)
    ds.source = str(Path(folder).expanduser().resolve())
    return ds
