"""The run history's store: records, filters, deletion with files, CSV, rate-distortion points,
schema migration from a hand-made older database, and refusing a newer one."""
import csv
import sqlite3
import subprocess
import sys

import pytest

from engine.runs import SCHEMA_VERSION, EpochRecord, HistoryError, RunHistory


def _run(history, name="mnist", beta=1.0, latent=2, epochs=3, status="completed"):
    run_id = history.create_run(source="cli", data_name=name, data_path=name, data_fingerprint="f00",
                                model_config={"latent_dim": latent, "arch": "mlp", "hidden": [16]},
                                train_config={"beta": beta, "epochs": epochs}, epochs_planned=epochs)
    for e in range(1, epochs + 1):
        history.add_epoch(run_id, EpochRecord(e, 200.0 - e, 190.0 - e, 180.0 - e, 10.0 + e * beta, 2, 0.5))
    if status != "running":
        history.finish(run_id, status)
    return run_id


def test_runs_are_listed_filtered_and_read_with_their_epochs(tmp_path):
    h = RunHistory(tmp_path)
    a, b = _run(h, "mnist", beta=0.5), _run(h, "faces", beta=2.0, epochs=2, status="stopped")
    assert [r.id for r in h.list_runs()] == [a, b]
    assert [r.id for r in h.list_runs(data_name="faces")] == [b]
    assert [r.id for r in h.list_runs(status="stopped")] == [b]
    run = h.get(a)
    assert (run.status, run.epochs, run.beta, run.latent_dim) == ("completed", 3, 0.5, 2)
    assert run.final == EpochRecord(3, 197.0, 187.0, 177.0, 11.5, 2, 0.5)
    assert [e.epoch for e in h.epochs(a)] == [1, 2, 3]
    assert h.data_names() == ["faces", "mnist"]
    points = {p.run_id: p for p in h.rate_distortion()}
    assert (points[b].rate, points[b].distortion, points[b].elbo) == (14.0, 178.0, -192.0)
    with pytest.raises(HistoryError, match="no run 99"):
        h.get(99)


def test_reading_an_absent_history_creates_nothing(tmp_path):
    h = RunHistory(tmp_path / "home")
    assert h.list_runs() == [] and h.epochs(1) == [] and h.rate_distortion() == []
    assert not (tmp_path / "home").exists()


def test_delete_removes_the_run_its_epochs_and_its_files_but_not_a_model_saved_elsewhere(tmp_path):
    h = RunHistory(tmp_path / "home")
    own, user = _run(h), _run(h)
    folder = h.run_dir(own)
    folder.mkdir(parents=True)
    (folder / "model.npz").write_bytes(b"x")
    (folder / "thumbnail.png").write_bytes(b"png")
    elsewhere = tmp_path / "mine.npz"
    elsewhere.write_bytes(b"y")
    h.finish(user, "completed", model_path=elsewhere)
    h.delete(own)
    h.delete(user)
    assert not folder.exists() and elsewhere.exists()
    assert h.list_runs() == [] and h.epochs(own) == []


def test_a_run_still_training_is_not_deleted(tmp_path):
    h = RunHistory(tmp_path)
    run_id = _run(h, status="running")            # owned by this (living) process
    with pytest.raises(HistoryError, match="still training"):
        h.delete(run_id)
    assert h.get(run_id).status == "running"


def test_export_csv_has_one_row_per_epoch_and_one_for_a_run_without_epochs(tmp_path):
    h = RunHistory(tmp_path)
    _run(h, beta=0.25, epochs=2)
    _run(h, beta=4.0, epochs=0, status="interrupted")
    assert h.export_csv(tmp_path / "runs.csv") == 3
    with open(tmp_path / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["run_id"], r["beta"], r["epoch"]) for r in rows] == [("1", "0.25", "1"), ("1", "0.25", "2"),
                                                                    ("2", "4.0", "")]
    assert rows[1]["test_loss"] == "188.0" and rows[2]["status"] == "interrupted"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_row_whose_process_is_gone_is_listed_as_interrupted_and_a_living_one_as_running(tmp_path):
    h = RunHistory(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = h.create_run(source="cli", data_name="x", data_path=None, data_fingerprint=None,
                        model_config={}, train_config={}, pid=dead.pid)
    alive = h.create_run(source="cli", data_name="x", data_path=None, data_fingerprint=None,
                         model_config={}, train_config={})
    assert h.get(gone).status == "interrupted"
    assert h.get(alive).status == "running"


# Version 1 exactly as it shipped: written out here, not taken from engine.runs.schema, so a later
# edit of the old migration cannot make this test pass on its own.
V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, finished REAL,
    status TEXT NOT NULL, source TEXT NOT NULL, data_name TEXT, data_path TEXT, data_fingerprint TEXT,
    model_config TEXT NOT NULL, train_config TEXT NOT NULL, epochs_planned INTEGER, model_path TEXT,
    model_owned INTEGER NOT NULL DEFAULT 0, thumbnail_path TEXT, error TEXT);
