"""Minibatch training as a generator: it reports after every batch and every epoch, and stops on request.

The trainer never prints or sleeps; a CLI, a GUI worker thread or a test pulls reports from
`Trainer.run()` and decides what to show.  Pausing is simply not pulling.  `stop()` may be called
from any thread and takes effect before the next batch.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from .config import TrainConfig
from .data import Dataset
from .data.dataset import to_float
from .errors import ConfigError, TrainingDiverged
from .limits import check_memory, training_bytes
from .optim import make_optimizer
from .parallel import default_workers
from .vae import VAE

EVAL_CHUNK = 2000


@dataclass(frozen=True)
class BatchReport:
    """After one minibatch.  loss = recon + beta * kl, per-image means over the batch (nats)."""

    epoch: int            # 1-based, counted over the model's whole life (resumes continue it)
    epochs: int           # the last epoch this run will reach
    batch: int            # 1-based within the epoch
    batches: int
    loss: float
    recon: float
    kl: float
    beta: float
    samples_per_sec: float
    elapsed: float        # seconds of training in this epoch so far


@dataclass(frozen=True)
class EpochReport:
    """After one epoch.  Losses are per-image negative ELBOs (beta 1) in nats."""

    epoch: int
    epochs: int
    train_loss: float     # mean over the epoch's training batches, as trained
    test_loss: float      # over the whole test split, one z sample per image
    recon: float          # test reconstruction term
    kl: float             # test KL term
    epoch_seconds: float  # wall time of the epoch's training alone (not the test pass)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SettingChange:
    """A learning rate or beta changed between batches of a run: before batch `batch` of `epoch`."""

    epoch: int            # 1-based, as in BatchReport
    batch: int            # the first batch trained with the new value (1-based)
    batches: int
    setting: str          # "lr" or "beta"
    old: float
    new: float

    @property
    def at(self) -> float:
        """Fractional epochs trained when the change took effect."""
        return self.epoch - 1 + (self.batch - 1) / self.batches

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PartialEpoch:
    """An epoch cut short by a stop: its batches are in the weights but not in `history`."""

    epoch: int            # 1-based epoch number it had
    batches: int          # batches trained
    of: int               # batches in a full epoch
    train_loss: float     # mean over those batches, as trained
    seconds: float        # their training time

    @property
    def fraction(self) -> float:
        return self.batches / self.of

    def to_dict(self) -> dict:
        return asdict(self)


class SavedRun(Protocol):
    """What Trainer.resume reads of a saved run: storage.ModelFile is one (storage imports this
    module, so this module names it only by what it needs)."""

    model: VAE
    train_config: TrainConfig
    history: list[EpochReport]
    epochs_done: int
    setting_changes: list[SettingChange]
    partial_epoch: PartialEpoch | None
    discarded_epochs: list[PartialEpoch]
    optimizer_name: str | None
    optimizer_state: dict[str, np.ndarray] | None
    rng_state: dict[str, Any] | None


class Trainer:
    """Trains a VAE on a Dataset; keeps the optimizer, RNG and loss history needed to resume.

    `partial` is the epoch in progress, or the one a stop cut short (None at an epoch's end);
    a later run restarts that epoch from its first batch and moves it to `discarded`, so the
    batches it trained stay on record (the weights kept them).
    """

    def __init__(self, model: VAE, data: Dataset, config: TrainConfig,
                 history: list[EpochReport] | None = None, epochs_done: int = 0,
                 threads: int | None = None, setting_changes: list[SettingChange] | None = None,
                 partial: PartialEpoch | None = None, discarded: list[PartialEpoch] | None = None) -> None:
        if data.image_shape != model.config.image_shape:
            raise ConfigError(f"the model expects {model.config.image_shape} images but {data.name} has "
                              f"{data.image_shape}")
        self.model, self.data, self.config = model, data, config
        # the data stay as stored: batches and test chunks are converted as they are used (run, evaluate)
        weighted = [layer.floats_per_image for layer in model.layers if layer.n_params]
        check_memory(training_bytes(model.n_params, model.config.input_dim, weighted,
                                    max(config.batch_size, EVAL_CHUNK), 0), "training this model", ConfigError)
        self.threads = threads or default_workers()
        self.optimizer = make_optimizer(config.optimizer, model.params, model.grads, config.lr, self.threads)
        self.rng = np.random.default_rng(config.seed)
        self.history: list[EpochReport] = list(history or [])
        self.epochs_done = epochs_done
        self._stop = threading.Event()
        self.setting_changes: list[SettingChange] = list(setting_changes or [])
        self.partial = partial
        self.discarded: list[PartialEpoch] = list(discarded or [])
        self._pending: dict[str, float] = {}
        self._pending_lock = threading.Lock()
        # (mu, logvar), each (n_test, L): the test set's posteriors from the last evaluate()
        # (the explorer's epoch-end scatter takes its codes from here instead of encoding again)
        self.test_posterior: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def resume(cls, saved: SavedRun, data: Dataset, epochs: int | None = None,
               threads: int | None = None) -> Trainer:
        """Continue a saved run (a storage.ModelFile): same optimizer state, RNG stream and history."""
        cfg = saved.train_config
        if epochs is not None:
            cfg = TrainConfig(**{**cfg.to_dict(), "epochs": epochs})
        trainer = cls(saved.model, data, cfg, saved.history, saved.epochs_done, threads,
                      saved.setting_changes, saved.partial_epoch, saved.discarded_epochs)
        if saved.optimizer_state is not None and saved.optimizer_name == cfg.optimizer:
            trainer.optimizer.load_state(saved.optimizer_state)
        if saved.rng_state is not None:
            trainer.rng.bit_generator.state = saved.rng_state
        return trainer

    @property
    def epochs_trained(self) -> float:
        """Epochs of training in the weights: complete ones plus every partial epoch's fraction."""
        partial = self.partial.fraction if self.partial is not None else 0.0
        return self.epochs_done + partial + sum(p.fraction for p in self.discarded)

    def stop(self) -> None:
        """Ask run() to return before its next batch; safe from any thread."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def change_settings(self, lr: float | None = None, beta: float | None = None) -> None:
        """Train with a new learning rate and/or beta from the next batch on; safe from any thread.

        Bad values raise ConfigError and change nothing.  Each change that takes effect is
        recorded in `setting_changes` with the batch it applied from.
        """
        requested = {k: float(v) for k, v in (("lr", lr), ("beta", beta)) if v is not None}
        replace(self.config, **requested)          # validates: raises ConfigError, keeps the config
        with self._pending_lock:
            self._pending.update(requested)

    def _apply_pending(self, epoch: int, batch: int, batches: int) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        for setting, new in pending.items():
            old = getattr(self.config, setting)
            if new == old:
                continue
            self.config = replace(self.config, **{setting: new})
            if setting == "lr":
                self.optimizer.lr = new
            self.setting_changes.append(SettingChange(epoch, batch, batches, setting, old, new))

    def beta_at(self, epoch: int, batch: int, batches: int) -> float:
        """KL weight: rises linearly from 0 over the warm-up epochs, batch by batch, then stays at beta."""
        cfg = self.config
        if cfg.warmup_epochs == 0:
            return cfg.beta
        progress = ((epoch - 1) * batches + batch) / (cfg.warmup_epochs * batches)
        return cfg.beta * min(1.0, progress)

    def run(self) -> Iterator[BatchReport | EpochReport]:
        """Train config.epochs more epochs, yielding a BatchReport per batch and an EpochReport per epoch.

        Raises TrainingDiverged if a loss or gradient stops being finite; the weights are then
        those of the last good step (the bad step is never applied).
        """
        self._stop.clear()
        if self.partial is not None:          # a stop cut that epoch short: it starts again
            self.discarded.append(self.partial)
            self.partial = None
        cfg, model, opt = self.config, self.model, self.optimizer
        x = self.data.x_train   # stored uint8 (or float32): each batch becomes float as it is used
        n, B, L = len(x), min(cfg.batch_size, len(x)), model.config.latent_dim
        batches = math.ceil(n / B)
        last = self.epochs_done + cfg.epochs
        x_batch = np.empty((B, x.shape[1]), model.dtype)
        # A conv model's step splits each batch across the threads, each on one BLAS thread, so
        # its im2col copies run on every core too (backprop.SplitPass; architecture.Family).
        split = self.threads if model.family.splits_batches and B >= 2 * self.threads else 1
        raw = None if x.dtype == model.dtype else np.empty((B, x.shape[1]), x.dtype)
        for epoch in range(self.epochs_done + 1, last + 1):
            order = self.rng.permutation(n)
            busy = loss_sum = 0.0
            seen = 0
            with threadpool_limits(1 if split > 1 else self.threads, user_api="blas"):
                for b in range(batches):
                    if self._stop.is_set():
                        return
                    if self._pending:
                        self._apply_pending(epoch, b + 1, batches)
                    start = time.perf_counter()
                    idx = order[b * B:(b + 1) * B]
                    xb = self._batch(x, idx, x_batch[:len(idx)], raw)
                    eps = self.rng.standard_normal((len(idx), L), dtype=model.dtype)
                    beta = self.beta_at(epoch, b + 1, batches)
                    loss, recon, kl, finite = model.train_step(xb, eps, beta, opt.grad_scale, check=True,
                                                               parts=split, sum_parts=False)
                    if not (finite and math.isfinite(loss)):
                        raise TrainingDiverged(
                            f"the loss became {'NaN' if math.isnan(loss) else 'infinite'} at epoch {epoch}, "
                            f"batch {b + 1}; the model keeps its last good weights (try a lower learning rate)")
                    opt.step(model.unsummed_grads())      # the split parts' gradients are summed as it goes
                    busy += time.perf_counter() - start
                    seen += len(idx)
                    loss_sum += (recon + kl) * len(idx)
                    self.partial = PartialEpoch(epoch, b + 1, batches, loss_sum / seen, busy)
                    yield BatchReport(epoch, last, b + 1, batches, loss, recon, kl, beta, seen / busy, busy)
            recon_t, kl_t = self.evaluate(epoch)
            report = EpochReport(epoch, last, loss_sum / seen, recon_t + kl_t, recon_t, kl_t, busy)
            self.history.append(report)
            self.epochs_done = epoch
            self.partial = None
            yield report

    @staticmethod
    def _batch(x: np.ndarray, idx: np.ndarray, out: np.ndarray, raw: np.ndarray | None) -> np.ndarray:
        """Rows idx of the stored images as the model's floats in `out` (n, D), allocating nothing."""
        if raw is None:
            return np.take(x, idx, axis=0, out=out)
        stored = np.take(x, idx, axis=0, out=raw[:len(idx)])
        if out.dtype == np.float32:
            return to_float(stored, out=out)
        out[...] = to_float(stored)   # float64 models (gradient checks): the float32 values, widened
        return out

    @property
    def _eval_threads(self) -> int:
        """Threads of a test pass: a conv model's rows split across them (as its training step
        does), the MLP's in BLAS."""
        return self.threads if self.model.family.splits_batches else 1

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar) of stored rows x with the weights now, on the threads a test pass uses
        (between batches of `run()`, whose BLAS thread limit is in force there)."""
        threads = self._eval_threads
        with threadpool_limits(1, user_api="blas") if threads > 1 else contextlib.nullcontext():
            return self.model.encode(x, parts=threads)

    def evaluate(self, epoch: int | None = None) -> tuple[float, float]:
        """Test-set (reconstruction, KL) per-image means, one z sample each, from a seeded RNG
        that leaves the training stream untouched."""
        rng = np.random.default_rng([self.config.seed, 7919, epoch or self.epochs_done])
        threads = self._eval_threads
        shape = (len(self.data.x_test), self.model.config.latent_dim)
        posterior = (np.empty(shape, self.model.dtype), np.empty(shape, self.model.dtype))
        with threadpool_limits(1, user_api="blas") if threads > 1 else contextlib.nullcontext():
            recon, kl = elbo_terms(self.model, self.data.x_test, rng, threads, posterior)
        self.test_posterior = posterior
        return float(recon.mean()), float(kl.mean())


def elbo_terms(model: VAE, x: np.ndarray, rng: np.random.Generator, threads: int = 1,
               posterior: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """model.elbo_terms over stored rows x (uint8 or float32), converted to float EVAL_CHUNK rows
    at a time so a large colour test set never exists as float32 all at once; the same noise
    stream as one call on the whole float array.  threads, posterior: see VAE.elbo_terms."""
    def rows(s: int):
        return None if posterior is None else (posterior[0][s:s + EVAL_CHUNK], posterior[1][s:s + EVAL_CHUNK])
    parts = [model.elbo_terms(to_float(x[s:s + EVAL_CHUNK]), rng, chunk=EVAL_CHUNK, parts=threads,
                              posterior=rows(s))
             for s in range(0, len(x), EVAL_CHUNK)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
