"""The run history's SQLite schema, versioned with PRAGMA user_version and migrated step by step.

MIGRATIONS[i] takes a database from version i to version i + 1; a new version is one more
entry, never an edit of an old one (databases in the field were made by the old ones).  A
database of a newer version than this code knows is refused, never rebuilt: its runs would be
lost.  Every step runs in one transaction with user_version, so a crash mid-migration leaves
the previous version intact.

Version 1: runs and epochs.  Version 2: a running row's owner (pid, its start time, host) and
heartbeat, so a run killed with kill -9 is told apart from one still training; active units
per epoch; the sweep a run belongs to.
"""
from __future__ import annotations

import sqlite3

from ..errors import EngineError

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        finished REAL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        data_name TEXT,
        data_path TEXT,
        data_fingerprint TEXT,
        model_config TEXT NOT NULL,
        train_config TEXT NOT NULL,
        epochs_planned INTEGER,
        model_path TEXT,
        model_owned INTEGER NOT NULL DEFAULT 0,
        thumbnail_path TEXT,
        error TEXT
    );
    CREATE TABLE epochs (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        train_loss REAL,
        test_loss REAL,
        recon REAL,
        kl REAL,
        epoch_seconds REAL,
        recorded REAL NOT NULL,
        PRIMARY KEY (run_id, epoch)
    );
    CREATE INDEX runs_by_data ON runs(data_name);
    """,
    # 1 -> 2
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN pid_start TEXT;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat REAL;
    ALTER TABLE runs ADD COLUMN sweep TEXT;
    ALTER TABLE epochs ADD COLUMN active_units INTEGER;
    CREATE INDEX runs_by_status ON runs(status);
    """,
)
VERSION = len(MIGRATIONS)


class HistoryError(EngineError):
    """The run history cannot be opened or written (newer version, damaged file, no such run)."""


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(conn: sqlite3.Connection, path: str) -> None:
    """HistoryError, in one sentence, if the database is of a newer version than this code reads."""
    found = version_of(conn)
    if found > VERSION:
        raise HistoryError(f"{path} was written by a newer Latent Lab (history version {found}, this one "
                           f"reads up to {VERSION}); update Latent Lab to open it")


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database to VERSION; the version it had.  HistoryError if it is newer."""
    conn.execute("BEGIN IMMEDIATE")     # one migrator at a time; the others wait, then see it done
    try:
        refuse_newer(conn, path)
        found = version_of(conn)
        for step in range(found, VERSION):
            for statement in _statements(MIGRATIONS[step]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
        conn.execute("COMMIT")
        return found
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """A migration's statements one by one: executescript() would commit the open transaction."""
    return [s.strip() for s in script.split(";") if s.strip()]