CREATE TABLE epochs (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
    train_loss REAL, test_loss REAL, recon REAL, kl REAL, epoch_seconds REAL, recorded REAL NOT NULL,
    PRIMARY KEY (run_id, epoch));
CREATE INDEX runs_by_data ON runs(data_name);
INSERT INTO runs (created, finished, status, source, data_name, model_config, train_config, epochs_planned)
    VALUES (1.0, 2.0, 'completed', 'cli', 'mnist', '{"latent_dim": 2}', '{"beta": 0.5}', 2);
INSERT INTO epochs VALUES (1, 1, 150.0, 140.0, 120.0, 20.0, 1.5, 1.0);
INSERT INTO epochs VALUES (1, 2, 130.0, 125.0, 105.0, 20.0, 1.5, 2.0);
PRAGMA user_version = 1;
"""


def test_a_version_1_history_is_migrated_keeping_its_runs(tmp_path):
    conn = sqlite3.connect(tmp_path / "runs.sqlite3")
    conn.executescript(V1_SCHEMA)
    conn.close()
    h = RunHistory(tmp_path)
    [old] = h.list_runs()
    assert (old.id, old.status, old.epochs, old.beta, old.final.test_loss) == (1, "completed", 2, 0.5, 125.0)
    assert old.final.active_units is None
    new = _run(h)                                    # the version-2 columns are there
    assert h.get(new).final.active_units == 2 and h.get(new).sweep is None
    with sqlite3.connect(tmp_path / "runs.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "heartbeat" in [row[1] for row in conn.execute("PRAGMA table_info(runs)")]


def test_a_history_from_a_newer_version_is_refused_in_one_sentence_and_left_alone(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer Latent Lab") as err:
        RunHistory(tmp_path).list_runs()
    assert "\n" not in str(err.value)
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["future"]
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_gets_one_sentence(tmp_path):
    (tmp_path / "runs.sqlite3").write_bytes(b"this is no database" * 100)
    with pytest.raises(HistoryError, match="not a readable run history"):
        RunHistory(tmp_path).list_runs()


def test_finishing_with_an_unknown_status_is_refused(tmp_path):
    h = RunHistory(tmp_path)
    run_id = _run(h, status="running")
    with pytest.raises(HistoryError):
        h.finish(run_id, "done")
    assert h.get(run_id).status == "running"


def test_a_model_saved_elsewhere_after_the_run_replaces_the_kept_copy(tmp_path):
    h = RunHistory(tmp_path / "home")
    run_id = _run(h, status="running")
    kept = h.run_dir(run_id) / "model.npz"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"weights")
    h.finish(run_id, "completed", model_path=kept, model_owned=True)
    mine = tmp_path / "mine.npz"
    mine.write_bytes(b"weights")
    h.set_model_path(run_id, mine)
    assert h.get(run_id).model_path == str(mine) and not kept.exists()
    h.delete(run_id)
    assert mine.exists()


def test_rate_distortion_geometry_lines_of_equal_elbo_cross_the_view():
    from engine.runs import RatePoint
    from engine.runs.plane import equal_elbo_levels, equal_elbo_segment, view_box

    points = [RatePoint(1, 3.0, 160.0, 4.0, 2, "completed", None, ""),
              RatePoint(2, 7.0, 140.0, 0.25, 2, "completed", None, "")]
    assert points[0].elbo == -163.0
    box = view_box(points)
    assert box[0] == 0.0 and box[1] > 7.0 and box[2] < 140.0 and box[3] > 160.0
    levels = equal_elbo_levels(points)
    assert levels[0] <= 147.0 and levels[-1] >= 163.0 and levels == sorted(levels)
    for level in levels:
        segment = equal_elbo_segment(level, box)
        if segment is not None:
            (r0, d0), (r1, d1) = segment
            assert abs(r0 + d0 - level) < 1e-9 and abs(r1 + d1 - level) < 1e-9 and r0 < r1
    assert equal_elbo_segment(1000.0, box) is None
