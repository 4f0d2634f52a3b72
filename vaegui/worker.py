"""The training worker: drives the engine's Trainer.run() generator in a QThread.

Wiring follows superqt's `new_worker_qthread`: the worker is a QObject moved to a QThread,
thread.started -> worker.run, worker.finished -> thread.quit and deleteLater. The GUI talks to
it only through thread-safe methods (pause / resume / stop set threading.Events) and listens
to its signals, which Qt queues into the GUI thread.

What crosses the thread boundary:
- `batches(BatchReport, chunk)` at most ~10 Hz: the latest report for the progress bar and a
  (k, 4) float array [x, loss, recon, kl] of every batch since the last emit, x in epochs.
- `epoch_done(EpochReport)` after every epoch.
- `scatter_ready(ScatterPayload)` after every epoch and, mid-epoch, at most every
  `scatter_interval` seconds and no more often than SCATTER_BUDGET of the time allows (encoding
  a few thousand images costs as much as several batches, so on a slow machine the refresh
  interval stretches instead of slowing training down): posterior means of a fixed test subset, encoded here (not in the GUI
  thread), and a copy of the model taken between batches, so the explorer can decode while
  the weights keep changing.
- `paused(resumes)` (between batches, waiting), `resumed()`, `failed(str)`, `finished(str)` with the outcome
  ("completed", "stopped", "diverged" or "error").
"""
from __future__ import annotations

import copy
import os
import threading
import time
import traceback
from dataclasses import dataclass

import numpy as np
from PyQt5.QtCore import QObject, Qt, QThread, pyqtSignal, pyqtSlot

BATCH_EMIT_INTERVAL = 0.1   # s: batch updates at most 10 Hz (the issue allows up to 20)
TRAIN_NICE = 5              # training threads yield the CPU to the GUI thread under contention
SCATTER_BUDGET = 0.01       # mid-epoch scatter refreshes may take at most ~1 % of training time


@dataclass
class ScatterPayload:
    """Posterior means of the scatter subset, and the model they came from."""

    mu: np.ndarray            # (n, latent) float32
    labels: np.ndarray | None  # (n,) int or None for unlabelled data
    model: object             # a copy of the VAE at this point (safe to use in the GUI thread)
    epoch: float              # fractional epoch at which it was taken
    final: bool = False       # end of an epoch (True) or mid-epoch refresh (False)
    mosaic: np.ndarray | None = None   # manifold decoded here for `mosaic_params`, if requested
    mosaic_params: tuple | None = None


def snapshot(model):
    """An independent copy of the model (engine's `copy()` if it has one)."""
    if hasattr(model, "copy"):
        return model.copy()
    return copy.deepcopy(model)


