"""Decode one image file of any Pillow format into 8-bit grey at a fixed size.

Runs inside worker processes, so it imports only NumPy and Pillow and reports failures as
short reasons instead of raising.  Inversion is not done here: whether to invert is decided
once for the whole folder from the border statistics returned with each image.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_EXIF_FORMATS = ("JPEG", "MPO", "TIFF", "WEBP")  # formats whose EXIF may rotate the picture
_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


class SkipImage(Exception):
    """This file is left out; the message is the reason shown to the user."""


def decode_chunk(root: str, rel_paths: list[str], shape: tuple[int, int]
                 ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode a batch of files: the unit of work sent to a worker process.

    Returns images (n, H, W) uint8 (zeros where skipped), stats (n, 2) float32 holding each
    image's background (median border pixel) and mean, and reasons: "" for a decoded image,
    else why the file was skipped.
    """
    h, w = shape
    images = np.zeros((len(rel_paths), h, w), np.uint8)
    reasons = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about odd but readable files
        for i, rel in enumerate(rel_paths):
            try:
                images[i] = decode_image(os.path.join(root, rel), shape)
                reasons.append("")
            except SkipImage as exc:
                reasons.append(str(exc))
    stats = np.stack([np.median(_ring(images), axis=1), images.mean(axis=(1, 2))], axis=1)
    return images, stats.astype(np.float32), reasons


def decode_image(path: str, shape: tuple[int, int]) -> np.ndarray:
    """One file -> (H, W) uint8 grey, aspect ratio kept by padding with its background.

    Raises SkipImage with a human reason for anything that is not a readable image.
    """
    try:
        with Image.open(path) as im:
            orientation = im.getexif().get(_ORIENTATION, 1) if im.format in _EXIF_FORMATS else 1
            # The fit of the picture as stored: sideways when EXIF turns it a quarter turn.
            fit = _fit_size(im.size, shape[::-1] if orientation in (5, 6, 7, 8) else shape)
            # JPEG decodes at 1/2, 1/4 or 1/8 scale in the codec, so a 50-megapixel photo
            # never exists in memory at full size; other formats ignore draft().
            im.draft("L" if im.mode in ("RGB", "L") else None, (2 * fit[0], 2 * fit[1]))
            im.load()
            im = reduce_large(im, fit)
            if orientation in _UPRIGHT:
                im = im.transpose(_UPRIGHT[orientation])
            grey = to_grey(im)
    except SkipImage:
        raise
    except FileNotFoundError:
        raise SkipImage("file vanished while loading") from None
    except PermissionError:
        raise SkipImage("cannot read: permission denied") from None
    except UnidentifiedImageError:
        raise SkipImage("not an image") from None
    except Image.DecompressionBombError:
        raise SkipImage(f"image too large (over {2 * Image.MAX_IMAGE_PIXELS:,} pixels)") from None
    except MemoryError:
        raise SkipImage("image too large for memory") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        # Pillow reports damage with many types; "truncated" covers the common cut-off file.
        text = str(exc)
        if isinstance(exc, EOFError) or "truncated" in text or "broken data stream" in text:
            raise SkipImage("truncated image") from None
        if isinstance(exc, OSError) and exc.errno is not None:
            raise SkipImage(f"cannot read: {(exc.strerror or text).lower()}") from None
        raise SkipImage(f"damaged image ({text or type(exc).__name__})") from None
    return fit_into(grey, shape)


