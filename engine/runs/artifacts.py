"""What a run keeps besides numbers: a cheap fingerprint of its data set and a thumbnail of its map."""
from __future__ import annotations

import hashlib
import io

import numpy as np

from ..data import Dataset
from ..manifold import manifold_grid
from ..vae import VAE

SAMPLE_ROWS = 64          # rows of each split hashed: enough to tell data sets apart, cheap for any size
THUMBNAIL_GRID = 8        # images per side of the thumbnail


def fingerprint(data: Dataset) -> str:
    """16 hex digits from the image shape, the splits' sizes and dtypes and SAMPLE_ROWS evenly
    spaced rows of each split (and their labels): the same data loaded again gives the same
    value, another data set (or another subset of one) almost surely another."""
    h = hashlib.sha256()
    h.update(repr(tuple(data.image_shape)).encode())
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        h.update(f"{x.shape}{x.dtype}".encode())
        rows = np.unique(np.linspace(0, len(x) - 1, min(SAMPLE_ROWS, len(x))).astype(np.int64))
        h.update(np.ascontiguousarray(x[rows]).tobytes())
        if y is not None:
            h.update(np.ascontiguousarray(y[rows]).tobytes())
    return h.hexdigest()[:16]


def thumbnail_png(model: VAE, grid: int = THUMBNAIL_GRID) -> bytes:
    """The final map as PNG bytes: the manifold (inverse-CDF grid) for a 2-D latent space, else
    a grid of prior samples (seeded), as engine.manifold.manifold_grid draws them."""
    from PIL import Image

    mosaic = manifold_grid(model, grid, np.random.default_rng(0))
    pixels = np.clip(np.rint(mosaic * 255.0), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").save(out, format="PNG")
    return out.getvalue()
