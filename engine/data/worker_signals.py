"""What the data worker processes run first (signals), importable at module level for every start method.

Workers are started by forkserver (Linux, macOS) or spawn (Windows, and wherever forkserver is
missing), never by fork: fork copies a process holding Qt's and BLAS's threads.  Both start a
fresh interpreter that imports what it runs by module name, so everything given to the pool,
this initializer included, is a top-level function of an engine module.

Ctrl-C in a terminal signals the whole process group: the workers ignore it, and the process
that owns the pool, which gets it too, cancels the pool and shuts it down (engine/cli turns
SIGTERM into the same KeyboardInterrupt), so no worker prints a traceback or outlives it, and
multiprocessing's temporary folder and semaphores are released on the way out.
"""
from __future__ import annotations

import contextlib
import multiprocessing.forkserver
import signal
import threading
from collections.abc import Iterator


def ignore_interrupts() -> None:
    """Pool initializer: SIGINT is the owner's to handle (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs, then act on them as they would have.

    For starting and stopping a pool: a worker process interrupted between being started and
    being registered by the pool is never joined, outlives its owner and fails on startup
    (its queues' semaphores are gone), printing a traceback.  Only the main thread receives
    signals, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    wanted = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(caught):
            signal.raise_signal(s)        # now handled as it would have been


def start_forkserver_quietly() -> None:
    """Start multiprocessing's fork server (if it is not running yet) with SIGINT ignored.

    The fork server imports its preloaded modules before it ignores SIGINT itself, and that takes
    a moment under load: a Ctrl-C to the process group then printed its traceback.  An ignored
    signal stays ignored across exec, so it is born ignoring it.  Off the main thread (the window)
    signals cannot be set, and no terminal's Ctrl-C reaches the fork server anyway.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)
