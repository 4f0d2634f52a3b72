"""Load a folder of the user's own images (or IDX files, or .npy/.npz arrays) as a Dataset.

`load_folder` scans the folder, decodes every image to 8-bit grey or RGB (colour is kept when
the images carry it) at one resolution in worker processes, caches the result outside the
folder, decides the polarity of grey folders (ink bright on dark, as in MNIST), splits off a
seeded stratified test set and reports every file it skipped and why.
It is written to run in a GUI worker thread: it reports progress through a callback, polls a
`cancelled` callback and raises LoadCancelled, and never prints.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import decode
from .dataset import Dataset, invert_rows
from .idx import load_idx_folder
from ..errors import ConfigError, DataError, EngineError
from ..image_shape import ImageShape
from .arrays import load_arrays
from .cache import cache_key, cache_path, default_cache_dir, read_cache, write_cache
from ..limits import MAX_SIDE
from ..text import printable
from .scan import FolderScan, ScanCancelled, scan_folder
from .scan_limits import ScanLimits, ScanProgress
from .splits import split_indices
from .workers import ignore_interrupts, signals_deferred, start_forkserver_quietly

# Starting worker processes costs ~0.3-0.5 s, so they are used only when decoding in this
# thread would take longer than POOL_MIN_SECONDS, estimated from measured rates on this kind
# of machine: ~70 us of fixed cost per file plus ~100 MB/s of compressed PNG or JPEG.
POOL_MIN_SECONDS = 1.0
SECONDS_PER_FILE = 70e-6
SECONDS_PER_BYTE = 1 / 100e6
CHUNK_BYTES = 4 * 1024 ** 2  # compressed input per task: bounds cancel latency on big photos
CHUNK_MAX_FILES = 512
PROGRESS_INTERVAL = 0.02  # seconds: at most ~50 progress calls a second
NAMED_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0)}
# decode.py's skip reasons that may not hold next time: such a load is not cached
TRANSIENT_REASONS = ("file vanished", "cannot read")


class LoadCancelled(EngineError):
    """The user cancelled loading; nothing was changed."""


class TooFewImages(DataError):
    """Fewer than 2 readable images; `skipped` lists (path, reason) for every file left out."""

    def __init__(self, message: str, skipped: list[tuple[str, str]]):
        super().__init__(message)
        self.skipped = skipped


@dataclass
class FolderLoad:
    """A loaded folder: the Dataset and the report of what went into it.

    skipped: (path relative to the folder, reason) for every file left out, sorted by path.
    """

    dataset: Dataset
    loaded: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    from_cache: bool = False
    inverted: bool = False
    kind: str = "images"
    seconds: float = 0.0
    assumed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a status bar, e.g. "1,203 images loaded, 3 skipped", with what was
        assumed about the values, e.g. "; faces.npy: int32 values up to 40,000 read as 16-bit"."""
        text = f"{self.loaded:,} images loaded"
        text += f", {len(self.skipped):,} skipped" if self.skipped else ""
        return "; ".join(printable(t) for t in [text] + self.assumed)

    def details(self, limit: int | None = None) -> str:
        """One line per skipped file, "path: reason"; at most `limit` lines plus a count."""
        lines = [f"{printable(path)}: {printable(reason)}" for path, reason in self.skipped[:limit]]
        if limit is not None and len(self.skipped) > limit:
            lines.append(f"... and {len(self.skipped) - limit:,} more")
        return "\n".join(lines)


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
    cache_dir : where decoded folders are cached (default: see cache.default_cache_dir).
    workers : decoding processes (default: one per core, up to 8; 1 decodes in this thread).
    color : "auto" (RGB if any image carries colour, else grey), "rgb" or "grey".  IDX files
        are always grey; arrays follow it (see arrays.load_arrays).
    background : what transparent pixels are composited onto: "white", "black", "#rrggbb" or
        an (r, g, b) triple; None: white for colour images, and for grey ones white or black,
        whichever contrasts with the drawing.
    scan_progress, scan_limits : scan_folder's progress(entries seen, images found) and limits.
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
        images, stats, reasons = _decode_all(scan, shape, color, bg, progress, cancelled, workers)
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
    _check_count(scan, len(index), skipped)
    entry_was_cached = cached is not None
    if progress and entry_was_cached:
        progress(len(scan.files), len(scan.files))
    result = _assemble(scan, images, stats, index, skipped, invert, test_fraction, seed,
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


def _check_count(scan: FolderScan, n: int, skipped: list[tuple[str, str]]) -> None:
    if n >= 2:
        return
    why = ""
    if skipped:
        counts: dict[str, int] = {}
        for _, reason in skipped:
            counts[reason] = counts.get(reason, 0) + 1
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
        why = f" ({len(skipped):,} skipped: " + ", ".join(f"{r} ({c:,})" for r, c in top) + \
              (", ..." if len(counts) > 3 else "") + ")"
    if n == 0:
        raise TooFewImages(f"{scan.path}: no readable image{why}", skipped)
    raise TooFewImages(f"{scan.path}: only one readable image; at least 2 are needed{why}", skipped)


def _assemble(scan: FolderScan, images: np.ndarray, stats: np.ndarray, index: np.ndarray,
              skipped: list[tuple[str, str]], invert: bool | None, test_fraction: float, seed: int,
              from_cache: bool, start: float) -> FolderLoad:
    """Decoded uint8 images (n, H, W, C) -> the split Dataset, grey ones polarity-corrected.

    The images stay uint8: one byte a value (each split is one copy of its rows).
    """
    labels, class_names = None, None
    if scan.labels is not None:
        raw = scan.labels[index]
        present = np.unique(raw)  # a class whose every file was skipped disappears
        labels = np.searchsorted(present, raw).astype(np.int64)
        class_names = [scan.class_names[i] for i in present]
    n, h, w, c = images.shape
    colour = c == 3
    # Colour pictures are never inverted unless asked: their background is part of the picture.
    inverted = bool(invert) if invert is not None or colour else auto_invert(stats)
    train, test = split_indices(len(index), labels, test_fraction, seed)
    flat = images.reshape(n, -1)

    def rows(which: np.ndarray) -> np.ndarray:
        return invert_rows(flat[which]) if inverted else flat[which]

    pick = lambda a, i: None if a is None else a[i]  # noqa: E731
    shape = ImageShape(int(h), int(w), int(c))
    notes = [f"{len(index):,} images from {scan.path}, brought to {shape}"]
    notes += [n for n in (scan.layout_note, scan.loose_note) if n]
    if inverted:
        notes.append("inverted (light background detected)" if invert is None else "inverted by request")
    files = [scan.files[i] for i in index]
    ds = Dataset(scan.name, rows(train), pick(labels, train), rows(test), pick(labels, test),
                 shape, class_names, notes, paths_train=[files[i] for i in train],
                 paths_test=[files[i] for i in test])
    return FolderLoad(ds, len(index), skipped, from_cache, inverted, "images", time.perf_counter() - start,
                      [scan.loose_note] if scan.loose_note else [])


def auto_invert(stats: np.ndarray) -> bool:
    """Whether a folder is dark ink on a light ground, from per-image (background, mean, ...) (n, k).

    True when the typical background is light (median above mid-grey) and lighter than the
    image as a whole, so the drawing is darker than its ground.  The second test keeps
    evenly lit pictures with a bright edge, such as faces, the way they are.
    """
    if len(stats) == 0:
        return False
    background, mean = stats[:, 0], stats[:, 1]
    return bool(np.median(background) >= 128 and np.median(background - mean) > 4)


def _decode_all(scan: FolderScan, shape: tuple[int, int], color: str, background: decode.Background,
                progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool],
                workers: int | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    n = len(scan.files)
    images = np.zeros((n, *shape, 1 if color == "grey" else 3), np.uint8)
    stats = np.zeros((n, 3), np.float32)
    reasons = [""] * n
    report = _Throttled(progress, n)
    chunks = _chunks(scan.sizes, workers or _default_workers())
    root = str(scan.path)

    def store(a: int, b: int, result: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
        images[a:b], stats[a:b], reasons[a:b] = result
        report.add(b - a)

    todo = chunks
    estimate = n * SECONDS_PER_FILE + float(scan.sizes.sum()) * SECONDS_PER_BYTE
    if (workers or _default_workers()) > 1 and estimate >= POOL_MIN_SECONDS:
        todo = _decode_in_pool(root, scan.files, (shape, color, background), chunks, store, cancelled,
                               workers or _default_workers())
    for a, b in todo:  # in this thread: small folders, one worker, or a pool that failed
        if cancelled():
            raise LoadCancelled("loading cancelled")
        store(a, b, decode.decode_chunk(root, scan.files[a:b], shape, color, background))
    if cancelled():
        raise LoadCancelled("loading cancelled")
    return images, stats, reasons


def _decode_in_pool(root: str, files: list[str], how: tuple, chunks: list[tuple[int, int]],
                    store: Callable, cancelled: Callable[[], bool], workers: int) -> list[tuple[int, int]]:
    """Decode chunks in worker processes; returns the chunks left undone if the pool failed.

    how: (shape, color, background), decode_chunk's arguments after the file list."""
    # fork is unsafe in a process with Qt threads; forkserver (spawn on Windows) starts clean
    # workers, preloaded with the decoder so each one starts in milliseconds.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([decode.__name__])
        start_forkserver_quietly()
    done: set[tuple[int, int]] = set()
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=ignore_interrupts) as pool:
            with signals_deferred():        # submitting starts the workers: see signals_deferred
                pending = {pool.submit(decode.decode_chunk, root, files[a:b], *how): (a, b)
                           for a, b in chunks}
            try:
                while pending:
                    finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                    if cancelled():
                        raise LoadCancelled("loading cancelled")
                    for fut in finished:
                        a, b = pending.pop(fut)
                        store(a, b, fut.result())
                        done.add((a, b))
            except BaseException:
                with signals_deferred():        # a second Ctrl-C must not cut the shutdown short
                    pool.shutdown(wait=True, cancel_futures=True)  # running chunks end in milliseconds
                raise
    except (BrokenProcessPool, OSError):
        # Processes cannot start here (a sandbox, an unguarded __main__) or a worker died:
        # finish the remaining chunks in this thread.
        pass
    return [c for c in chunks if c not in done]


def _chunks(sizes: np.ndarray, workers: int) -> list[tuple[int, int]]:
    """Split n files into runs of similar total bytes, several per worker for balance."""
    n = len(sizes)
    if n == 0:
        return []
    per_file = max(1.0, float(sizes.mean()))
    step = int(min(CHUNK_MAX_FILES, max(1, CHUNK_BYTES // per_file), max(1, -(-n // (4 * workers)))))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _default_workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


class _Throttled:
    """Forwards progress(done, total) at most once per PROGRESS_INTERVAL."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int):
        self.callback, self.total, self.done, self.last = callback, total, 0, 0.0

    def add(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if self.callback and (now - self.last >= PROGRESS_INTERVAL or self.done == self.total):
            self.last = now
            self.callback(self.done, self.total)
