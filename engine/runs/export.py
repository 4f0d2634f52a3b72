"""The run history as CSV: one row per recorded epoch, each repeating its run's settings."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .records import EPOCH_FIELDS, EpochRecord, RunSummary

RUN_COLUMNS = ("run_id", "status", "source", "sweep", "data_name", "data_path", "data_fingerprint", "arch",
               "latent_dim", "hidden", "likelihood", "activation", "beta", "lr", "batch_size", "seed",
               "epochs_planned", "created", "finished", "model_path")


def _run_columns(run: RunSummary) -> list:
    m, t = run.model_config, run.train_config
    hidden = ",".join(str(h) for h in m.get("hidden", ()))
    return [run.id, run.status, run.source, run.sweep, run.data_name, run.data_path, run.data_fingerprint,
            m.get("arch"), m.get("latent_dim"), hidden, m.get("likelihood"), m.get("activation"), t.get("beta"),
            t.get("lr"), t.get("batch_size"), t.get("seed"), run.epochs_planned, run.created, run.finished,
            run.model_path]


def write_csv(path: Path, runs: list[RunSummary], epochs: dict[int, list[EpochRecord]]) -> int:
    """Write the CSV atomically (a temporary file beside it, renamed over it); rows written.
    A run without epochs still gets one row, its epoch columns empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RUN_COLUMNS + EPOCH_FIELDS)
    rows = 0
    for run in runs:
        records = epochs.get(run.id) or [None]
        for record in records:
            values = [""] * len(EPOCH_FIELDS) if record is None else [getattr(record, f) for f in EPOCH_FIELDS]
            writer.writerow(["" if v is None else v for v in _run_columns(run) + values])
            rows += 1
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows
