""""Newest job wins": one background job of a kind at a time, and only the newest request's
result is delivered.

The map's manifold decode, the neighbours' encoding of the test set and the folder dialog's scan
all ask for work that a newer request makes stale (the view moved, a newer snapshot came, the
user typed another folder). `LatestJob.submit` starts the work in the session's pool (or a
dialog's own QThreadPool) and supersedes what came before:

- replace (the default): an older job still running is cancelled (its `cancel` callable is
  called) and its result, if it comes anyway, is dropped;
- wait=True: an older job is left to finish (a decode cannot be interrupted) and the newest
  request waiting behind it starts when it has; only one job runs, so requests made faster than
  jobs finish cost one job each, not one thread each.

`done(result)` and `failed(exception)` carry the newest job's outcome only.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

from PyQt5.QtCore import QObject, QThreadPool, pyqtSignal

from .workers import Job


class LatestJob(QObject):
    """Runs `func(*args, **kwargs)` off the GUI thread; the newest submitted job's outcome wins."""

    done = pyqtSignal(object)                  # the newest job's return value
    failed = pyqtSignal(object)                # the newest job's exception

    def __init__(self, pool, wait: bool = False, parent: QObject | None = None) -> None:
        """pool: the session's `Workers` (joined with the session) or a QThreadPool."""
        super().__init__(parent)
        self._pool = pool
        self._wait = wait
        self._latest = 0              # the newest request's number
        self._running = 0             # the number of the job in the pool, 0: none
        self._cancel: Callable[[], None] | None = None
        self._queued: tuple | None = None
        self._live = 0                # jobs of any request still in the pool
        self._newest = lambda: None   # a weak reference to the newest job started
        self.tag = None               # what the newest request was for (the caller's key)

    @property
    def busy(self) -> bool:
        """True while the newest request's job runs or waits to run."""
        return bool(self._running) or self._queued is not None

    @property
    def idle(self) -> bool:
        """True when no job of this kind is in the pool, superseded ones included."""
        return self._live == 0 and self._queued is None

    def newest_job(self) -> Job | None:
        """The newest job started, while something else still holds it (the pool, until it is done)."""
        return self._newest()

    def submit(self, func: Callable, *args, tag=None, cancel: Callable[[], None] | None = None,
               **kwargs) -> bool:
        """Run the newest request; False (nothing runs) once the session's pool is closed."""
        self._latest += 1
        self.tag = tag
        if self._running and self._wait:
            self._queued = (self._latest, func, args, kwargs, cancel)
            return True
        self.cancel_running()
        return self._start(self._latest, func, args, kwargs, cancel)

    def cancel_running(self) -> None:
        """Ask the running job to stop early (its result is dropped anyway)."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    def forget(self) -> None:
        """Drop every pending result (the dialog closes, the model goes): cancel what runs."""
        self._latest += 1
        self._queued = None
        self.tag = None
        self.cancel_running()

    def _start(self, number: int, func, args, kwargs, cancel) -> bool:
        job = Job(lambda: (number, func(*args, **kwargs)))   # held by the call, not the job
        job.returned.connect(self._on_returned)
        job.errored.connect(lambda exc, n=number: self._on_errored(n, exc))
        job.finished.connect(lambda n=number: self._on_finished(n))   # not the job: a cycle
        self._running, self._cancel = number, cancel
        self._newest = weakref.ref(job)
        self._live += 1
        if isinstance(self._pool, QThreadPool):
            self._pool.start(job)
            return True
        if not self._pool.start(job, cancel=cancel):
            self._running, self._cancel = 0, None          # closing: nothing runs any more
            self._live -= 1
            return False
        return True

    def _wanted(self, number: int) -> bool:
        """A result is delivered only for the newest request, and never once the session's pool
        is closed: a job joined by the closing window may still have its signal queued, and the
        panels it would reach have taken their plots apart."""
        return number == self._latest and not getattr(self._pool, "closed", False)

    def _on_returned(self, result: tuple) -> None:
        number, value = result
        if self._wanted(number):
            self.done.emit(value)

    def _on_errored(self, number: int, exc: Exception) -> None:
        if self._wanted(number):
            self.failed.emit(exc)

    def _on_finished(self, number: int) -> None:
        self._live -= 1
        if number != self._running:
            return
        self._running, self._cancel = 0, None
        queued, self._queued = self._queued, None
        if queued is not None and queued[0] == self._latest:
            self._start(*queued)
