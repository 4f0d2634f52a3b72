"""Decoding a folder's files: in this thread, or in worker processes when that pays."""
from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from . import decode
from .folder_report import LoadCancelled
from .scan import FolderScan
from .worker_signals import ignore_interrupts, signals_deferred, start_forkserver_quietly

# Starting worker processes costs ~0.3-0.5 s, so they are used only when decoding in this
# thread would take longer than POOL_MIN_SECONDS, estimated from measured rates on this kind
# of machine: ~70 us of fixed cost per file plus ~100 MB/s of compressed PNG or JPEG.
POOL_MIN_SECONDS = 1.0
SECONDS_PER_FILE = 70e-6
SECONDS_PER_BYTE = 1 / 100e6
CHUNK_BYTES = 4 * 1024 ** 2  # compressed input per task: bounds cancel latency on big photos
CHUNK_MAX_FILES = 512
PROGRESS_INTERVAL = 0.02  # seconds: at most ~50 progress calls a second


def decode_all(scan: FolderScan, shape: tuple[int, int], color: str, background: decode.Background,
                progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool],
                workers: int | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every file of the scan decoded at shape: uint8 images (n, H, W, C), their stats (n, 3)
    (decode.decode_chunk) and a skip reason per file ("" when read), reporting progress."""
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
