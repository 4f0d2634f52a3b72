"""A sweep: one training run per (beta, latent size) of a grid, N worker processes at once.

Each worker is a fresh process (multiprocessing's spawn start: nothing inherited but its job,
passed as JSON) with cores // N BLAS threads, loads the data itself, trains and records its run
in the history under the sweep's id.  A run that fails is recorded as failed (or diverged)
and the others go on; a worker killed outright leaves a 'running' row that the history then
lists as interrupted.  Results are read back from the history, so nothing but the exit status
travels between the processes.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .history import RunHistory
from .records import RunSummary

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class SweepPlan:
    """What every run of the sweep shares, and the grid.  model / train: VAEConfig and
    TrainConfig keyword arguments (without image_shape, latent_dim and beta, which the data and
    the grid give)."""

    data: str
    betas: tuple[float, ...]
    latents: tuple[int, ...] = (2,)
    data_options: dict = field(default_factory=dict)
    limit: int | None = None
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)

    def grid(self) -> list[tuple[float, int]]:
        """(beta, latent) pairs, latent-major, each once, in the order given."""
        betas, latents = list(dict.fromkeys(self.betas)), list(dict.fromkeys(self.latents))
        return [(b, L) for L in latents for b in betas]


@dataclass(frozen=True)
class SweepResult:
    beta: float
    latent_dim: int
    run: RunSummary | None        # None: the worker died before recording anything
    exit_code: int | None


def threads_per_job(jobs: int, cores: int | None = None) -> int:
    return max(1, (cores or os.cpu_count() or 1) // max(1, jobs))


def run_sweep(plan: SweepPlan, home: str | Path | None = None, jobs: int = 1,
              on_result: Callable[[SweepResult], None] | None = None) -> tuple[str, list[SweepResult]]:
    """Train the grid, `jobs` runs at a time; (the sweep's id, one result per grid point).
    on_result is called as each run ends.  KeyboardInterrupt stops the workers (their runs are
    recorded as stopped) and propagates."""
    history = RunHistory(home)
    sweep_id = time.strftime("sweep-%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    threads = threads_per_job(jobs)
    ctx = multiprocessing.get_context("spawn")
    pending, running, results = list(plan.grid()), [], []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                beta, latent = pending.pop(0)
                job = {"home": str(history.home), "sweep": sweep_id, "data": plan.data, "options": plan.data_options,
                       "limit": plan.limit, "model": {**plan.model, "latent_dim": latent},
                       "train": {**plan.train, "beta": beta}, "threads": threads}
                process = ctx.Process(target=train_job, args=(json.dumps(job),), daemon=True)
                process.start()
                running.append((process, beta, latent))
            time.sleep(POLL_SECONDS)
            for item in [r for r in running if not r[0].is_alive()]:
                running.remove(item)
                process, beta, latent = item
                process.join()
                result = SweepResult(beta, latent, _run_of(history, sweep_id, beta, latent), process.exitcode)
                results.append(result)
                if on_result:
                    on_result(result)
    except KeyboardInterrupt:
        for process, _, _ in running:        # they got the same Ctrl-C: let them record 'stopped'
            process.join(10)
            if process.is_alive():
                process.terminate()
        raise
    order = {point: i for i, point in enumerate(plan.grid())}
    return sweep_id, sorted(results, key=lambda r: order[(r.beta, r.latent_dim)])


def _run_of(history: RunHistory, sweep_id: str, beta: float, latent: int) -> RunSummary | None:
    for run in history.list_runs(sweep=sweep_id):
        if run.beta == beta and run.latent_dim == latent:
            return run
    return None


def train_job(job_json: str) -> None:
    """One run of a sweep, in its own process; every failure ends up recorded in the history."""
    job = json.loads(job_json)
    from ..threads import set_threads
    set_threads(job["threads"])
    history = RunHistory(job["home"])
    try:
        trainer = _trainer(job)
    except Exception as exc:  # noqa: BLE001  (any failure: no trainer, so no recorder; record it by hand)
        run_id = history.create_run(source="sweep", data_name=job["data"], data_path=None, data_fingerprint=None,
                                    model_config=job["model"], train_config=job["train"], sweep=job["sweep"])
        history.finish(run_id, "failed", error=str(exc) or type(exc).__name__)
        raise SystemExit(1) from None
    from .recorder import recorded
    try:
        for _ in recorded(trainer, history, source="sweep", sweep=job["sweep"]):
            pass
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception:  # noqa: BLE001  (already recorded as diverged / failed by `recorded`)
        raise SystemExit(1) from None


def _trainer(job: dict):
    from ..config import TrainConfig, VAEConfig
    from ..data import load_dataset
    from ..training import Trainer
    from ..vae import VAE

    data = load_dataset(job["data"], **job["options"])
    if job["limit"]:
        data = data.subset(job["limit"], len(data.x_test))
    model = VAEConfig(image_shape=data.image_shape, **job["model"])
    train = TrainConfig(**job["train"])
    return Trainer(VAE(model, seed=train.seed), data, train, threads=job["threads"])
