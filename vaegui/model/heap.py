"""Keep freed memory out of the app's heaps (glibc only).

A session allocates and frees arrays of one to tens of MB in several threads (each epoch's test
pass, snapshot encodings, manifold decodes, the curves' redraws). glibc serves blocks above its
mmap threshold from fresh mappings that go back to the OS when freed, but it raises that
threshold to the size of every such block freed (up to 32 MB), so after the first epochs those
arrays land in the heaps, one per thread, and the holes between longer-lived blocks stay
resident. In the 10-minute soak (benchmarks/soak_memory.py) the heaps grew to 220-260 MB with
110-140 MB of it free, and the floor of the resident memory rose 81 MB besides the time-lapse.

So the threshold is fixed at 1 MB (`fix_mmap_threshold`): the same soak kept the heaps at
35-58 MB with ~3 MB free. Arrays of 1 MB and more are then fresh mappings each time, ~35,000
more minor page faults an MNIST epoch, which alternating CLI runs did not tell apart (median
4.26 against 4.27 s an epoch). A step's smaller arrays stay in the heaps: fixing the threshold
at 256 kB made a batch's 0.4 MB arrays mappings too (1.90 s an epoch against 1.70 s). The
training thread also returns the heaps' free pages once an epoch (`release_free_memory`, 0.6 ms).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3            # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD_BYTES = 1 << 20


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim          # noqa: B018  (musl has no malloc_trim)
        libc.mallopt              # noqa: B018
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def fix_mmap_threshold(nbytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Serve blocks of `nbytes` and more from their own mappings, always (glibc); True if set."""
    return bool(_LIBC.mallopt(M_MMAP_THRESHOLD, nbytes)) if _LIBC is not None else False


class MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2 (malloc.h)."""

    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


_MALLINFO2 = getattr(_LIBC, "mallinfo2", None)        # glibc 2.33 and later
if _MALLINFO2 is not None:
    _MALLINFO2.restype = MallInfo2


def mallinfo2() -> MallInfo2 | None:
    """glibc's malloc statistics, summed over every heap (None without glibc 2.33+)."""
    return _MALLINFO2() if _MALLINFO2 is not None else None


def allocated_bytes() -> int | None:
    """Bytes malloc has handed out and not had back, in the heaps and in mappings of their own
    (None without mallinfo2): what the process holds, without the free pages and holes its
    resident size also counts."""
    info = mallinfo2()
    return None if info is None else info.uordblks + info.hblkhd


def release_free_memory() -> bool:
    """Return the free pages of every heap to the OS (glibc); True if any were returned."""
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False
