"""How many threads a training run uses.

The matrix products of a step run on all cores inside BLAS (OpenBLAS), which reaches about 170
GFLOP/s on this step's shapes here (85% of the square-matmul peak).  Two other ways to use the
cores were measured and dropped:
- splitting each batch across Python threads, each with single-threaded BLAS: 4.3 ms per step
  against 3.5 ms, as the ~60 small NumPy calls of each pass hand the GIL back and forth;
- splitting Adam's update across threads: 0.78 -> 0.52 ms alone, but no faster inside training,
  where OpenBLAS's worker thread keeps spinning on the other core between matrix products.
"""
from __future__ import annotations

import os


def default_workers() -> int:
    """One thread per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)
