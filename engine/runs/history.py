"""RunHistory: every training run in one SQLite database under the data directory.

Any number of processes (two windows, a CLI run, a sweep's workers) may write at once: the
database is in WAL mode, every write is one short BEGIN IMMEDIATE transaction on its own
connection, and writers wait up to BUSY_TIMEOUT_MS for each other.  Nothing is cached between
calls, so a listing always shows what the other processes have committed.  Rows left 'running'
by a process that died are marked 'interrupted' whenever runs are listed or read.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from ..home import data_dir
from . import owner
from .records import EPOCH_FIELDS, STATUSES, EpochRecord, RatePoint, RunSummary
from .schema import HistoryError, migrate, refuse_newer

DB_NAME = "runs.sqlite3"
RUNS_FOLDER = "runs"
BUSY_TIMEOUT_MS = 30_000
_SUMMARY = """SELECT r.*, (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) AS n_epochs
              FROM runs r"""


class RunHistory:
    """The run history in `home` (default: engine.home.data_dir()).  Qt-free and thread-safe:
    each call opens its own connection, so the GUI may read while a worker thread records."""

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else data_dir()
        self.path = self.home / DB_NAME
        self._migrated = False

    # ------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the run history {self.path}: {exc}") from None
        try:
            self._set_up(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise HistoryError(f"{self.path} is not a readable run history ({exc})") from None
        except BaseException:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        return conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the schema, retried while another process holds the lock: switching a new
        database to WAL can answer "database is locked" at once, without waiting on busy_timeout
        (seen with three writer processes creating the history together on a busy machine)."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                if not self._migrated:
                    refuse_newer(conn, str(self.path))    # before WAL mode, which rewrites the header
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")    # WAL + NORMAL: a killed process loses nothing
                conn.execute("PRAGMA foreign_keys = ON")
                if not self._migrated:
                    migrate(conn, str(self.path))
                    self._migrated = True
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                if conn.in_transaction:
                    conn.rollback()
                time.sleep(0.05)

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection | None]:
        """A connection, or None when there is no history yet (reading creates nothing)."""
        if not self.path.exists():
            yield None
            return
        conn = self._connect()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read the run history {self.path}: {exc}") from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise HistoryError(f"cannot write the run history {self.path}: {exc}") from None
            raise
        finally:
            conn.close()

    # ------------------------------------------------------------ writing (the recorder's side)
    def create_run(self, *, source: str, data_name: str | None, data_path: str | None,
                   data_fingerprint: str | None, model_config: dict, train_config: dict,
                   epochs_planned: int | None = None, sweep: str | None = None, pid: int | None = None) -> int:
        """A new 'running' row owned by this process (or `pid`); its id."""
        pid = os.getpid() if pid is None else pid
        now = time.time()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (created, status, source, data_name, data_path, data_fingerprint, model_config,"
                " train_config, epochs_planned, pid, pid_start, host, heartbeat, sweep)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, source, data_name, data_path, data_fingerprint, json.dumps(model_config),
                 json.dumps(train_config), epochs_planned, pid, owner.start_token(pid), owner.host(), now, sweep))
            return int(cur.lastrowid)

    def add_epoch(self, run_id: int, record: EpochRecord) -> None:
        """Record a finished epoch (again: replaces it) and refresh the row's heartbeat, in one transaction."""
        now = time.time()
        with self._write() as conn:
            conn.execute(f"INSERT OR REPLACE INTO epochs ({', '.join(EPOCH_FIELDS)}, run_id, recorded)"
                         f" VALUES ({', '.join('?' * (len(EPOCH_FIELDS) + 2))})",
                         tuple(getattr(record, f) for f in EPOCH_FIELDS) + (run_id, now))
            conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (now, run_id))

    def heartbeat(self, run_id: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))

    def finish(self, run_id: int, status: str, model_path: str | Path | None = None, model_owned: bool = False,
               thumbnail_path: str | Path | None = None, error: str | None = None) -> None:
        """End a run: its final status, model file (owned: inside run_dir, deleted with the run)
        and thumbnail."""
        if status not in STATUSES or status == "running":
            raise HistoryError(f"a run ends as one of {', '.join(STATUSES[1:])}, not {status!r}")
        with self._write() as conn:
            conn.execute("UPDATE runs SET status = ?, finished = ?, model_path = ?, model_owned = ?,"
                         " thumbnail_path = ?, error = ? WHERE id = ?",
                         (status, time.time(), None if model_path is None else str(model_path), int(model_owned),
                          None if thumbnail_path is None else str(thumbnail_path), error, run_id))

    def set_model_path(self, run_id: int, path: str | Path) -> None:
        """The user saved the run's model at `path` after it ended: record that file instead (it is
        the user's: kept when the run is deleted) and remove the copy kept in the run's folder."""
        run = self.get(run_id)
        with self._write() as conn:
            conn.execute("UPDATE runs SET model_path = ?, model_owned = 0 WHERE id = ?", (str(path), run_id))
        own = self.run_dir(run_id) / "model.npz"
        if run.model_path is not None and Path(run.model_path) == own and Path(path).resolve() != own.resolve():
            own.unlink(missing_ok=True)

    def run_dir(self, run_id: int) -> Path:
        """The folder of a run's own files (model.npz, thumbnail.png); not created here."""
        return self.home / RUNS_FOLDER / str(int(run_id))

    # ------------------------------------------------------------ reading (the GUI's and CLI's side)
    def list_runs(self, data_name: str | None = None, status: str | None = None,
                  sweep: str | None = None) -> list[RunSummary]:
        """Runs, oldest first, optionally only those of one data set name, status or sweep."""
        self.mark_interrupted()
        where, args = [], []
        for column, value in (("data_name", data_name), ("status", status), ("sweep", sweep)):
            if value is not None:
                where.append(f"r.{column} = ?")
                args.append(value)
        sql = _SUMMARY + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.id"
        with self._read() as conn:
            if conn is None:
                return []
            rows = conn.execute(sql, args).fetchall()
            finals = self._finals(conn)
        return [_summary(row, finals.get(row["id"])) for row in rows]

    def get(self, run_id: int) -> RunSummary:
        """One run; HistoryError if there is no such run."""
        self.mark_interrupted()
        with self._read() as conn:
            row = None if conn is None else conn.execute(_SUMMARY + " WHERE r.id = ?", (run_id,)).fetchone()
            if row is None:
                raise HistoryError(f"there is no run {run_id} in {self.path}")
            final = self._finals(conn, run_id).get(run_id)
        return _summary(row, final)

    def epochs(self, run_id: int) -> list[EpochRecord]:
        """A run's recorded epochs in order (empty for an unknown run)."""
        with self._read() as conn:
            if conn is None:
                return []
            rows = conn.execute(f"SELECT {', '.join(EPOCH_FIELDS)} FROM epochs WHERE run_id = ? ORDER BY epoch",
                                (run_id,)).fetchall()
        return [EpochRecord(*row) for row in rows]

    def data_names(self) -> list[str]:
        """The data set names runs were trained on, sorted (the GUI's filter choices)."""
        with self._read() as conn:
            if conn is None:
                return []
            rows = conn.execute("SELECT DISTINCT data_name FROM runs WHERE data_name IS NOT NULL"
                                " ORDER BY data_name").fetchall()
        return [row[0] for row in rows]

    def rate_distortion(self, run_ids: list[int] | None = None, data_name: str | None = None) -> list[RatePoint]:
        """The runs (all, or run_ids) with at least one epoch, as rate-distortion points."""
        wanted = None if run_ids is None else set(run_ids)
        points = []
        for run in self.list_runs(data_name=data_name):
            if run.final is None or (wanted is not None and run.id not in wanted):
                continue
            points.append(RatePoint(run.id, run.final.kl, run.final.recon, run.beta, run.latent_dim, run.status,
                                    run.data_name, f"#{run.id} beta {run.beta:g}, latent {run.latent_dim}"))
        return points

    def thumbnail_png(self, run_id: int) -> bytes | None:
        """The PNG bytes of a run's thumbnail (the final map), or None if it has none (or it is gone)."""
        path = self.get(run_id).thumbnail_path
        if path is None:
            return None
        try:
            return Path(path).read_bytes()
        except OSError:
            return None

    # ------------------------------------------------------------ housekeeping
    def mark_interrupted(self) -> list[int]:
        """Mark 'running' rows whose process has gone as 'interrupted'; their ids."""
        with self._read() as conn:
            if conn is None:
                return []
            rows = conn.execute("SELECT id, pid, pid_start, host, heartbeat FROM runs WHERE status = 'running'"
                                ).fetchall()
        now = time.time()
        gone = [row for row in rows if owner.owner_gone(row["pid"], row["pid_start"], row["host"], row["heartbeat"], now)]
        if not gone:
            return []
        with self._write() as conn:
            for row in gone:     # only if still running: the owner may have finished it meanwhile
                conn.execute("UPDATE runs SET status = 'interrupted', finished = heartbeat"
                             " WHERE id = ? AND status = 'running'", (row["id"],))
        return [row["id"] for row in gone]

    def delete(self, run_id: int) -> None:
        """Remove a run, its epochs and its own files (a model the user saved elsewhere stays).
        A run still training is refused."""
        run = self.get(run_id)
        if run.status == "running":
            raise HistoryError(f"run {run_id} is still training; stop it before deleting it")
        with self._write() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        # after the row: a folder left by a failed removal is never reused (ids are AUTOINCREMENT)
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def export_csv(self, path: str | Path, run_ids: list[int] | None = None) -> int:
        """Write the history as CSV (one row per epoch, run settings repeated); rows written."""
        from .export import write_csv
        runs = [r for r in self.list_runs() if run_ids is None or r.id in set(run_ids)]
        return write_csv(Path(path), runs, {r.id: self.epochs(r.id) for r in runs})

    @staticmethod
    def _finals(conn: sqlite3.Connection, run_id: int | None = None) -> dict[int, EpochRecord]:
        """The last recorded epoch of every run (or of run_id), by run id."""
        only = "" if run_id is None else " AND e.run_id = ?"
        rows = conn.execute(
            f"SELECT run_id, {', '.join(EPOCH_FIELDS)} FROM epochs e WHERE epoch ="
            f" (SELECT MAX(epoch) FROM epochs WHERE run_id = e.run_id){only}",
            () if run_id is None else (run_id,)).fetchall()
        return {row[0]: EpochRecord(*tuple(row)[1:]) for row in rows}


def _summary(row: sqlite3.Row, final: EpochRecord | None) -> RunSummary:
    return RunSummary(row["id"], row["status"], row["created"], row["finished"], row["source"], row["data_name"],
                      row["data_path"], row["data_fingerprint"], json.loads(row["model_config"]),
                      json.loads(row["train_config"]), row["epochs_planned"], row["n_epochs"], final,
                      row["model_path"], row["thumbnail_path"], row["error"], row["sweep"])
