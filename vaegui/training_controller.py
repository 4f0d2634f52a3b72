"""Starts, pauses, resumes and stops training runs; owns the worker thread.

The controller builds the Trainer in the GUI thread (cheap), hands it to a TrainWorker in a
QThread, and forwards the worker's signals. It keeps references to the worker and its thread
until the thread has finished, and `shutdown()` stops and joins it (used by closeEvent).
"""
from __future__ import annotations

import math

from PyQt5.QtCore import QCoreApplication, QEvent, QObject, pyqtSignal

from .worker import TrainWorker, start_in_thread


class TrainingController(QObject):
    """One run at a time. Signals mirror the worker's, re-emitted from the GUI thread."""

    started = pyqtSignal(int, int, int)      # first epoch, last epoch, batches per epoch
    batches = pyqtSignal(object, object)
    epoch_done = pyqtSignal(object)
    scatter_ready = pyqtSignal(object)
    paused = pyqtSignal()
    resumed = pyqtSignal()
    failed = pyqtSignal(str)
    finished = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: TrainWorker | None = None
        self.thread = None
        self.trainer = None

    @property
    def running(self) -> bool:
        return self.worker is not None

    @property
    def is_paused(self) -> bool:
        return self.worker is not None and self.worker.is_paused

    def start(self, trainer, scatter_x, scatter_y, scatter_interval: float = 1.0) -> None:
        """Run `trainer.run()` in a worker thread."""
        if self.running:
            raise RuntimeError("a training run is already in progress")
        self.trainer = trainer
        worker = TrainWorker(trainer, trainer.model, scatter_x, scatter_y, scatter_interval)
        worker.set_manifold_params(getattr(self, "_manifold_params", None))
        worker.batches.connect(self.batches)
        worker.epoch_done.connect(self.epoch_done)
        worker.scatter_ready.connect(self.scatter_ready)
        worker.paused.connect(self.paused)
        worker.resumed.connect(self.resumed)
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        n, bs = len(trainer.data.x_train), trainer.config.batch_size
        batches = math.ceil(n / min(bs, n))
        first = trainer.epochs_done + 1
        self.started.emit(first, trainer.epochs_done + trainer.config.epochs, batches)
        self.thread = start_in_thread(worker, "training")

    def set_manifold_params(self, params) -> None:
        """Tell the worker which manifold the map shows, so it decodes it at epoch ends."""
        self._manifold_params = params
        if self.worker is not None:
            self.worker.set_manifold_params(params)

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.resume()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def _on_worker_finished(self, outcome: str) -> None:
        thread = self.thread
        self.worker = None
        if thread is not None:
            thread.wait(5000)     # run() has returned; the thread is only leaving its loop
        self.thread = None
        self.finished.emit(outcome)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop any run and wait for its thread; True if nothing is left running."""
        if self.worker is not None:
            self.worker.stop()
        if self.thread is not None:
            done = self.thread.wait(timeout_ms)
            if done:
                self.worker = None
                self.thread = None
                # drop the worker's signals still queued for us: the window is going away
                QCoreApplication.removePostedEvents(self, QEvent.MetaCall)
            return done
        return True
