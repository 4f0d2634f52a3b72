"""The training run: start, pause, resume, step, stop, settings changed mid-run, and its end.

The run is a superqt generator worker (`training_run.training_events`) in the session's pool.
Pause, resume and stop are the worker's own; the phases the panels show are in `TrainingState`.
Work that needs the weights still (a save) asks `when_still(then)`: `then` runs at once when no
run trains or the run is paused, else the run pauses, `then` runs when the worker reports it has
paused (a signal, between two batches: no waiting on the GUI thread), and the run goes on.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from PyQt5.QtCore import QObject, pyqtSignal

from .datasets import same_shape, scatter_indices
from .training_run import Batches, Snapshot, Stepper, training_events
from .workers import ClosingGeneratorWorker


@dataclass(frozen=True)
class TrainingState:
    """The training run as the panels show it.

    phase: "idle", "running", "pausing" (asked, not yet between batches), "paused" (the
    weights are still) or "stopping". outcome / message: how the last run ended ("" when
    the model shown did not come from a run of this session).
    """

    phase: str = "idle"
    first_epoch: int = 0
    last_epoch: int = 0
    batches: int = 0              # per epoch
    x_offset: float = 0.0         # where this run's curve starts on the epoch axis, minus first-1
    outcome: str = ""
    message: str = ""

    @property
    def running(self) -> bool:
        return self.phase != "idle"


class TrainingControl(QObject):
    """One run at a time over the session's current model and data set."""

    training_changed = pyqtSignal(object)      # TrainingState
    batches_arrived = pyqtSignal(object)       # Batches (a stream: not state)
    epoch_arrived = pyqtSignal(object)         # engine.EpochReport
    settings_changed = pyqtSignal()            # lr / beta changed (requested or applied) mid-run

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._training = TrainingState()
        self._stepper = Stepper()
        self._n_changes = 0
        self._worker = None
        self._resume_when_paused = False
        self._ending: tuple[str, str] | None = None
        self._still: list[Callable[[], object]] = []    # work waiting for the weights to be still
        self._resume_when_still = False

    @property
    def training(self) -> TrainingState:
        return self._training

    def reset_state(self) -> None:
        """A new model: no run, no outcome (announced by `announce`)."""
        self._training = TrainingState()

    def announce(self) -> None:
        self.training_changed.emit(self._training)

    def _set_training(self, **changes) -> None:
        state = replace(self._training, **changes)
        if state != self._training:
            self._training = state
            self.training_changed.emit(state)

    # ------------------------------------------------------------------ starting
    def start(self) -> bool:
        """Start with the session's run settings: a new model, or more epochs of the current
        one when `continue_run` is set. False, with the reason said, when it cannot start."""
        from engine import EngineError
        s = self._session
        if s.dataset is None or self._training.running:
            return False
        rs = s.run_settings
        try:
            vcfg, tcfg = rs.vae_config(s.dataset.image_shape), rs.train_config()
        except (ValueError, EngineError) as exc:
            s.notify(f"Cannot start: {exc}")
            s.warn("Cannot start training", str(exc))
            return False
        return self.start_training(vcfg, tcfg, continue_run=bool(rs.continue_run) and s.model is not None)

    def start_training(self, vae_config, train_config, continue_run: bool = False) -> bool:
        """Train a new model (or the current one for more epochs) on the current data set.

        Returns False, with the reason in `message`, when it cannot start.
        """
        from engine import VAE, ConfigError, EngineError, Trainer
        s = self._session
        if self._training.running:
            return False
        if s.dataset is None:
            s.notify("Cannot start: no data set")
            return False
        ds = s.dataset
        continue_run = continue_run and s.model is not None
        if not continue_run and s.dirty and not s.discard_guard("start a new model"):
            return False
        try:
            if continue_run:
                trainer = self._continuing_trainer(train_config)
            else:
                if not same_shape(vae_config.image_shape, ds.image_shape):
                    raise ConfigError("the model's image size differs from the data set's")
                trainer = Trainer(VAE(vae_config, seed=train_config.seed), ds, train_config)
        except (ValueError, EngineError) as exc:
            s.notify(f"Cannot start: {exc}")
            s.warn("Cannot start training", str(exc))
            return False
        new_model = trainer.model is not s.model
        if new_model:
            s.set_model(trainer.model, trainer, encode=False)   # a conv model's scatter takes ~1 s
        s.document.attach_trainer(trainer)
        if s.workers.closed:
            return False
        n, bs = len(ds.x_train), trainer.config.batch_size
        batches = math.ceil(n / min(bs, n))
        first = trainer.epochs_done + 1
        x, y = s.data.scatter
        self._stepper = Stepper()
        worker = ClosingGeneratorWorker(training_events, trainer, x, y, stepper=self._stepper,
                                        scatter_idx=None if x is None else scatter_indices(ds),
                                        first_snapshot=new_model, inputs=s.inputs.images)
        self._stepper.pause = worker.pause
        worker.yielded.connect(self._on_yielded)
        worker.paused.connect(self._on_paused)
        worker.returned.connect(self._on_returned)
        worker.aborted.connect(self._on_aborted)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        self._resume_when_paused = False
        self._ending = None
        self._training = TrainingState("running", first, trainer.epochs_done + trainer.config.epochs, batches,
                                       x_offset=trainer.epochs_trained - trainer.epochs_done)
        self.training_changed.emit(self._training)
        s.notify(f"Training epochs {first}–{self._training.last_epoch} on {s.dataset_label}…")
        s.workers.start(worker)
        return True

    def _continuing_trainer(self, tcfg):
        from engine import ConfigError, TrainConfig, Trainer
        s = self._session
        if not same_shape(s.model.config.image_shape, s.dataset.image_shape):
            raise ConfigError("the current model does not match this data set's image size")
        trainer = s.trainer
        if trainer is not None and trainer.data is s.dataset:
            trainer.config = TrainConfig(**{**trainer.config.to_dict(), "epochs": tcfg.epochs})
            return trainer
        if s.model_file is not None:
            return Trainer.resume(s.model_file, s.dataset, epochs=tcfg.epochs)
        return Trainer(s.model, s.dataset, tcfg, history=trainer.history if trainer else None,
                       epochs_done=trainer.epochs_done if trainer else 0)

    # ------------------------------------------------------------------ controlling
    def pause(self, notify: bool = True) -> None:
        if self._training.phase == "running":
            self._worker.pause()
            self._set_training(phase="pausing")
            if notify:
                self._session.notify("Pausing after this batch…")

    def resume(self, notify: bool = True) -> None:
        """Resume a paused (or pausing) run; notify=False for the end of a save's brief hold."""
        phase = self._training.phase
        if phase == "paused":
            self._worker.resume()
        elif phase == "pausing":
            self._resume_when_paused = True   # superqt resumes only a worker that has paused
        else:
            return
        self._set_training(phase="running")
        if notify:
            self._session.notify("Training resumed")

    def step(self, unit: str) -> None:
        """While paused: train one more batch ("batch") or to the end of the epoch ("epoch"),
        then pause again (every panel then shows the model as it is)."""
        if self._training.phase != "paused" or unit not in ("batch", "epoch"):
            return
        self._stepper.unit = unit
        self._worker.resume()
        self._set_training(phase="pausing")
        self._session.notify("Training one batch…" if unit == "batch" else "Training to the end of the epoch…")

    def change_settings(self, lr: float | None = None, beta: float | None = None) -> bool:
        """Train with this learning rate and beta from the next batch of the running run."""
        from engine import EngineError
        s = self._session
        trainer = s.trainer
        if trainer is None or not self._training.running:
            s.notify("Start a run first: the learning rate and beta change between batches of a run")
            return False
        try:
            trainer.change_settings(lr=lr, beta=beta)
        except EngineError as exc:
            s.notify(f"Cannot change the settings: {exc}")
            return False
        s.notify(f"From the next batch: learning rate {lr:g}, beta {beta:g}" if lr is not None and
                 beta is not None else "The new setting applies from the next batch")
        self.settings_changed.emit()
        return True

    def stop(self) -> None:
        if self._training.phase in ("running", "pausing", "paused"):
            self._worker.quit()
            self._set_training(phase="stopping")
            self._session.notify("Stopping after this batch…")

    def when_still(self, then: Callable[[], object]) -> bool:
        """Run `then()` while the weights are still (for a save). True: it ran now (no run, or
        the run is paused or over); False: it runs when the worker reports `paused` (between two
        batches) or the run ends, and a run that was running then goes on by itself."""
        worker = self._worker
        if worker is None or worker.is_paused or worker.done.is_set():
            then()
            return True
        self._still.append(then)
        if self._training.phase == "running":
            self._resume_when_still = True
            self.pause(notify=False)
        self._resume_when_paused = False
        return False

    def _run_still_work(self) -> None:
        work, self._still = self._still, []
        for then in work:
            then()

    # ------------------------------------------------------------------ what the worker says
    def _ours(self) -> bool:
        """True when the signal being handled comes from the current run's worker (a run
        joined by `shutdown()` may still have signals queued: they are dropped)."""
        return self._worker is not None and self.sender() is self._worker.signals

    def _on_yielded(self, item) -> None:
        from engine import EpochReport
        if not self._ours():
            return
        s = self._session
        if isinstance(item, Batches):
            if not s.dirty:
                s.set_dirty(True)
            self.batches_arrived.emit(item)
            if len(s.trainer.setting_changes) != self._n_changes:
                self._n_changes = len(s.trainer.setting_changes)
                self.settings_changed.emit()      # a requested change took effect
        elif isinstance(item, EpochReport):
            self.epoch_arrived.emit(item)
            s.notify(f"Epoch {item.epoch}/{item.epochs} — test loss {item.test_loss:.1f} "
                     f"(recon {item.recon:.1f} + KL {item.kl:.2f}), {item.epoch_seconds:.1f} s")
        elif isinstance(item, Snapshot):
            s.set_snapshot(item)

    def _on_paused(self) -> None:
        if not self._ours():
            return
        if self._still:
            self._run_still_work()            # the weights are still: the save writes them now
            if self._resume_when_still:
                self._resume_when_still = False
                self._worker.resume()
                self._set_training(phase="running")
                return
        if self._resume_when_paused:
            self._resume_when_paused = False
            self._worker.resume()
            return
        if self._training.phase == "pausing":
            self._set_training(phase="paused")
            self._session.document.refresh_snapshot()     # the weights are still: show them as they are now
            self._session.notify("Paused — the explorer shows the model as it is now; press Resume to go on")

    def _on_returned(self, outcome) -> None:
        if self._ours():
            self._ending = (outcome or "completed", "")

    def _on_aborted(self) -> None:
        if self._ours():
            self._ending = ("stopped", "")

    def _on_errored(self, exc) -> None:
        from engine import TrainingDiverged
        if not self._ours():
            return
        if isinstance(exc, TrainingDiverged):
            self._ending = ("diverged", f"Training diverged: {exc}")
        else:
            self._ending = ("error", f"Training failed: {type(exc).__name__}: {exc}")

    def _on_worker_finished(self) -> None:
        if self._ours():
            self._finish_run()

    def _finish_run(self) -> None:
        """The run has ended (its worker has finished): explore the final model."""
        s = self._session
        worker, self._worker = self._worker, None
        self._resume_when_still = False
        self._run_still_work()                # a save asked for mid-run writes the final weights
        outcome, error = self._ending or ("stopped" if worker.abort_requested else "completed", "")
        self._ending = None
        trainer = s.trainer
        last = trainer.history[-1] if trainer.history else None
        loss = f", test loss {last.test_loss:.1f}" if last else ""
        n = trainer.epochs_done
        epochs = f"{n} epoch{'s' if n != 1 else ''}"
        trained = f" ({trainer.epochs_trained:.2f} trained)" if trainer.partial is not None else ""
        text = {"completed": f"Training complete — {epochs}{loss}",
                "stopped": f"Stopped with {epochs} complete{trained}{loss} — the model keeps what it learnt",
                "diverged": "Training diverged — the model keeps its last good weights",
                "error": "Training failed"}[outcome]
        self._training = replace(self._training, phase="idle", outcome=outcome, message=text)
        snap = s.snapshot
        if not (outcome == "completed" and snap is not None and snap.final and snap.epoch == trainer.epochs_done):
            s.document.refresh_snapshot()   # a completed run's last snapshot already shows its final weights
        self.training_changed.emit(self._training)
        s.notify(error or text)
        if error:
            s.warn("Training stopped", error)

    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Stop every job and join its thread, for good (the window is closing); the run's end
        is handled here, not by signals still queued."""
        s = self._session
        if self._worker is not None:
            self._worker.quit()
        done = s.workers.close(timeout_ms)
        if done and self._worker is not None:
            self._finish_run()
        return done
