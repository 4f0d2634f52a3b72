"""Decode one image file of any Pillow format into 8-bit grey or RGB at a fixed size.

Runs inside worker processes, so it imports only NumPy and Pillow and reports failures as
short reasons instead of raising.  Inversion is not done here: whether to invert is decided
once for the whole folder from the border statistics returned with each image.

Colour choices ("color"): "grey" decodes every image to grey exactly as before colour existed;
"rgb" decodes every image to RGB; "auto" decodes each image to RGB if it carries colour and to
grey (repeated into three channels) if it does not, and says which, so the folder can be grey
when no image has colour.  An image "carries colour" when some pixel's channels differ by more
than COLOUR_SPREAD levels after resizing (the box filter averages away JPEG chroma noise).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

COLOR_MODES = ("auto", "rgb", "grey")
COLOUR_SPREAD = 12
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_GREY_MODES = _SIXTEEN_BIT + ("1", "L", "LA", "La", "I", "F")   # no colour to keep
_EXIF_FORMATS = ("JPEG", "MPO", "TIFF", "WEBP")  # formats whose EXIF may rotate the picture
_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as Pillow's convert("L")

Background = tuple[int, int, int] | None   # an RGB colour for transparent pixels; None: automatic


class SkipImage(Exception):
    """This file is left out; the message is the reason shown to the user."""


def decode_chunk(root: str, rel_paths: list[str], shape: tuple[int, int], color: str = "grey",
                 background: Background = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode a batch of files: the unit of work sent to a worker process.

    Returns images (n, H, W, C) uint8 (C = 1 for "grey", else 3; zeros where skipped), stats
    (n, 3) float32 holding each image's background (median border grey level), its mean grey
    level and whether it carries colour (1.0 or 0.0), and reasons: "" for a decoded image, else
    why the file was skipped.
    """
    h, w = shape
    images = np.zeros((len(rel_paths), h, w, 1 if color == "grey" else 3), np.uint8)
    colourful = np.zeros(len(rel_paths), np.float32)
    reasons = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about odd but readable files
        for i, rel in enumerate(rel_paths):
            try:
                images[i], colourful[i] = decode_image(os.path.join(root, rel), shape, color, background)
                reasons.append("")
            except SkipImage as exc:
                reasons.append(str(exc))
    grey = images[..., 0] if color == "grey" else luma(images)
    stats = np.stack([np.median(_ring(grey), axis=1), grey.mean(axis=(1, 2)), colourful], axis=1)
    return images, stats.astype(np.float32), reasons


def decode_image(path: str, shape: tuple[int, int], color: str = "grey",
                 background: Background = None) -> tuple[np.ndarray, bool]:
    """One file -> ((H, W, C) uint8, carries colour), aspect ratio kept by padding with its background.

    C is 1 for color "grey", else 3.  Raises SkipImage with a human reason for anything that is
    not a readable image.
    """
    try:
        with Image.open(path) as im:
            orientation = im.getexif().get(_ORIENTATION, 1) if im.format in _EXIF_FORMATS else 1
            # The fit of the picture as stored: sideways when EXIF turns it a quarter turn.
            fit = _fit_size(im.size, shape[::-1] if orientation in (5, 6, 7, 8) else shape)
            # JPEG decodes at 1/2, 1/4 or 1/8 scale in the codec, so a 50-megapixel photo
            # never exists in memory at full size; other formats ignore draft().
            draft = "L" if im.mode in ("RGB", "L") and color == "grey" else \
                im.mode if im.mode in ("RGB", "L") else None
            im.draft(draft, (2 * fit[0], 2 * fit[1]))
            im.load()
            im = reduce_large(im, fit)
            if orientation in _UPRIGHT:
                im = im.transpose(_UPRIGHT[orientation])
            converted = _convert(im, shape, color, background)
        if converted is None:
            # No colour worth keeping: decode again as grey exactly as a grey folder always
            # was (JPEG's own grey draft included), so such folders' values do not move.
            grey, _ = decode_image(path, shape, "grey", background)
            return np.repeat(grey, 3, axis=2), False
        return converted
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


def _convert(im: Image.Image, shape: tuple[int, int], color: str, background: Background
             ) -> tuple[np.ndarray, bool] | None:
    """A loaded, upright picture -> ((H, W, C) uint8, carries colour) for the colour choice;
    None for "auto" when a colour-mode picture turns out to hold no colour."""
    grey_source = im.mode in _GREY_MODES and "transparency" not in im.info
    if color == "grey" or (color == "auto" and grey_source):
        grey_bg = None if background is None else _luma_of(background)
        grey = fit_into(to_grey(im, grey_bg), shape)[..., None]
        return (grey if color == "grey" else np.repeat(grey, 3, axis=2)), False
    rgb = fit_into(to_rgb(im, (255, 255, 255) if background is None else background), shape)
    spread = int((rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)).max())
    if color == "auto" and spread <= COLOUR_SPREAD:
        return None
    return rgb, spread > COLOUR_SPREAD


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


