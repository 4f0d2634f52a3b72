"""What the run history hands out: plain, frozen records (no database handles), safe across threads."""
from __future__ import annotations

from dataclasses import asdict, dataclass

STATUSES = ("running", "completed", "stopped", "diverged", "interrupted", "failed")
EPOCH_FIELDS = ("epoch", "train_loss", "test_loss", "recon", "kl", "active_units", "epoch_seconds")


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: per-image nats on the test split (train_loss: mean over its batches)."""

    epoch: int
    train_loss: float
    test_loss: float
    recon: float
    kl: float
    active_units: int | None = None
    epoch_seconds: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RunSummary:
    """One run as listed: its settings, where it stands, and its last epoch (`final`).

    status: running, completed, stopped (asked to stop), diverged (the loss stopped being
    finite), interrupted (its process ended without finishing the row: kill -9, a crash) or
    failed (an error other than divergence; `error` says which).
    """

    id: int
    status: str
    created: float                   # Unix time
    finished: float | None
    source: str                      # "cli", "sweep", "window"
    data_name: str | None
    data_path: str | None
    data_fingerprint: str | None
    model_config: dict               # VAEConfig.to_dict()
    train_config: dict               # TrainConfig.to_dict()
    epochs_planned: int | None
    epochs: int                      # epochs recorded
    final: EpochRecord | None
    model_path: str | None
    thumbnail_path: str | None
    error: str | None
    sweep: str | None

    @property
    def beta(self) -> float:
        return float(self.train_config.get("beta", 1.0))

    @property
    def latent_dim(self) -> int:
        return int(self.model_config.get("latent_dim", 0))

    @property
    def final_test_loss(self) -> float | None:
        return None if self.final is None else self.final.test_loss

    def to_dict(self) -> dict:
        d = asdict(self)
        d["final"] = None if self.final is None else self.final.to_dict()
        d["test_loss"] = self.final_test_loss
        return d


@dataclass(frozen=True)
class RatePoint:
    """A run on the rate-distortion plane (Alemi et al. 2018): rate = KL, distortion = recon, in
    nats per image from its last epoch's test pass; -elbo = rate + distortion."""

    run_id: int
    rate: float
    distortion: float
    beta: float
    latent_dim: int
    status: str
    data_name: str | None
    label: str                       # e.g. "#12 beta 0.5, latent 2"

    @property
    def elbo(self) -> float:
        return -(self.rate + self.distortion)
