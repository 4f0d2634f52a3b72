"""A training run as a generator for superqt's GeneratorWorker.

`training_events(trainer, ...)` pulls the engine's `Trainer.run()` in a worker thread and
yields, at most every BATCH_INTERVAL seconds and at every epoch end, what the GUI shows:

- `Batches(report, chunk)`: the latest BatchReport and a (k, 4) float array
  [x in epochs, loss, recon, kl] of every batch since the last one;
- `EpochReport` after every epoch;
- `Snapshot` after every epoch and, mid-epoch, about once a second within a CPU budget: a copy
  of the model taken between batches and the posterior means of a fixed test subset, encoded
  here, so the GUI explores weights that never change under it.

Pause, resume and stop are the worker's own (`pause()`, `resume()`, `quit()`): superqt honours
them at each `yield`, so the weights are still whenever the worker reports `paused`. The
generator returns "completed"; a stop arrives as the worker's `aborted`, a divergence or an
error as `errored`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .workers import lower_priority

BATCH_INTERVAL = 0.1        # s: batch updates at most 10 Hz (a pause or stop lands within this)
SCATTER_INTERVAL = 1.0      # s: mid-epoch snapshots at most this often ...
SCATTER_BUDGET = 0.01       # ... and within ~1 % of the training time (encoding costs several batches)


@dataclass(frozen=True)
class Batches:
    """Batches trained since the last update."""

    report: object            # the latest engine.BatchReport
    chunk: np.ndarray         # (k, 4) [x in epochs, loss, recon, kl]


@dataclass(frozen=True)
class Snapshot:
    """A model the GUI may use freely, and the scatter codes it gives.

    model: an independent copy (never trained further); codes: (n, latent) posterior means of
    the session's scatter subset, labels: (n,) or None; epoch: fractional epochs trained.
    """

    model: object
    codes: np.ndarray | None
    labels: np.ndarray | None
    epoch: float
    final: bool = False       # taken at an epoch's end (or the run's)
    logvars: np.ndarray | None = None   # (n, latent) posterior log-variances of the same images


class Stepper:
    """Runs a paused training generator for exactly one batch or one epoch.

    The session sets `unit` ("batch" or "epoch") and resumes the worker; the generator trains
    until the unit is done and calls `pause` (the worker's own, a flag superqt checks at the
    next yield) just before its last yield, so the worker pauses with the weights still.
    """

    def __init__(self) -> None:
        self.unit: str | None = None
        self.pause = lambda: None
        self.trained = 0          # batches trained in the current step

    def finish(self) -> None:
        self.unit, self.trained = None, 0
        self.pause()


def encode_snapshot(model, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                    epoch: float, final: bool) -> Snapshot:
    """A Snapshot of `model` now: its copy and the scatter subset's posterior means.

    The caller guarantees the weights do not change meanwhile (worker thread between batches,
    or the GUI thread while the worker is paused or idle).
    """
    codes, logvars = (None, None) if scatter_x is None else model.encode(scatter_x)   # (n, latent) each
    return Snapshot(model.copy(), codes, scatter_y, float(epoch), final, logvars)


def training_events(trainer, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                    batch_interval: float = BATCH_INTERVAL, scatter_interval: float = SCATTER_INTERVAL,
                    stepper: Stepper | None = None):
    """Train with `trainer.run()` and yield Batches / EpochReport / Snapshot (see the module);
    with a `stepper` whose unit is set, pause after one batch or at the epoch's end."""
    from engine import BatchReport, EpochReport

    lower_priority()
    pending: list[tuple[float, float, float, float]] = []
    last = None
    last_emit = last_snapshot = time.perf_counter()
    snapshot_cost = 0.0
    runner = trainer.run()
    try:
        for report in runner:
            now = time.perf_counter()
            if isinstance(report, BatchReport):
                x = report.epoch - 1 + report.batch / report.batches
                pending.append((x, report.loss, report.recon, report.kl))
                last = report
                if stepper is not None and stepper.unit is not None:
                    stepper.trained += 1
                    if stepper.unit == "batch" and report.batch < report.batches:
                        stepper.finish()          # pauses right after this yield
                        yield Batches(last, np.array(pending, np.float64))
                        pending.clear()
                        last_emit = time.perf_counter()
                        continue
                if now - last_emit >= batch_interval:
                    yield Batches(last, np.array(pending, np.float64))
                    pending.clear()
                    last_emit = time.perf_counter()
                due = max(scatter_interval, snapshot_cost / SCATTER_BUDGET)
                if report.batch < report.batches and now - last_snapshot >= due and scatter_interval > 0:
                    t0 = time.perf_counter()
                    snap = encode_snapshot(trainer.model, scatter_x, scatter_y, x, False)
                    last_snapshot = time.perf_counter()
                    snapshot_cost = last_snapshot - t0
                    yield snap
            elif isinstance(report, EpochReport):
                if pending:
                    yield Batches(last, np.array(pending, np.float64))
                    pending.clear()
                last_emit = time.perf_counter()
                yield report
                if stepper is not None and stepper.unit is not None and stepper.trained > 0:
                    if report.epoch < report.epochs:
                        stepper.finish()          # a step ends with its epoch: pause after the snapshot
                    else:
                        stepper.unit, stepper.trained = None, 0   # the run ends here anyway
                yield encode_snapshot(trainer.model, scatter_x, scatter_y, float(report.epoch), True)
                last_snapshot = time.perf_counter()
        if pending:
            yield Batches(last, np.array(pending, np.float64))
        return "completed"
    finally:
        runner.close()            # on a stop: leave the engine's generator (BLAS limits) here
