"""The run history under real processes: writers at once lose nothing, and a training run killed
with kill -9 (or stopped with Ctrl-C) is listed with the epochs it finished."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.runs import EpochRecord, RunHistory

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EPOCHS = 40

WRITER = """
import sys
from engine.runs import EpochRecord, RunHistory
h = RunHistory(sys.argv[1])
run = h.create_run(source=sys.argv[2], data_name="shared", data_path=None, data_fingerprint=None,
                   model_config={"latent_dim": 2}, train_config={"beta": 1.0})
for e in range(1, int(sys.argv[3]) + 1):
    h.add_epoch(run, EpochRecord(e, 100.0 + e, 90.0 + e, 80.0 + e, 10.0, 2, 0.01))
h.finish(run, "completed")
"""


def test_writer_processes_at_once_lose_nothing(tmp_path):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"writer{i}", str(EPOCHS)],
                                env=ENV, stderr=subprocess.PIPE, text=True) for i in range(3)]
    history, seen = RunHistory(tmp_path), []
    while any(w.poll() is None for w in writers):     # read while they write
        seen.append(sum(r.epochs for r in history.list_runs()))
    errors = [w.stderr.read() for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    runs = history.list_runs()
    assert sorted(r.source for r in runs) == ["writer0", "writer1", "writer2"]
    assert all(r.status == "completed" and r.epochs == EPOCHS for r in runs)
    for r in runs:
        assert [e.epoch for e in history.epochs(r.id)] == list(range(1, EPOCHS + 1))
    assert seen == sorted(seen)                          # committed epochs never vanish


def _train(home: Path, *flags):
    return subprocess.Popen([sys.executable, "-m", "engine", "train", "--home", str(home), "--limit", "300",
                             "--epochs", "500", "--hidden", "8", "--threads", "1", "--json", *flags],
                            env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _epochs_printed(process, n: int) -> list[dict]:
    return [json.loads(process.stdout.readline()) for _ in range(n)]


def test_a_run_killed_with_kill_9_is_interrupted_with_the_epochs_it_finished(tmp_path):
    process = _train(tmp_path)
    printed = _epochs_printed(process, 2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    [run] = RunHistory(tmp_path).list_runs()
    assert run.status == "interrupted"
    assert run.epochs >= 2 and run.epochs_planned == 500
    recorded = RunHistory(tmp_path).epochs(run.id)
    assert [e.test_loss for e in recorded[:2]] == [p["test_loss"] for p in printed]
    assert run.model_path is None


def test_a_run_stopped_with_ctrl_c_is_stopped_and_keeps_its_model(tmp_path):
    process = _train(tmp_path)
    _epochs_printed(process, 1)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode == 130
    [run] = RunHistory(tmp_path).list_runs()
    assert run.status == "stopped" and run.epochs >= 1
    assert Path(run.model_path).is_file() and Path(run.thumbnail_path).read_bytes()[:4] == b"\x89PNG"
    assert Path(run.model_path).parent == RunHistory(tmp_path).run_dir(run.id)


def test_epochs_recorded_again_replace_the_old_ones(tmp_path):
    h = RunHistory(tmp_path)
    run = h.create_run(source="cli", data_name="x", data_path=None, data_fingerprint=None,
                       model_config={}, train_config={})
    h.add_epoch(run, EpochRecord(1, 5.0, 4.0, 3.0, 1.0))
    h.add_epoch(run, EpochRecord(1, 6.0, 5.0, 4.0, 1.0))
    assert h.epochs(run) == [EpochRecord(1, 6.0, 5.0, 4.0, 1.0)]
