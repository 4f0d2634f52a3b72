"""How many threads a training run uses, and running one job over slices of an array in threads.

The matrix products of a step run on all cores inside BLAS (OpenBLAS).  Adam's update, a few
passes over ~650k parameters that BLAS cannot do, runs over slices of the parameter vector in
the calling thread and one helper thread per extra core (NumPy releases the GIL in its loops).
That pays only because OpenBLAS's idle threads are told to stop spinning soon after each product
(OPENBLAS_THREAD_TIMEOUT in engine/__init__.py); otherwise they hold the other core.  Splitting
each batch across Python threads, each with single-threaded BLAS, was measured and dropped:
4.3 ms per step against 3.5 ms, as the ~60 small NumPy calls of each pass hand the GIL back
and forth.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def default_workers() -> int:
    """One thread per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


def _helpers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, default_workers() - 1), thread_name_prefix="engine-helper")
        return _pool


def run_parts(job: Callable[[T], None], parts: Sequence[T]) -> None:
    """job(part) for every part: the first in this thread, the others in helper threads, all at once."""
    if len(parts) == 1:
        job(parts[0])
        return
    futures = [_helpers().submit(job, part) for part in parts[1:]]
    try:
        job(parts[0])
    finally:
        for f in futures:
            f.result()


def split_ranges(n: int, parts: int, align: int = 16) -> list[slice]:
    """`parts` contiguous slices covering range(n), boundaries on multiples of `align` (cache lines)."""
    bounds = [min(n, (n * i // parts) // align * align) for i in range(parts)] + [n]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
