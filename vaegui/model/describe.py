"""Words about the session's things, shared by panels, commands and the window's status bar.

Plain functions with no widgets: a panel that needs the text another shows imports it from
here, never from that panel.
"""
from __future__ import annotations

import numpy as np

_MNIST_CACHE: dict[str, object] = {}


def load_default_dataset():
    """The bundled MNIST, loaded once per process."""
    from engine import load_mnist
    if "mnist" not in _MNIST_CACHE:
        _MNIST_CACHE["mnist"] = load_mnist()
    return _MNIST_CACHE["mnist"]


def describe_shape(shape) -> str:
    """"28×28" for grey images, "64×64 colour" for RGB ones (width × height, as people say it)."""
    shape = tuple(shape)
    colour = len(shape) > 2 and int(shape[2]) == 3
    return f"{int(shape[1])}×{int(shape[0])}" + (" colour" if colour else "")



def describe_dataset(ds) -> str:
    """One line about a data set, e.g. "60,000 train / 10,000 test images, 28×28 px, 10 classes"."""
    labels = f"{len(ds.class_names)} classes" if ds.labelled and ds.class_names else "unlabelled"
    return f"{len(ds.x_train):,} train / {len(ds.x_test):,} test images, {describe_shape(ds.image_shape)} px, {labels}"


def format_z(z: np.ndarray, limit: int = 6) -> str:
    """"z = (+0.12, -1.30, …)": a latent code's first `limit` values."""
    parts = [f"{v:+.2f}" for v in np.ravel(z)[:limit]]
    if np.size(z) > limit:
        parts.append("…")
    return "z = (" + ", ".join(parts) + ")"


def format_seconds(s: float) -> str:
    """"1:05" or "1:02:03"."""
    s = max(0, int(round(s)))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
