"""Training data for scale/train_torch.py: the bundled MNIST, or a data set exported by
`python -m engine export-data PATH OUT.npz`.  NumPy only; images come back as float32 in [0, 1]."""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_DIR = Path(__file__).resolve().parent.parent / "assets" / "mnist"


@dataclass
class Data:
    """x_train, x_test (n, D) float32 in [0, 1]; labels may be None; source as the engine records it."""

    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    image_shape: list[int]
    class_names: list[str] | None
    source: str


def _idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(spec: str) -> Data:
    """'mnist' or the path of an exported .npz."""
    if spec == "mnist":
        train = _idx(MNIST_DIR / "train-images-idx3-ubyte.gz")
        test = _idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
        return Data("mnist", _floats(train), _floats(test), [28, 28], [str(i) for i in range(10)], "mnist")
    path = Path(spec).expanduser().resolve()
    if path.suffix != ".npz" or not path.is_file():
        raise SystemExit(f"train_torch.py: --data must be 'mnist' or an .npz written by "
                         f"`python -m engine export-data`, got {spec}")
    with np.load(path, allow_pickle=False) as npz:
        if "x_train" not in npz.files or "x_test" not in npz.files:
            raise SystemExit(f"train_torch.py: {path} holds no x_train and x_test arrays")
        train, test = npz["x_train"], npz["x_test"]
        names = [str(n) for n in npz["class_names"]] if "class_names" in npz.files else None
    if train.dtype != np.uint8 or train.ndim not in (3, 4):
        raise SystemExit(f"train_torch.py: {path}: expected uint8 images (n, H, W) or (n, H, W, C)")
    shape = list(train.shape[1:]) if train.ndim == 4 and train.shape[3] > 1 else list(train.shape[1:3])
    return Data(path.stem, _floats(train), _floats(test), shape, names, str(path))


def _floats(images: np.ndarray) -> np.ndarray:
    """uint8 images as (n, D) float32, scaled exactly as the engine scales them (times float32 1/255)."""
    out = images.reshape(len(images), -1).astype(np.float32)
    out *= np.float32(1.0 / 255.0)
    return out