def reduce_large(im: Image.Image, fit: tuple[int, int]) -> Image.Image:
    """Shrink a loaded image by a whole factor while it is still at least twice `fit` (w, h).

    Formats without draft() (PNG, TIFF, ...) decode at full size; the grey conversion of a
    16-bit or transparent picture makes several full-size copies, up to 8 bytes a pixel, so
    box-reducing first keeps memory near the decoded image's own size.  The box average is
    what fit_into does anyway; transparency is kept by going through RGBA (premultiplied).
    """
    factor = min(im.width // (2 * fit[0]), im.height // (2 * fit[1]))
    if factor < 2:
        return im
    if im.mode in _SIXTEEN_BIT:
        im = im.convert("I")  # same values, a mode reduce() takes; to_grey scales "I" by 65535
    elif "transparency" in im.info and im.mode not in _ALPHA_MODES:
        im = im.convert("RGBA")  # a palette index or colour key would not survive averaging
    elif im.mode in ("P", "1"):
        im = im.convert("RGB" if im.mode == "P" else "L")
    try:
        return im.reduce(factor)
    except ValueError:  # a mode reduce() does not take: fit_into resizes it whole
        return im


def to_grey(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> "L" (8-bit grey).

    Colour uses Pillow's ITU-R 601 luma (L = 0.299 R + 0.587 G + 0.114 B); 16- and 32-bit grey
    are scaled so that 65535 -> 255 (not clipped); transparency is composited (see _flatten).
    """
    mode = im.mode
    if mode in _SIXTEEN_BIT or mode == "I":
        a = np.asarray(im).astype(np.int64).clip(0, 65535)
        return Image.fromarray(((a * 255 + 32767) // 65535).astype(np.uint8), "L")
    if mode == "F":  # float TIFF: [0, 1] if it fits there, else treated as 0..255
        a = np.nan_to_num(np.asarray(im, np.float32))
        top = 1.0 if a.max(initial=0.0) <= 1.0 else 255.0
        return Image.fromarray(np.rint(a.clip(0, top) * (255.0 / top)).astype(np.uint8), "L")
    if mode in _ALPHA_MODES or "transparency" in im.info:
        return _flatten(im.convert("RGBA"))
    if mode == "L":
        return im
    if mode == "1":
        return im.convert("L")
    try:
        return (im if mode == "RGB" else im.convert("RGB")).convert("L")  # P, CMYK, YCbCr, ...
    except (ValueError, OSError):
        raise SkipImage(f"unsupported image mode {mode}") from None


def _flatten(rgba: Image.Image) -> Image.Image:
    """Composite an RGBA image onto a plain background, returning "L".

    Transparent pixels have no colour of their own, so the background is chosen to contrast
    with what is drawn: a dark glyph on a transparent ground goes onto white, a light one onto
    black.  Either way the drawing stays visible, and the folder-wide inversion then decides
    which polarity the model sees.
    """
    grey = np.asarray(rgba.convert("L"), np.float32)
    alpha = np.asarray(rgba.getchannel("A"), np.float32) * np.float32(1 / 255)
    weight = float(alpha.sum())
    ink = float((grey * alpha).sum() / weight) if weight > 0 else 0.0
    background = 255.0 if ink < 128 else 0.0
    out = grey * alpha + background * (1 - alpha)
    return Image.fromarray(np.rint(out).astype(np.uint8), "L")


def _fit_size(size: tuple[int, int], shape: tuple[int, int]) -> tuple[int, int]:
    """Pillow (width, height) that fits `size` inside `shape` (H, W) keeping its aspect."""
    w, h = size
    scale = min(shape[0] / h, shape[1] / w)
    return max(1, min(shape[1], round(w * scale))), max(1, min(shape[0], round(h * scale)))


def fit_into(grey: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    """Resize an "L" image to fit (H, W), centred and padded with its own background.

    Shrinking uses a box filter (each output pixel is the mean of the input pixels it
    covers: no ringing, no aliasing), enlarging is bilinear; `reducing_gap` lets Pillow
    first reduce() big images by an integer factor, which is fast and memory-light.
    """
    h, w = shape
    if grey.size == (w, h):
        return np.asarray(grey, np.uint8)
    fit_w, fit_h = _fit_size(grey.size, shape)
    shrinking = fit_w < grey.size[0] or fit_h < grey.size[1]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    small = np.asarray(grey.resize((fit_w, fit_h), resample, reducing_gap=2.0), np.uint8)
    if (fit_h, fit_w) == (h, w):
        return small
    out = np.full((h, w), border_value(small), np.uint8)
    top, left = (h - fit_h) // 2, (w - fit_w) // 2
    out[top:top + fit_h, left:left + fit_w] = small
    return out


def _ring(images: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of (..., H, W) images -> (..., 2H + 2W - 4)."""
    return np.concatenate([images[..., 0, :], images[..., -1, :],
                           images[..., 1:-1, 0], images[..., 1:-1, -1]], axis=-1)


def border_value(image: np.ndarray) -> int:
    """Median of the outermost ring of pixels of an (H, W) image: its background."""
    return int(np.median(_ring(image)))
