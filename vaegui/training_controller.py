"""Starts, pauses, resumes and stops training runs; owns the worker thread.

The controller builds the Trainer in the GUI thread (cheap), hands it to a TrainWorker in a
QThread, and forwards the worker's signals. It keeps references to the worker and its thread
until the thread has finished, and `shutdown()` stops and joins it (used by closeEvent).
"""
from __future__ import annotations

import math

from PyQt5.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer, pyqtSignal

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
        self._holding = False     # the worker has reported `paused` and waits: its weights are still

    @property
    def running(self) -> bool:
        return self.worker is not None

    @property
    def is_paused(self) -> bool:
        return self.worker is not None and self.worker.is_paused

    @property
    def weights_still(self) -> bool:
        """True when no run is changing the model: none is running, or it has paused between batches.

        A pause is only requested by `pause()`; the worker finishes its batch first. Saving the
        model in between would write weights and optimizer state from different steps.
        """
        return self.worker is None or self._holding

    def wait_until_paused(self, timeout_ms: int = 3000) -> bool:
        """Pause the run if needed and wait (events keep flowing) until the worker holds still."""
        if self.weights_still:
            return True
        self.pause()
        loop = QEventLoop()
        for sig in (self.paused, self.finished):
            sig.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        if not self.weights_still:
            loop.exec_()
        for sig in (self.paused, self.finished):
            sig.disconnect(loop.quit)
        return self.weights_still

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
        worker.paused.connect(self._on_worker_paused)
        worker.resumed.connect(self.resumed)
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        self._holding = False
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
        self._holding = False
        if self.worker is not None:
            self.worker.resume()

    def _on_worker_paused(self, resumes: int) -> None:
        # queued from the worker: a resume() or stop() issued since then makes this report stale
        if self.worker is not None and self.worker.resumes == resumes and self.worker.is_paused:
            self._holding = True
        self.paused.emit()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def _on_worker_finished(self, outcome: str) -> None:
        thread = self.thread
        self.worker = None
        self._holding = False
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
