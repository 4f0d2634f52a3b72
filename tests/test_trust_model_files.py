"""Issue 25, classes 1 and 2: a model file is checked before it is believed.

1. A declared size is checked against the file before anything of that size is allocated.
2. Finite weights that overflow (a forward pass gives NaN or inf) are refused when opened.
"""
import json
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

from engine import VAE, ModelFileError, VAEConfig, load_model, save_model
from engine.storage import layout
from engine.storage.safetensors_format import META_KEY
from engine.vae import param_count

ROOT = Path(__file__).resolve().parent.parent
HUGE = 10_000_000        # elements: no array a small test model needs comes near this


def refuse_huge_allocations(monkeypatch):
    """np.empty / np.zeros fail loudly for anything huge, so a test cannot pass by overcommit."""
    for name in ("empty", "zeros"):
        real = getattr(np, name)

        def guarded(shape, *args, _real=real, **kwargs):
            if int(np.prod(shape, dtype=np.float64)) > HUGE:
                raise AssertionError(f"allocated an array of shape {shape} before checking it")
            return _real(shape, *args, **kwargs)
        monkeypatch.setattr(np, name, guarded)


def small_safetensors(path: Path, config: VAEConfig | None = None) -> Path:
    config = config or VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2)
    return save_model(path, VAE(config, seed=1))


def with_safetensors_meta(path: Path, out: Path, edit) -> Path:
    with safe_open(str(path), framework="np") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = json.loads(f.metadata()[META_KEY])
    edit(meta)
    out.write_bytes(safetensors.numpy.save(tensors, metadata={META_KEY: json.dumps(meta)}))
    return out


def declare_huge_layers(meta):
    meta["model"]["hidden"] = [100_000, 100_000]


def test_class1_a_small_safetensors_declaring_huge_layers_is_refused_before_allocating(tmp_path, monkeypatch):
    bad = with_safetensors_meta(small_safetensors(tmp_path / "m.safetensors"), tmp_path / "huge.safetensors",
                                declare_huge_layers)
    assert bad.stat().st_size < 1_000_000
    refuse_huge_allocations(monkeypatch)
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="its tensors do not fit its architecture: it lacks encoder.1.weight"):
        load_model(bad)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000          # one 100,000 x 100,000 float32 layer alone is 40 GB


@pytest.mark.parametrize("config", [VAEConfig(image_shape=(28, 28), hidden=(100_000, 100_000), latent_dim=2),
                                    VAEConfig(image_shape=(64, 64, 3), hidden=(100_000,), latent_dim=2,
                                              arch="conv", channels=(30_000, 30_000))], ids=["mlp", "conv"])
def test_class1_the_layout_of_a_huge_architecture_allocates_nothing(config, monkeypatch):
    refuse_huge_allocations(monkeypatch)
    tracemalloc.start()
    shapes = layout.tensor_shapes(config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sum(math.prod(s) for s in shapes.values()) == param_count(config) > 10 ** 9
    assert peak < 5_000_000


def test_class1_the_cli_gives_one_line_for_the_huge_declaration(tmp_path):
    bad = with_safetensors_meta(small_safetensors(tmp_path / "m.safetensors"), tmp_path / "huge.safetensors",
                                declare_huge_layers)
    for argv in (["evaluate", str(bad)], ["sample", str(bad), "--out", str(tmp_path / "g.png")],
                 ["train", "--resume", str(bad), "--epochs", "1"]):
        r = subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1, (argv, r.stderr)
        assert r.stderr.count("\n") == 1 and "do not fit its architecture" in r.stderr, (argv, r.stderr)
    assert not (tmp_path / "g.png").exists()


def overflowing_model(path: Path, fill: float = 3e38, decoder_only: bool = False) -> Path:
    model = VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2), seed=1)
    if decoder_only:
        n_enc = sum(layer.n_params for layer in model.encoder)
        model.params[n_enc:] = fill
    else:
        model.params[...] = fill
    assert np.all(np.isfinite(model.params))
    return save_model(path, model)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_class2_finite_weights_that_overflow_are_refused_on_opening(tmp_path, suffix):
    with pytest.raises(ModelFileError, match="encoder gives NaN or infinite latent codes"):
        load_model(overflowing_model(tmp_path / f"m{suffix}"))
    with pytest.raises(ModelFileError, match="decoder gives NaN or infinite images"):
        load_model(overflowing_model(tmp_path / f"d{suffix}", decoder_only=True))


def test_class2_the_cli_refuses_an_overflowing_model_in_one_line(tmp_path):
    bad = overflowing_model(tmp_path / "m.npz")
    for argv in (["evaluate", str(bad)], ["sample", str(bad), "--out", str(tmp_path / "g.png")]):
        r = subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and "unusable" in r.stderr, (argv, r.stderr)
    assert not (tmp_path / "g.png").exists()


def test_class2_ordinary_and_large_but_sound_weights_still_open(tmp_path):
    model = VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2, likelihood="gaussian"), seed=3)
    model.params *= 5.0           # larger weights than training gives, outputs still finite
    saved = load_model(save_model(tmp_path / "big.npz", model))
    np.testing.assert_array_equal(saved.model.params, model.params)
