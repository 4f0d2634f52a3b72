"""Issue 25, classes 1 and 2: a model file is checked before it is believed.

1. A declared size is checked against the file before anything of that size is allocated.
2. Finite weights that overflow (a forward pass gives NaN or inf) are refused when opened.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

from engine import ModelFileError, VAE, VAEConfig, load_model, save_model
from engine.storage.safetensors_format import META_KEY

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
    with pytest.raises(ModelFileError, match="declares an architecture of [0-9,]+ weights but its tensors hold"):
        load_model(bad)


def test_class1_the_cli_gives_one_line_for_the_huge_declaration(tmp_path):
    bad = with_safetensors_meta(small_safetensors(tmp_path / "m.safetensors"), tmp_path / "huge.safetensors",
                                declare_huge_layers)
    for argv in (["evaluate", str(bad)], ["sample", str(bad), "--out", str(tmp_path / "g.png")],
                 ["train", "--resume", str(bad), "--epochs", "1"]):
        r = subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1, (argv, r.stderr)
        assert r.stderr.count("\n") == 1 and "declares an architecture" in r.stderr, (argv, r.stderr)
    assert not (tmp_path / "g.png").exists()
