"""RunRecorder: what a training loop calls to put its run in the history, one epoch at a time.

    recorder = RunRecorder.start(history, trainer, source="window")
    for report in trainer.run():
        if isinstance(report, EpochReport):
            recorder.epoch(report, trainer.test_posterior)
    recorder.finish("completed", trainer)

`recorded(trainer, history)` wraps trainer.run() and does all of that, the ending's status
included (stopped on KeyboardInterrupt or a stop, diverged on TrainingDiverged).  Recording
never stops a run: a history that cannot be written is reported once on stderr and skipped.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from ..errors import EngineError, TrainingDiverged
from ..latent_stats import latent_health
from ..training import BatchReport, EpochReport, Trainer
from .artifacts import fingerprint, thumbnail_png
from .history import RunHistory
from .records import EpochRecord

MODEL_NAME, THUMBNAIL_NAME = "model.npz", "thumbnail.png"


class RunRecorder:
    """Records one run: `start` makes its 'running' row, `epoch` adds each finished epoch,
    `finish` writes the final model (unless saved elsewhere), the thumbnail and the status."""

    def __init__(self, history: RunHistory, run_id: int) -> None:
        self.history, self.run_id = history, run_id

    @classmethod
    def start(cls, history: RunHistory, trainer: Trainer, source: str = "cli",
              sweep: str | None = None) -> RunRecorder:
        data = trainer.data
        run_id = history.create_run(
            source=source, data_name=data.name, data_path=data.source, data_fingerprint=fingerprint(data),
            model_config=trainer.model.config.to_dict(), train_config=trainer.config.to_dict(),
            epochs_planned=trainer.epochs_done + trainer.config.epochs, sweep=sweep)
        return cls(history, run_id)

    def epoch(self, report: EpochReport, posterior=None) -> None:
        """Record a finished epoch; posterior = the test split's (mu, logvar) for its active units."""
        active = None
        if posterior is not None and len(posterior[0]) >= 2:
            active = latent_health(*posterior).n_active
        self.history.add_epoch(self.run_id, EpochRecord(report.epoch, report.train_loss, report.test_loss,
                                                        report.recon, report.kl, active, report.epoch_seconds))

    def beat(self) -> None:
        """Refresh the heartbeat (a long epoch on a shared home folder is not taken for dead)."""
        self.history.heartbeat(self.run_id)

    def finish(self, status: str, trainer: Trainer | None = None, saved_path: str | Path | None = None,
               error: str | None = None) -> None:
        """End the run.  saved_path: where the user saved the model (recorded, kept on delete);
        otherwise the trainer's model is saved into the run's folder.  A model or thumbnail
        that cannot be written is noted in `error`; the status is recorded regardless."""
        folder = self.history.run_dir(self.run_id)
        model_path, owned, thumb, notes = saved_path, False, None, [error] if error else []
        if trainer is not None and trainer.epochs_done > 0 and model_path is None and not _optimizer_finite(trainer):
            notes.append("the model is not kept: its optimizer state overflowed")
            trainer = None
        if trainer is not None and trainer.epochs_done > 0:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if model_path is None:
                    from ..storage import save_model
                    model_path, owned = save_model(folder / MODEL_NAME, trainer.model, trainer), True
                thumb = folder / THUMBNAIL_NAME
                thumb.write_bytes(thumbnail_png(trainer.model))
            except (EngineError, OSError, ValueError) as exc:
                notes.append(f"could not keep the model or thumbnail: {exc}")
                thumb = thumb if thumb is not None and thumb.exists() else None
        self.history.finish(self.run_id, status, model_path, owned, thumb, "; ".join(notes) or None)


def recorded(trainer: Trainer, history: RunHistory | None, source: str = "cli",
             saved_path: str | Path | None = None, sweep: str | None = None
             ) -> Iterator[BatchReport | EpochReport]:
    """trainer.run(), recording the run in `history` (None: not recorded) as it goes."""
    recorder = _start(history, trainer, source, sweep)
    if recorder is None:
        yield from trainer.run()
        return
    status, error = "completed", None
    try:
        for report in trainer.run():
            if isinstance(report, EpochReport):
                _safely(recorder.epoch, report, trainer.test_posterior)
            yield report
        if trainer.stopped:
            status = "stopped"
    except (KeyboardInterrupt, GeneratorExit):
        status = "stopped"
        raise
    except TrainingDiverged as exc:
        status, error = "diverged", str(exc)
        raise
    except Exception as exc:
        status, error = "failed", str(exc) or type(exc).__name__
        raise
    finally:
        _safely(recorder.finish, status, trainer, saved_path, error)


def _optimizer_finite(trainer: Trainer) -> bool:
    import numpy as np
    return all(np.all(np.isfinite(v)) for v in trainer.optimizer.state().values())


_warned = False


def _start(history: RunHistory | None, trainer: Trainer, source: str, sweep: str | None) -> RunRecorder | None:
    if history is None:
        return None
    try:
        return RunRecorder.start(history, trainer, source, sweep)
    except EngineError as exc:
        _warn(exc)
        return None


def _safely(call, *args) -> None:
    try:
        call(*args)
    except EngineError as exc:
        _warn(exc)


def _warn(exc: Exception) -> None:
    global _warned
    if not _warned:
        print(f"warning: the run is not recorded in the history: {exc}", file=sys.stderr)
        _warned = True
