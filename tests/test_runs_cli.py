"""`python -m engine runs / train / sweep` with the run history: recording, listing, showing,
deleting, CSV, --home and --no-record, and a sweep that goes on past a failed run."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from engine.runs import RunHistory

ROOT = Path(__file__).resolve().parent.parent
QUICK = ("--limit", "300", "--hidden", "8", "--threads", "1")


def engine(*args, home=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if home is not None:
        env["LATENT_LAB_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300, check=False)


def test_train_records_its_run_and_runs_lists_shows_exports_and_deletes_it(tmp_path):
    home = tmp_path / "home"
    r = engine("train", "--home", home, "--epochs", "2", "--json", *QUICK)
    assert r.returncode == 0, r.stderr
    printed = [json.loads(line) for line in r.stdout.splitlines()]
    listed = engine("runs", "--home", home, "--json")
    [run] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (run["id"], run["status"], run["epochs"]) == (1, "completed", 2)
    assert run["test_loss"] == printed[-1]["test_loss"]
    assert run["data_name"] == "mnist" and run["model_config"]["hidden"] == [8]
    shown = json.loads(engine("runs", "show", "1", "--json", "--home", home).stdout)
    assert [e["test_loss"] for e in shown["epoch_records"]] == [p["test_loss"] for p in printed]
    assert all(e["active_units"] is not None for e in shown["epoch_records"])
    folder = Path(shown["model_path"]).parent
    assert folder == home / "runs" / "1" and (folder / "thumbnail.png").is_file()
    assert engine("sample", shown["model_path"], "--out", tmp_path / "g.png").returncode == 0  # a real model
    assert engine("runs", "--home", home, "export-csv", tmp_path / "h.csv").returncode == 0
    with open(tmp_path / "h.csv", newline="") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["1", "2"]
    assert engine("runs", "delete", "1", "--home", home).returncode == 0
    assert engine("runs", "--home", home, "--json").stdout == "" and not folder.exists()


def test_latent_lab_home_moves_the_history_and_no_record_opts_out(tmp_path):
    assert engine("train", "--epochs", "1", "--no-record", *QUICK, home=tmp_path / "a").returncode == 0
    assert not (tmp_path / "a").exists()
    save = tmp_path / "mine.npz"
    assert engine("train", "--epochs", "1", "--save", save, *QUICK, home=tmp_path / "b").returncode == 0
    [run] = RunHistory(tmp_path / "b").list_runs()
    assert Path(run.model_path) == save and save.is_file()      # the user's file, not a copy
    assert not (tmp_path / "b" / "runs" / str(run.id) / "model.npz").exists()
    listed = engine("runs", "--data", "mnist", home=tmp_path / "b")
    assert "completed" in listed.stdout
    assert engine("runs", "--data", "faces", home=tmp_path / "b").stdout == ""


def test_runs_errors_are_one_line(tmp_path):
    for args in (("runs", "show", "7"), ("runs", "delete", "7"), ("runs", "show", "x")):
        r = engine(*args, "--home", tmp_path)
        assert r.returncode != 0 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_sweep_trains_the_grid_records_every_run_and_goes_on_past_a_failed_one(tmp_path):
    # latent 10^10 cannot be allocated: that run fails while the others train
    r = engine("sweep", "--home", tmp_path, "--beta", "0.5,2", "--latent", "2,10000000000", "--epochs", "1",
               "--limit", "300", "--hidden", "8", "--jobs", "2", "--json")
    assert r.returncode == 1, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["beta"], row["latent"]) for row in rows] == [(0.5, 2), (2.0, 2), (0.5, 10 ** 10), (2.0, 10 ** 10)]
    assert [row["status"] for row in rows] == ["completed", "completed", "failed", "failed"]
    assert rows[0]["rate"] > 0 and rows[0]["elbo"] == -(rows[0]["rate"] + rows[0]["distortion"])
    runs = {run.id: run for run in RunHistory(tmp_path).list_runs()}
    assert sorted(runs) == sorted(row["run"] for row in rows)
    assert len({run.sweep for run in runs.values()}) == 1
    failed = [run for run in runs.values() if run.status == "failed"]
    assert all("memory" in run.error for run in failed), [run.error for run in failed]
    done = [run for run in runs.values() if run.status == "completed"]
    assert all(run.epochs == 1 and Path(run.model_path).is_file() for run in done)
