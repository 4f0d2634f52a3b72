"""`python -m engine`: JSON per epoch, save/resume/evaluate/sample, and one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def engine(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def test_train_json_prints_one_object_per_epoch_then_resume_evaluate_and_sample(tmp_path):
    model = tmp_path / "m.npz"
    run = engine("train", "--limit", 1000, "--hidden", "64", "--latent", 2, "--epochs", 2,
                 "--threads", 1, "--json", "--save", model)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [1, 2]
    for r in records:
        assert set(r) == {"epoch", "train_loss", "test_loss", "recon", "kl", "epoch_seconds"}
        assert r["test_loss"] == r["recon"] + r["kl"] or abs(r["test_loss"] - r["recon"] - r["kl"]) < 1e-9
    resumed = engine("train", "--resume", model, "--limit", 1000, "--epochs", 1, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["epoch"] == 3

    evaluated = engine("evaluate", model, "--iw", 5, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["images"] == 10000 and result["log_likelihood"] > result["elbo"]

    grid = tmp_path / "grid.png"
    sampled = engine("sample", model, "--grid", 5, "--out", grid)
    assert sampled.returncode == 0, sampled.stderr
    with Image.open(grid) as image:
        assert image.size == (140, 140) and image.mode == "L"
        assert np.asarray(image).std() > 0


def test_without_json_progress_goes_to_stderr_only(tmp_path):
    run = engine("train", "--limit", 300, "--hidden", "32", "--epochs", 1)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert "epoch 1/1" in run.stderr and "test" in run.stderr


def test_errors_are_one_line_without_traceback(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    cases = [
        (("train", "--bogus"), 2, "unrecognized arguments"),
        (("train", "--hidden", "4,x"), 2, "sizes"),
        (("train", "--lr", "-1", "--limit", 10), 1, "learning rate must be positive"),
        (("train", "--data", tmp_path / "nowhere"), 1, "no such file or folder"),
        (("evaluate", tmp_path / "absent.npz"), 1, "no such model file"),
        (("evaluate", tmp_path / "junk.npz"), 1, "not a Latent Lab model"),
    ]
    for args, code, text in cases:
        run = engine(*args)
        assert run.returncode == code, (args, run.stderr)
        assert text in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