def to_grey(im: Image.Image, background: int | None = None) -> Image.Image:
    """Any Pillow mode -> "L" (8-bit grey).

    Colour uses Pillow's ITU-R 601 luma (L = 0.299 R + 0.587 G + 0.114 B); 16- and 32-bit grey
    are scaled so that 65535 -> 255 (not clipped); transparency is composited onto
    `background` (0..255), or when None onto white or black, whichever contrasts (see _flatten).
    """
    mode = im.mode
    if mode in _SIXTEEN_BIT or mode == "I":
        return Image.fromarray(_sixteen_to_8(np.asarray(im)), "L")
    if mode == "F":  # float TIFF: [0, 1] if it fits there, else treated as 0..255
        a = np.nan_to_num(np.asarray(im, np.float32))
        top = 1.0 if a.max(initial=0.0) <= 1.0 else 255.0
        return Image.fromarray(np.rint(a.clip(0, top) * (255.0 / top)).astype(np.uint8), "L")
    if mode in _ALPHA_MODES or "transparency" in im.info:
        return _flatten(im.convert("RGBA"), background)
    if mode == "L":
        return im
    if mode == "1":
        return im.convert("L")
    try:
        return (im if mode == "RGB" else im.convert("RGB")).convert("L")  # P, CMYK, YCbCr, ...
    except (ValueError, OSError):
        raise SkipImage(f"unsupported image mode {mode}") from None


def to_rgb(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Any Pillow mode -> "RGB" (8 bits a channel).

    Palettes are expanded, CMYK and YCbCr converted by Pillow; grey modes (16-bit scaled so
    that 65535 -> 255) repeat into three channels; 16-bit RGB PNGs arrive from Pillow already
    reduced to their high byte; transparent pixels are composited onto `background`.
    """
    mode = im.mode
    if mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = np.asarray(im.convert("RGBA"), np.float32)
        alpha = rgba[..., 3:] * np.float32(1 / 255)
        out = rgba[..., :3] * alpha + np.asarray(background, np.float32) * (1 - alpha)
        return Image.fromarray(np.rint(out).astype(np.uint8), "RGB")
    if mode in _GREY_MODES:
        return to_grey(im).convert("RGB")
    if mode == "RGB":
        return im
    try:
        return im.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV
    except (ValueError, OSError):
        raise SkipImage(f"unsupported image mode {mode}") from None


def _sixteen_to_8(a: np.ndarray) -> np.ndarray:
    """16-bit values -> 8-bit, rounded, 65535 -> 255 (never clipped at 255)."""
    a = a.astype(np.int64).clip(0, 65535)
    return ((a * 255 + 32767) // 65535).astype(np.uint8)


def _luma_of(rgb: tuple[int, int, int]) -> int:
    return int(np.rint(np.dot(np.asarray(rgb, np.float32), _LUMA)))


def luma(images: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> (...) uint8 grey, ITU-R 601 weights."""
    return np.rint(images.astype(np.float32) @ _LUMA).astype(np.uint8)


def _flatten(rgba: Image.Image, background: int | None = None) -> Image.Image:
    """Composite an RGBA image onto a plain background, returning "L".

    With no background given: transparent pixels have no colour of their own, so the
    background is chosen to contrast with what is drawn: a dark glyph on a transparent ground
    goes onto white, a light one onto black.  Either way the drawing stays visible, and the
    folder-wide inversion then decides which polarity the model sees.
    """
    grey = np.asarray(rgba.convert("L"), np.float32)
    alpha = np.asarray(rgba.getchannel("A"), np.float32) * np.float32(1 / 255)
    if background is None:
        weight = float(alpha.sum())
        ink = float((grey * alpha).sum() / weight) if weight > 0 else 0.0
        background = 255 if ink < 128 else 0
    out = grey * alpha + float(background) * (1 - alpha)
    return Image.fromarray(np.rint(out).astype(np.uint8), "L")


def _fit_size(size: tuple[int, int], shape: tuple[int, int]) -> tuple[int, int]:
    """Pillow (width, height) that fits `size` inside `shape` (H, W) keeping its aspect."""
    w, h = size
    scale = min(shape[0] / h, shape[1] / w)
    return max(1, min(shape[1], round(w * scale))), max(1, min(shape[0], round(h * scale)))


def fit_into(picture: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    """Resize an "L" or "RGB" image to fit (H, W), centred and padded with its own background.

    Returns (H, W) uint8 for "L", (H, W, 3) for "RGB".  Shrinking uses a box filter (each
    output pixel is the mean of the input pixels it covers: no ringing, no aliasing), enlarging
    is bilinear; `reducing_gap` lets Pillow first reduce() big images by an integer factor,
    which is fast and memory-light.
    """
    h, w = shape
    if picture.size == (w, h):
        return np.asarray(picture, np.uint8)
    fit_w, fit_h = _fit_size(picture.size, shape)
    shrinking = fit_w < picture.size[0] or fit_h < picture.size[1]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    small = np.asarray(picture.resize((fit_w, fit_h), resample, reducing_gap=2.0), np.uint8)
    if (fit_h, fit_w) == (h, w):
        return small
    out = np.empty((h, w) + small.shape[2:], np.uint8)
    out[...] = border_value(small)
    top, left = (h - fit_h) // 2, (w - fit_w) // 2
    out[top:top + fit_h, left:left + fit_w] = small
    return out


def _ring(images: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of (..., H, W) images -> (..., 2H + 2W - 4)."""
    return np.concatenate([images[..., 0, :], images[..., -1, :],
                           images[..., 1:-1, 0], images[..., 1:-1, -1]], axis=-1)


def border_value(image: np.ndarray) -> int | np.ndarray:
    """Median of the outermost ring of pixels of an (H, W) image, or per channel of an (H, W, 3)
    one: its background."""
    if image.ndim == 3:
        return np.array([np.median(_ring(image[..., c])) for c in range(image.shape[2])]).astype(np.uint8)
    return int(np.median(_ring(image)))
