"""Load a folder of the user's own images (or IDX files, or .npy/.npz arrays) as a Dataset.

`load_folder` scans the folder, decodes every image to 8-bit grey or RGB (colour is kept when
the images carry it) at one resolution in worker processes, caches the result outside the
folder, decides the polarity of grey folders (ink bright on dark, as in MNIST), splits off a
seeded stratified test set and reports every file it skipped and why.
It is written to run in a GUI worker thread: it reports progress through a callback, polls a
`cancelled` callback and raises LoadCancelled, and never prints.

The jobs are in their own modules: scan.py lists the folder, workers.py decodes it (in worker
processes when that pays), cache.py keeps decoded folders, assemble.py makes the Dataset, and
folder_report.py holds the report and the errors; this module runs them in order.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..limits import MAX_SIDE
from . import decode
from .arrays import load_arrays
from .assemble import assemble
from .cache import cache_key, cache_path, default_cache_dir, read_cache, write_cache
from .dataset import Dataset, invert_rows
from .folder_report import FolderLoad, LoadCancelled, check_count
from .idx import load_idx_folder
from .scan import ScanCancelled, scan_folder
from .scan_limits import ScanLimits, ScanProgress
from .workers import decode_all

NAMED_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0)}
# decode.py's skip reasons that may not hold next time: such a load is not cached
TRANSIENT_REASONS = ("file vanished", "cannot read")


def load_folder(path: str | Path, image_size: int | tuple[int, ...] | None = None,
                invert: bool | None = None, test_fraction: float = 0.1, seed: int = 0,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None,
                cache_dir: str | Path | None = None, workers: int | None = None,
                color: str = "auto", background: str | tuple[int, int, int] | None = None,
                scan_progress: ScanProgress | None = None, scan_limits: ScanLimits | None = None) -> FolderLoad:
    """Load an image folder, an IDX folder, or .npy/.npz arrays (a file or a folder of them).

    Parameters
    ----------
    image_size : side or (height, width) every image is brought to; None: the scan's suggestion
        (the most common size if at most 64x64, else 28x28).  Ignored for IDX and arrays.
    invert : True makes dark-on-light images light-on-dark (every value v becomes 255 - v); None
        decides from the border pixels for grey folders and never inverts colour ones (images
        only; IDX and arrays are inverted only when True).
    test_fraction, seed : the seeded, stratified test split (at least one image each side).
        IDX folders and .npz files with x_test keep their own split.
    progress : called as progress(done, total) files, at most ~50 times a second.
    cancelled : polled often; when it returns True, LoadCancelled is raised.
    scan_progress, scan_limits : scan_folder's progress(entries seen, images found) and limits.
    cache_dir : where decoded folders are cached (default: see cache.default_cache_dir).
    workers : decoding processes (default: one per core, up to 8; 1 decodes in this thread).
    color : "auto" (RGB if any image carries colour, else grey), "rgb" or "grey".  IDX files
        are always grey; arrays follow it (see arrays.load_arrays).
    background : what transparent pixels are composited onto: "white", "black", "#rrggbb" or
        an (r, g, b) triple; None: white for colour images, and for grey ones white or black,
        whichever contrasts with the drawing.
    Raises DataError (no such folder, empty), TooFewImages (a DataError: no readable image or
    only one, with the skipped list), ConfigError (bad image_size, test_fraction, color or
    background) or LoadCancelled.
    """
    start = time.perf_counter()
    cancelled = cancelled or (lambda: False)
    if not 0.0 <= test_fraction < 1.0:
        raise ConfigError(f"test fraction must be at least 0 and below 1, not {test_fraction}")
    if color not in decode.COLOR_MODES:
        raise ConfigError(f"color must be one of {', '.join(decode.COLOR_MODES)}, not {color!r}")
    bg = parse_colour(background)
    try:
        scan = scan_folder(path, cancelled, scan_progress, scan_limits)
    except ScanCancelled:
        raise LoadCancelled("loading cancelled") from None
    if scan.kind != "images":
        ds = load_idx_folder(scan.path) if scan.kind == "idx" else \
            load_arrays(scan.array_files, scan.name, test_fraction, seed, color)
        if invert:
            ds = Dataset(ds.name, invert_rows(ds.x_train), ds.y_train, invert_rows(ds.x_test), ds.y_test,
                         ds.image_shape, ds.class_names, ds.notes + ["inverted by request"])
        _record_source(ds, path, {"invert": bool(invert), "test_fraction": test_fraction, "seed": seed,
                                  "color": color})
        return FolderLoad(ds, len(ds.x_train) + len(ds.x_test), inverted=bool(invert), kind=scan.kind,
                          seconds=time.perf_counter() - start, assumed=list(ds.notes))
    shape = _image_shape(image_size, scan.suggested_size)
    if not scan.files and not scan.skipped:
        raise DataError(f"{scan.path}: the folder is empty (hidden files are ignored)")

    cdir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    variant = f"{color} background {bg}"
    entry = cache_path(cdir, scan.name, cache_key(scan.files, scan.sizes, scan.mtimes_ns, shape, variant))
    cached = read_cache(entry, shape, len(scan.files)) if scan.files else None
    if cached is not None:
        images, stats, index = cached["images"], cached["stats"], cached["file_index"]
        decode_skips = list(zip(cached["skipped_paths"].tolist(), cached["skipped_reasons"].tolist()))
    else:
        images, stats, reasons = decode_all(scan, shape, color, bg, progress, cancelled, workers)
        ok = np.array([not r for r in reasons], bool)
        index = np.flatnonzero(ok)
        if len(index) < len(images):  # (a copy: skipped only when nothing was skipped)
            images, stats = images[index], stats[index]
        if color == "auto" and not stats[:, 2].any():
            images = np.ascontiguousarray(images[..., :1])  # no image carries colour: a grey folder
        decode_skips = [(f, r) for f, r in zip(scan.files, reasons) if r]
        # Never write into the user's folder, even if the cache was pointed there; never cache
        # a load that met passing failures (files vanished or unreadable for the moment), or
        # later opens would keep skipping files that are back.
        transient = any(reason.startswith(TRANSIENT_REASONS) for _, reason in decode_skips)
        if scan.files and not transient and not cdir.resolve().is_relative_to(scan.path.resolve()):
            try:
                write_cache(entry, images, stats, index, decode_skips)
            except OSError:
                pass  # a read-only or full cache only costs speed next time
    skipped = sorted(scan.skipped + decode_skips)
    check_count(scan, len(index), skipped)
    entry_was_cached = cached is not None
    if progress and entry_was_cached:
        progress(len(scan.files), len(scan.files))
    result = assemble(scan, images, stats, index, skipped, invert, test_fraction, seed,
                       from_cache=entry_was_cached, start=start)
    _record_source(result.dataset, path, {"image_size": list(shape), "invert": result.inverted,
                                          "test_fraction": test_fraction, "seed": seed, "color": color,
                                          "background": None if bg is None else list(bg)})
    return result


def parse_colour(value: str | tuple[int, int, int] | list[int] | None) -> tuple[int, int, int] | None:
    """"white", "black", "#rrggbb" or (r, g, b) with 0..255 values -> (r, g, b); None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in NAMED_COLOURS:
            return NAMED_COLOURS[text]
        if len(text) == 7 and text[0] == "#":
            try:
                return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
            except ValueError:
                pass
        raise ConfigError(f"a background is white, black or #rrggbb, not {value!r}")
    if isinstance(value, (tuple, list)) and len(value) == 3 and \
            all(isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in value):
        return tuple(int(v) for v in value)
    raise ConfigError(f"a background colour is three values from 0 to 255, not {value!r}")


def _record_source(ds: Dataset, path: str | Path, options: dict) -> None:
    """Note where the data came from and how, so a model trained on it can load it again."""
    ds.source = str(Path(path).expanduser().resolve())
    ds.load_options = options


def _image_shape(image_size: int | tuple[int, ...] | None, suggested: tuple[int, int]) -> tuple[int, int]:
    """The (height, width) to decode at; a model's (H, W, C) shape may be given (C is ignored)."""
    if image_size is None:
        return suggested
    h, w = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else tuple(image_size)[:2]
    if not (1 <= int(h) <= MAX_SIDE and 1 <= int(w) <= MAX_SIDE):
        raise ConfigError(f"image size must be between 1 and {MAX_SIDE} pixels a side, not {h}x{w}")
    return int(h), int(w)


