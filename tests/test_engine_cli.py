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
        (("train", "--lr", "-1", "--limit", 10), 2, "argument --lr: must be above 0"),
        (("train", "--data", tmp_path / "nowhere"), 1, "no such file or folder"),
        (("evaluate", tmp_path / "absent.npz"), 1, "no such model file"),
        (("evaluate", tmp_path / "junk.npz"), 1, "a text file, not a model file"),
    ]
    for args, code, text in cases:
        run = engine(*args)
        assert run.returncode == code, (args, run.stderr)
        assert text in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_model_finds_its_folder_again_with_the_options_it_was_loaded_with(tmp_path):
    from engine import VAE, TrainConfig, Trainer, VAEConfig, load_folder, save_model

    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / "shapes" / label).mkdir(parents=True)
        for i in range(20):
            pixels = (rng.uniform(size=(12, 10)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "shapes" / label / f"{i}.png")
    loaded = load_folder(tmp_path / "shapes", image_size=(8, 8), test_fraction=0.25,
                         cache_dir=tmp_path / "cache")
    data = loaded.dataset
    assert data.source == str((tmp_path / "shapes").resolve()) and len(data.x_test) == 10
    trainer = Trainer(VAE(VAEConfig(image_shape=(8, 8), hidden=(16,))), data, TrainConfig(epochs=1, batch_size=10))
    for _ in trainer.run():
        pass
    model = save_model(tmp_path / "shapes.npz", trainer.model, trainer)

    env_cache = {"LATENT_LAB_CACHE": str(tmp_path / "cache")}
    os.environ.update(env_cache)
    try:
        evaluated = engine("evaluate", model, "--iw", 2, "--json", cwd=tmp_path / "cache")
        resumed = engine("train", "--resume", model, "--epochs", 1, "--json", cwd=tmp_path / "cache")
    finally:
        os.environ.pop("LATENT_LAB_CACHE")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["images"] == 10          # the 25% split, at 8x8
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["epoch"] == 2