class TrainWorker(QObject):
    """Runs one training run: pulls reports from `trainer.run()` and emits throttled signals."""

    batches = pyqtSignal(object, object)
    epoch_done = pyqtSignal(object)
    scatter_ready = pyqtSignal(object)
    paused = pyqtSignal(int)      # the number of resume()/stop() calls so far: stale if it has grown
    resumed = pyqtSignal()
    failed = pyqtSignal(str)
    finished = pyqtSignal(str)

    def __init__(self, trainer, model, scatter_x: np.ndarray, scatter_y: np.ndarray | None,
                 scatter_interval: float = 1.0, batch_interval: float = BATCH_EMIT_INTERVAL) -> None:
        super().__init__()
        self.trainer = trainer
        self.model = model
        self._scatter_x = scatter_x
        self._scatter_y = scatter_y
        self.scatter_interval = scatter_interval
        self.batch_interval = batch_interval
        self._run_allowed = threading.Event()
        self._run_allowed.set()
        self._stop_requested = threading.Event()
        self.resumes = 0          # written by the GUI thread only
        self._scatter_cost = 0.0
        self._manifold_params: tuple | None = None
        self.outcome = ""

    # -- called from the GUI thread (thread-safe) --------------------------------------
    def pause(self) -> None:
        """Stop pulling batches after the current one (the generator simply waits)."""
        self._run_allowed.clear()

    def resume(self) -> None:
        self.resumes += 1
        self._run_allowed.set()

    def stop(self) -> None:
        """End the run after the current batch; the model keeps what it learnt so far."""
        self._stop_requested.set()
        self.trainer.stop()
        self.resumes += 1
        self._run_allowed.set()

    @property
    def is_paused(self) -> bool:
        return not self._run_allowed.is_set()

    # -- runs in the worker thread -------------------------------------------------------
    def set_manifold_params(self, params: tuple | None) -> None:
        """(n, extent, dims, base) of the map's manifold: decoded here at epoch ends and pauses.

        Called from the GUI thread; replacing one reference is atomic, and the tuple is only read.
        """
        self._manifold_params = params

    def _scatter(self, epoch: float, final: bool) -> None:
        from engine import latent_plane
        t0 = time.perf_counter()
        mu, _ = self.model.encode(self._scatter_x)  # (n, latent)
        payload = ScatterPayload(mu, self._scatter_y, snapshot(self.model), epoch, final)
        params = self._manifold_params
        if params is not None and (final or not self._run_allowed.is_set()):
            payload.mosaic = latent_plane(self.model, *params)
            payload.mosaic_params = params
        self.scatter_ready.emit(payload)
        self._scatter_cost = time.perf_counter() - t0

    def _scatter_due(self, since_last: float) -> bool:
        if self.scatter_interval <= 0:
            return False
        return since_last >= max(self.scatter_interval, self._scatter_cost / SCATTER_BUDGET)

    @pyqtSlot()
    def run(self) -> None:
        """Iterate the trainer; never touches a widget."""
        from engine import BatchReport, EpochReport, TrainingDiverged

        _lower_priority(TRAIN_NICE)   # this thread; BLAS keeps its own worker threads
        pending: list[tuple[float, float, float, float]] = []
        last: object = None
        last_emit = last_scatter = time.perf_counter()
        self.outcome = "completed"

        def flush() -> None:
            nonlocal last_emit
            if last is not None and pending:
                self.batches.emit(last, np.array(pending, dtype=np.float64))
                pending.clear()
            last_emit = time.perf_counter()

        try:
            for report in self.trainer.run():
                now = time.perf_counter()
                if isinstance(report, BatchReport):
                    x = report.epoch - 1 + report.batch / report.batches
                    pending.append((x, report.loss, report.recon, report.kl))
                    last = report
                    if now - last_emit >= self.batch_interval:
                        flush()
                    if report.batch < report.batches and self._scatter_due(now - last_scatter):
                        self._scatter(x, final=False)
                        last_scatter = time.perf_counter()
                elif isinstance(report, EpochReport):
                    flush()
                    self.epoch_done.emit(report)
                    self._scatter(float(report.epoch), final=True)
                    last_scatter = time.perf_counter()
                if self._stop_requested.is_set():
                    self.trainer.stop()
                elif not self._run_allowed.is_set():
                    flush()
                    ep = (last.epoch - 1 + last.batch / last.batches) if last is not None else 0.0
                    resumes = self.resumes     # read before the wait: a resume() after it shows
                    self._scatter(ep, final=False)
                    self.paused.emit(resumes)
                    self._run_allowed.wait()
                    if self._stop_requested.is_set():
                        self.trainer.stop()
                    else:
                        self.resumed.emit()
                    last_scatter = time.perf_counter()
            flush()
            if self._stop_requested.is_set():
                self.outcome = "stopped"
                if last is not None and last.batch < last.batches:
                    # stopped mid-epoch: one last scatter of the final weights, encoded here
                    self._scatter(last.epoch - 1 + last.batch / last.batches, final=True)
        except TrainingDiverged as exc:
            flush()
            self.outcome = "diverged"
            self.failed.emit(f"Training diverged: {exc}")
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a silent crash
            self.outcome = "error"
            traceback.print_exc()
            self.failed.emit(f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self.finished.emit(self.outcome)


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value (Linux: per thread, inherited by threads it creates).

    On a machine with as many busy cores as training threads, the GUI thread then gets the CPU
    first when it needs it: the event loop stays responsive, and training loses only the time
    the GUI actually uses. Where per-thread priorities are unsupported, nothing changes.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass


def start_in_thread(worker: QObject, name: str) -> QThread:
    """Move `worker` to a new QThread wired the superqt way and start it.

    thread.started -> worker.run; worker.finished -> thread.quit (a direct connection, so the
    thread ends even while the GUI thread sits in `thread.wait()`) and worker.deleteLater.
    The caller keeps the returned QThread referenced until it has finished, and `wait()`s on
    it before the application exits.
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.DirectConnection)
    worker.finished.connect(worker.deleteLater)
    thread.start()
    return thread
