"""The run history: every training run in one SQLite database, and beta sweeps over it.

    schema.py    the versioned schema and its migrations (PRAGMA user_version)
    owner.py     which process owns a running row, and whether it still lives
    records.py   RunSummary, EpochRecord, RatePoint: what the history hands out
    history.py   RunHistory: create, list, filter, get, delete, export (Qt-free; see docs/runs.md)
    export.py    the CSV export
    artifacts.py a data set's fingerprint, a model's thumbnail PNG
    recorder.py  RunRecorder and `recorded(trainer, history)`: what a training loop calls
    sweep.py     a grid of runs in worker processes
"""
from .history import DB_NAME, RunHistory
from .recorder import RunRecorder, recorded
from .records import STATUSES, EpochRecord, RatePoint, RunSummary
from .schema import VERSION as SCHEMA_VERSION
from .schema import HistoryError

__all__ = [
           "DB_NAME",
           "SCHEMA_VERSION",
           "STATUSES",
           "EpochRecord",
           "HistoryError",
           "RatePoint",
           "RunHistory",
           "RunRecorder",
           "RunSummary",
           "recorded",
]
