"""A training run as a generator for superqt's GeneratorWorker.

`training_events(trainer, ...)` pulls the engine's `Trainer.run()` in a worker thread and
yields, at most every BATCH_INTERVAL seconds and at every epoch end, what the GUI shows:

- `Batches(report, chunk)`: the latest BatchReport and a (k, 4) float array
  [x in epochs, loss, recon, kl] of every batch since the last one;
- `EpochReport` after every epoch;
- `Snapshot` after every epoch and, mid-epoch, about once a second within a CPU budget: a copy
  of the model taken between batches and the posterior means of a fixed test subset (encoded
  here mid-epoch, taken from the epoch's test pass at its end), so the GUI explores weights
  that never change under it.

Pause, resume and stop are the worker's own (`pause()`, `resume()`, `quit()`): superqt honours
them at each `yield`, so the weights are still whenever the worker reports `paused`. The
generator returns "completed"; a stop arrives as the worker's `aborted`, a divergence or an
error as `errored`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .heap import release_free_memory
from .workers import lower_priority

BATCH_INTERVAL = 0.1        # s: batch updates at most 10 Hz (a pause or stop lands within this)
SCATTER_INTERVAL = 1.0      # s: mid-epoch snapshots at most this often ...
SCATTER_BUDGET = 0.01       # ... and within ~1 % of the training time (encoding costs several batches)
PROBE_ROWS = 64             # the first one's cost is predicted from encoding this many images


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
    test_codes: np.ndarray | None = None  # (N, latent) posterior means of all of test_data's test
    test_data: object = None              # set, an epoch's end: its test pass encoded them anyway
    inputs: tuple = ()        # ((InputImage, mu, logvar), ...): the explorer's inputs, encoded with the rest


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


def encode_inputs(encode, inputs) -> tuple:
    """((item, mu, logvar), ...) of the explorer's inputs (InputImage) that fit the model."""
    if not inputs:
        return ()
    mu, logvar = encode(np.stack([np.asarray(item.image, np.float32) for item in inputs]))
    return tuple((item, mu[i], logvar[i]) for i, item in enumerate(inputs))


def _fitting(model, inputs) -> tuple:
    return tuple(i for i in (inputs or ()) if i.image.size == model.config.input_dim)


def encode_snapshot(model, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                    epoch: float, final: bool, inputs=()) -> Snapshot:
    """A Snapshot of `model` now: its copy, the scatter subset's posterior means and those of
    the explorer's `inputs`.

    The caller guarantees the weights do not change meanwhile (worker thread between batches,
    or the GUI thread while the worker is paused or idle).
    """
    codes, logvars = (None, None) if scatter_x is None else model.encode(scatter_x)   # (n, latent) each
    return Snapshot(model.copy(), codes, scatter_y, float(epoch), final, logvars,
                    inputs=encode_inputs(model.encode, _fitting(model, inputs)))


def mid_epoch_snapshot(trainer, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                       epoch: float, inputs=()) -> Snapshot:
    """A Snapshot between batches, the scatter subset encoded on the run's threads."""
    codes, logvars = (None, None) if scatter_x is None else trainer.encode(scatter_x)
    return Snapshot(trainer.model.copy(), codes, scatter_y, float(epoch), False, logvars,
                    inputs=encode_inputs(trainer.encode, _fitting(trainer.model, inputs)))


def predicted_snapshot_seconds(trainer, scatter_x: np.ndarray | None) -> float:
    """What encoding the scatter subset will take, from timing its first PROBE_ROWS images (a
    conv model's 3,000 take about a second: too long to find out by trying)."""
    if scatter_x is None or len(scatter_x) == 0:
        return 0.0
    start = time.perf_counter()
    trainer.encode(scatter_x[:PROBE_ROWS])
    return (time.perf_counter() - start) * len(scatter_x) / min(PROBE_ROWS, len(scatter_x))


def epoch_snapshot(trainer, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                   scatter_idx: np.ndarray | None, epoch: float, inputs=()) -> Snapshot:
    """The Snapshot at an epoch's end: the scatter's codes are rows `scatter_idx` of the
    posteriors that the epoch's test pass computed (the same numbers as encoding them again,
    which costs ~1% of an MNIST epoch)."""
    post = trainer.test_posterior
    if scatter_x is None or scatter_idx is None or post is None or len(post[0]) <= scatter_idx[-1]:
        return encode_snapshot(trainer.model, scatter_x, scatter_y, epoch, True, inputs)
    return Snapshot(trainer.model.copy(), post[0][scatter_idx], scatter_y, float(epoch), True, post[1][scatter_idx],
                    test_codes=post[0], test_data=trainer.data,
                    inputs=encode_inputs(trainer.encode, _fitting(trainer.model, inputs)))


def training_events(trainer, scatter_x: np.ndarray | None, scatter_y: np.ndarray | None,
                    batch_interval: float = BATCH_INTERVAL, scatter_interval: float = SCATTER_INTERVAL,
                    stepper: Stepper | None = None, scatter_idx: np.ndarray | None = None,
                    first_snapshot: bool = False, inputs=None):
    """Train with `trainer.run()` and yield Batches / EpochReport / Snapshot (see the module);
    with a `stepper` whose unit is set, pause after one batch or at the epoch's end.
    scatter_idx: the rows of the trainer's test set that scatter_x holds (sorted);
    first_snapshot: yield a snapshot of the weights before training them (a new model);
    inputs: a callable giving the explorer's inputs now (immutable InputImages, read between
    batches), encoded into every snapshot so the GUI thread never encodes them again."""
    current_inputs = inputs or tuple
    from engine import BatchReport, EpochReport

    lower_priority()
    if first_snapshot:
        yield mid_epoch_snapshot(trainer, scatter_x, scatter_y, trainer.epochs_trained, current_inputs())
    pending: list[tuple[float, float, float, float]] = []
    last = None
    last_emit = last_snapshot = time.perf_counter()
    snapshot_cost = None          # s per mid-epoch snapshot: predicted, then measured
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
                if report.batch < report.batches and now - last_snapshot >= scatter_interval > 0:
                    if snapshot_cost is None:
                        snapshot_cost = predicted_snapshot_seconds(trainer, scatter_x)
                    if now - last_snapshot >= snapshot_cost / SCATTER_BUDGET:
                        t0 = time.perf_counter()
                        snap = mid_epoch_snapshot(trainer, scatter_x, scatter_y, x, current_inputs())
                        last_snapshot = time.perf_counter()
                        snapshot_cost = last_snapshot - t0
                        yield snap
                        del snap          # not kept until the next one: that can be minutes (a model copy)
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
                yield epoch_snapshot(trainer, scatter_x, scatter_y, scatter_idx, float(report.epoch), current_inputs())
                release_free_memory()             # the test pass's and the snapshot's arrays
                last_snapshot = time.perf_counter()
        if pending:
            yield Batches(last, np.array(pending, np.float64))
        return "completed"
    finally:
        runner.close()            # on a stop: leave the engine's generator (BLAS limits) here
