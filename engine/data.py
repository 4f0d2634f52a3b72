"""Data sets as float32 arrays in [0, 1]: the bundled MNIST and any IDX files on disk.

A `Dataset` holds images flattened to (N, H*W) with their (H, W) kept, labels as int arrays (or
None for unlabelled data) and the class names. Every loader returns one, so the model, the
trainer and the GUI never care where the images came from.
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError

MNIST_DIR = Path(__file__).resolve().parent.parent / "assets" / "mnist"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# IDX type codes -> big-endian numpy dtypes (the IDX spec by LeCun et al.).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


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


def _verify_checksums(folder: Path) -> None:
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, fname = line.split()
            sums[fname.lstrip("*")] = digest
    for fname in MNIST_FILES.values():
        path = folder / fname
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise DataError(f"bundled MNIST file {fname} cannot be read ({exc.strerror})") from None
        if digest != sums.get(fname):
            raise DataError(f"bundled MNIST file {fname} fails its SHA-256 check: the file is damaged")


def load_mnist(folder: str | Path = MNIST_DIR) -> Dataset:
    """The bundled MNIST (60,000 train / 10,000 test), checksums verified on every load."""
    folder = Path(folder)
    _verify_checksums(folder)
    f = {k: folder / v for k, v in MNIST_FILES.items()}
    ds = load_idx_dataset(f["train_images"], f["train_labels"], f["test_images"], f["test_labels"],
                          name="mnist")
    ds.source = "mnist" if folder == MNIST_DIR else str(folder.resolve())
    return ds


def load_dataset(spec: str | Path, **folder_options) -> Dataset:
    """Any data set by name or path.

    spec: "mnist" (the bundled copy), a folder of IDX files, a .npy/.npz file or a folder of
    them, or a folder of images (labelled by subfolder).  folder_options go to
    engine.folder.load_folder (image_size, invert, test_fraction, seed, progress, cancelled,
    cache_dir, workers) and are ignored for MNIST and IDX folders.
    """
    return load_dataset_with_report(spec, **folder_options)[0]


def load_dataset_with_report(spec: str | Path, **folder_options) -> tuple[Dataset, str | None]:
    """load_dataset, plus what to tell the user about a folder: None for MNIST and IDX folders.

    The text is the summary line ("1,203 images loaded, 3 skipped") followed by up to ten
    skipped files, one "path: reason" per line; the CLI prints it on stderr.
    """
    if str(spec).lower() == "mnist":
        return load_mnist(), None
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (give 'mnist' or a data folder)")
    if path.is_dir() and find_idx_files(path) is not None:
        return load_idx_folder(path), None
    from .folder import load_folder  # lazily: engine.folder imports this module

    report = load_folder(path, **folder_options)
    text = report.summary()
    if report.skipped:
        text += "\n" + "\n".join("  " + line for line in report.details(limit=10).splitlines())
    return report.dataset, text
