"""Large arrays go back to the operating system as soon as they are freed (glibc only).

A session allocates and frees arrays of several MB in several threads (each epoch's test pass,
snapshot encodings, manifold decodes). glibc serves blocks above its mmap threshold with their
own mappings, returned on free, but it raises that threshold to the size of every such block
freed (up to 32 MB), so later arrays come from per-thread heaps that keep their free space:
in the soak benchmark with fast 10,000-image epochs, mallinfo2 counted ~100 MB free but
resident inside the heaps after a few minutes. Fixing the threshold at 256 kB (which also
turns the raising off) leaves ~2 MB free in them; an epoch of training takes the same time
(1.55 s against 1.52 s, alternating CLI runs). (What the soak still grows by is native memory
in use, not this: see the README's "What it survives".)
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3           # glibc's mallopt parameter number
THRESHOLD_BYTES = 256 * 1024


def return_large_blocks_on_free() -> bool:
    """Serve every block of 256 kB or more by its own mapping (glibc); True if it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):      # not glibc (musl has no mallopt)
        return False
