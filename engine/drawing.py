"""Frame a free-hand drawing the way MNIST framed its digits, before it is encoded.

MNIST's digits were scaled so their bounding box fits a 20x20 box (aspect kept, anti-aliased)
and then placed in the 28x28 frame with their centre of mass at its centre (LeCun et al.).  A
drawing that fills the whole pad is far from anything the model saw, and reconstructs as a blob;
framed the same way it lands among the digits.  Other image sizes keep the same 20/28 ratio.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

BOX_FRACTION = 20 / 28     # the digit's box inside the frame, as MNIST's
INK_THRESHOLD = 0.05       # how far from the background a pixel must be to count as drawn


def frame_drawing(image: np.ndarray, background: np.ndarray | float = 0.0) -> np.ndarray:
    """The drawing `image` ((H, W) or (H, W, C), floats in [0, 1]) re-framed as MNIST frames digits.

    `background` is the ground colour (a float for grey, (C,) for colour).  Ink is the distance
    from it; an empty drawing is returned unchanged.  The result has the input's shape and dtype.
    """
    img = np.asarray(image, dtype=np.float32)
    h, w = img.shape[:2]
    ground = np.broadcast_to(np.asarray(background, dtype=np.float32), img.shape[2:])
    ink = np.abs(img - ground) if img.ndim == 2 else np.abs(img - ground).max(axis=2)   # (H, W)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:
        return img.copy()
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = img[top:bottom, left:right]
    scale = min(BOX_FRACTION * h / crop.shape[0], BOX_FRACTION * w / crop.shape[1])
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))   # Pillow: (W, H)
    resized = _resize(crop - ground, size)          # ink relative to the ground, so edges fade into it
    weight = np.abs(resized) if resized.ndim == 2 else np.abs(resized).max(axis=2)
    total = float(weight.sum())
    if total <= 0.0:
        return img.copy()
    cy = float((weight.sum(axis=1) * np.arange(weight.shape[0])).sum() / total)
    cx = float((weight.sum(axis=0) * np.arange(weight.shape[1])).sum() / total)
    # the box's corner that puts the centre of mass on the frame's centre, kept inside the frame
    y0 = int(np.clip(round((h - 1) / 2 - cy), 0, h - resized.shape[0]))
    x0 = int(np.clip(round((w - 1) / 2 - cx), 0, w - resized.shape[1]))
    out = np.empty_like(img)
    out[...] = ground
    out[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] += resized
    return np.clip(out, 0.0, 1.0).astype(img.dtype)


def _resize(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of float planes to size (W, H): each channel as a Pillow 'F' image."""
    planes = [crop] if crop.ndim == 2 else [crop[..., c] for c in range(crop.shape[2])]
    out = [np.asarray(Image.fromarray(np.ascontiguousarray(p), mode="F").resize(size, Image.Resampling.LANCZOS))
           for p in planes]
    return out[0] if crop.ndim == 2 else np.stack(out, axis=2)
