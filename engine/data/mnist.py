"""The bundled MNIST, its SHA-256 sums checked on every load."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import DataError
from .dataset import Dataset
from .idx import load_idx_dataset

# The checkout's assets/mnist, else the copy an installed package carries beside this file.
_CHECKOUT_MNIST = Path(__file__).resolve().parents[2] / "assets" / "mnist"
MNIST_DIR = _CHECKOUT_MNIST if _CHECKOUT_MNIST.is_dir() else Path(__file__).resolve().parent / "mnist_files"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


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
