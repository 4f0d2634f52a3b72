"""The session's worker threads: superqt workers in one thread pool the session owns.

Every background job of the window (a training run, a folder load, a manifold decode) is a
superqt `GeneratorWorker` or a `Job` (a superqt `FunctionWorker` that lets go of its function
once run): QRunnables whose signals live on a QObject of the GUI thread, so no QObject ever
lives in a thread that can end. They all run in one
`QThreadPool` owned by the session, so "join everything" is one call: `join()` asks every
worker to quit and waits for the pool to be empty. Nothing is queued to an object of a
finished thread, and nothing outlives the session unjoined.
"""
from __future__ import annotations

import functools
import os
import threading

from PyQt5.QtCore import QObject, QThreadPool
from superqt.utils import FunctionWorker, GeneratorWorker

# Busy training must not starve the GUI: worker threads run at a higher nice value (Linux:
# per thread, inherited by the BLAS threads they start), so under contention the GUI thread
# gets the CPU first and training loses only the time the GUI actually uses.
WORKER_NICE = 5


class ClosingGeneratorWorker(GeneratorWorker):
    """A GeneratorWorker that closes its generator in the worker thread when it ends.

    superqt leaves an aborted generator suspended at its last `yield`; its `finally` blocks
    (restoring BLAS thread limits, for one) would then run whenever and wherever the garbage
    collector reaches it. Closing it here runs them at once, in the thread that ran it.
    """

    def __init__(self, func, *args, **kwargs) -> None:
        super().__init__(func, *args, **kwargs)
        self.done = threading.Event()     # set in the worker thread once the generator is closed

    def work(self):  # noqa: D102 (superqt's docstring)
        try:
            return super().work()
        finally:
            self._gen.close()
            self.done.set()


class Job(FunctionWorker):
    """A FunctionWorker that lets go of its function and arguments once it has run.

    superqt's run() installs a warnings hook that refers to the worker, inside
    warnings.catch_warnings(), which is not thread-safe: when two workers' runs overlap out of
    order, the hook of one stays installed after both have ended, and keeps that worker alive
    until the next such overlap, with whatever its function held: a snapshot's model copy (5 MB
    for the MLP, 13 for the conv model) while a run trains. So a job's function, and what the
    caller wants back, travel in the call and in its result, never in the worker.
    """

    def __init__(self, func, *args, **kwargs) -> None:
        call = [functools.partial(func, *args, **kwargs)]
        super().__init__(lambda: call.pop()())


def lower_priority(nice: int = WORKER_NICE) -> None:
    """Raise the calling thread's nice value where the OS supports per-thread priorities."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass


class Workers(QObject):
    """The pool every background job of one session runs in, and the references that keep
    its workers alive until they have finished."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)     # a run, a folder load and a decode at most
        self._live: dict = {}             # id(worker) -> (worker, how to cancel it: None if quit() does)
        self.closed = False               # after close(): nothing new starts

    def start(self, worker: GeneratorWorker | FunctionWorker, cancel=None) -> bool:
        """Run `worker` in the pool; it is referenced here until its `finished` arrives.
        False (and nothing runs) once the pool is closed.

        cancel: a callable that makes a FunctionWorker's function return early (a generator
        worker's `quit()` needs none).
        """
        if self.closed:
            return False
        # The slot must not hold the worker: the worker's own signals keep the slot alive, and
        # that cycle, with the model copy a decode or encode job holds, would wait for one of the
        # garbage collector's full passes (none in a 10-minute soak).  No other worker can have
        # this id while this one is here.
        key = id(worker)
        self._live[key] = (worker, cancel)
        worker.finished.connect(lambda: self._live.pop(key, None))
        self.pool.start(worker)
        return True

    @property
    def live(self) -> int:
        """Workers started and not yet finished."""
        return len(self._live)

    @property
    def busy(self) -> bool:
        return self.pool.activeThreadCount() > 0

    def close(self, timeout_ms: int = -1) -> bool:
        """Join every worker and start none from now on (the window is closing)."""
        self.closed = True
        return self.join(timeout_ms)

    def join(self, timeout_ms: int = -1) -> bool:
        """Ask every worker to quit and wait until the pool is empty; True if it is."""
        for w, cancel in list(self._live.values()):
            w.quit()
            if cancel is not None:
                cancel()
        return self.pool.waitForDone(timeout_ms)
