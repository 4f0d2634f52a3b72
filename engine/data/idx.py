"""IDX files (the MNIST format by LeCun et al.), gzipped or raw, and folders holding the four of them."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import DataError
from .dataset import Dataset, images_to_float

# IDX type codes -> big-endian numpy dtypes (the IDX spec by LeCun et al.).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or raw) into an array of its stored shape and type."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: IDX header is truncated")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: IDX payload is {len(raw) - header} bytes, header promises {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def load_idx_dataset(train_images: str | Path, train_labels: str | Path | None,
                     test_images: str | Path, test_labels: str | Path | None,
                     name: str = "idx") -> Dataset:
    """A data set from IDX files: MNIST, Fashion-MNIST, KMNIST and the like."""
    xs, ys, shapes = [], [], []
    for img_path, lab_path in ((train_images, train_labels), (test_images, test_labels)):
        imgs = read_idx(img_path)
        if imgs.ndim != 3:
            raise DataError(f"{img_path}: expected (n, rows, cols) images, found shape {imgs.shape}")
        shapes.append(imgs.shape[1:])
        xs.append(images_to_float(imgs))
        if lab_path is None:
            ys.append(None)
            continue
        labels = read_idx(lab_path)
        if labels.ndim != 1 or len(labels) != len(imgs):
            raise DataError(f"{lab_path}: {labels.shape[0]} labels for {len(imgs)} images")
        ys.append(labels.astype(np.int64))
    if shapes[0] != shapes[1]:
        raise DataError(f"train images are {shapes[0]} but test images are {shapes[1]}")
    if (ys[0] is None) != (ys[1] is None):
        raise DataError("labels must be given for both splits or for neither")
    classes = None
    if ys[0] is not None:
        classes = [str(c) for c in range(int(max(ys[0].max(), ys[1].max())) + 1)]
    h, w = (int(s) for s in shapes[0])
    return Dataset(name, xs[0], ys[0], xs[1], ys[1], (h, w), classes)


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
