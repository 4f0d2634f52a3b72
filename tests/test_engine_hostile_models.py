"""Hostile model files: every bad metadata field refused in one line naming it, before anything is
allocated; files that are not models named for what they are; no debris from interrupted saves."""
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from engine import VAE, ModelFileError, TrainConfig, Trainer, VAEConfig, load_model, save_model
from engine.data import Dataset
from engine.storage import atomic

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def good_npz(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(40, 16)) > 0.5).astype(np.float32)
    data = Dataset("tiny", x[:32], np.arange(32) % 2, x[32:], np.arange(8) % 2, (4, 4), ["a", "b"])
    trainer = Trainer(VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2)), data,
                      TrainConfig(epochs=1, batch_size=16))
    for _ in trainer.run():
        pass
    return save_model(tmp_path_factory.mktemp("good") / "model.npz", trainer.model, trainer)


def arrays_of(path):
    with np.load(path, allow_pickle=False) as npz:
        return dict(npz)


def with_meta(path, out, edit):
    """A copy of the model file at `path` with its metadata changed by edit(meta)."""
    arrays = arrays_of(path)
    meta = json.loads(arrays["meta"].tobytes())
    edit(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(out, **arrays)
    return out


def setter(*keys, value):
    def edit(meta):
        d = meta
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return edit


# the 9 variants issue 8 names, and more of the same kind; each must name its field
HOSTILE = [
    (setter("epochs_done", value="abc"), "epochs_done"),
    (setter("version", value="2"), "version"),
    (setter("dataset", value="mnist"), "dataset"),
    (setter("dataset", "image_shape", value="28x28"), "dataset.image_shape"),
    (setter("model", "hidden", value=["400"]), "model.hidden"),
    (setter("model", "latent_dim", value="2"), "model.latent_dim"),
    (setter("train", "lr", value="0.001"), "train.lr"),
    (lambda m: m["history"][0].update(test_loss="12.5"), "history[0].test_loss"),
    (setter("rng_state", value={"bit_generator": "PCG64", "state": "bogus"}), "rng_state"),
    (setter("rng_state", value=[1, 2]), "rng_state"),
    (setter("epochs_done", value=-3), "epochs_done"),
    (setter("epochs_done", value=True), "epochs_done"),
    (setter("model", value=None), "model"),
    (setter("model", "activation", value="gelu"), "model"),
    (setter("model", "image_shape", value=[4, 0]), "model"),
    (setter("model", "evil", value=1), "model.evil"),
    (setter("train", "epochs", value=1.5), "train.epochs"),
    (setter("history", value={"epoch": 1}), "history"),
    (lambda m: m["history"].append({"epoch": 2}), "history[1]"),
    (setter("optimizer", value="rmsprop"), "optimizer"),
    (setter("dataset", "class_names", value=[1, 2]), "dataset.class_names"),
    (setter("dataset", "source", value=["/proc"]), "dataset.source"),
    (setter("dataset", "load_options", value={"image_size": [0, 99999999]}), "dataset.load_options.image_size"),
    (setter("dataset", "load_options", value={"test_fraction": 7}), "dataset.load_options.test_fraction"),
    (setter("model", "output_variance", value=float("nan")), "model.output_variance"),
    (setter("setting_changes", value=[{"epoch": 1, "batch": 2, "batches": 3, "setting": "lr", "old": 1e-3,
                                       "new": "fast"}]), "setting_changes[0].new"),
    (setter("setting_changes", value="often"), "setting_changes"),
]


@pytest.mark.parametrize("edit,field", HOSTILE, ids=[f for _, f in HOSTILE])
def test_each_hostile_metadata_field_is_refused_naming_it(good_npz, tmp_path, edit, field):
    bad = with_meta(good_npz, tmp_path / "bad.npz", edit)
    with pytest.raises(ModelFileError) as err:
        load_model(bad)
    message = str(err.value)
    assert f"field {field} " in message, message
    assert "\n" not in message


def test_deeply_nested_or_huge_metadata_is_refused(good_npz, tmp_path):
    arrays = arrays_of(good_npz)
    arrays["meta"] = np.frombuffer(b"[" * 200_000 + b"]" * 200_000, np.uint8)
    np.savez(tmp_path / "deep.npz", **arrays)
    with pytest.raises(ModelFileError, match="nested too deeply|not a JSON object"):
        load_model(tmp_path / "deep.npz")


def test_a_2d_optimizer_moment_is_refused_naming_it(good_npz, tmp_path):
    arrays = arrays_of(good_npz)
    arrays["opt_m"] = arrays["opt_m"].reshape(1, -1)
    np.savez(tmp_path / "m2d.npz", **arrays)
    with pytest.raises(ModelFileError, match="opt_m has shape"):
        load_model(tmp_path / "m2d.npz")


def test_string_params_and_object_arrays_are_refused_without_pickle(good_npz, tmp_path):
    arrays = arrays_of(good_npz)
    arrays["params"] = np.array(["1.0"] * arrays["params"].size)
    np.savez(tmp_path / "strings.npz", **arrays)
    with pytest.raises(ModelFileError, match="params holds <U3 values"):
        load_model(tmp_path / "strings.npz")
    arrays["params"] = np.array([object()] * 3, dtype=object)
    np.savez(tmp_path / "objects.npz", **arrays)
    with pytest.raises(ModelFileError) as err:
        load_model(tmp_path / "objects.npz")
    assert "Python objects" in str(err.value) and "allow_pickle" not in str(err.value)


def test_a_small_file_claiming_a_huge_layer_is_refused_before_allocating(good_npz, tmp_path):
    bad = with_meta(good_npz, tmp_path / "huge.npz", setter("model", "hidden", value=[20000, 20000]))
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="params has shape \\[340\\] but its architecture needs \\[800840020\\]"):
        load_model(bad)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000          # a 20000x20000 layer alone would be 1.6 GB


def test_a_compressed_member_declaring_more_than_it_holds_is_refused(good_npz, tmp_path):
    import zipfile
    arrays = arrays_of(good_npz)
    out = tmp_path / "bomb.npz"
    np.savez(out, **arrays)
    # rewrite params' header to claim 10^9 weights while the member stays tiny
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    header = members["params.npy"]
    members["params.npy"] = header.replace(f"({arrays['params'].size},)".encode(), b"(1000000000,)", 1)
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    with pytest.raises(ModelFileError, match="claims 4,000,000,000 bytes"):
        load_model(out)


@pytest.mark.parametrize("content,what", [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "a PNG image"),
    (b"\x80\x04\x95" + bytes(50), "a Python pickle"),
    (b"\x93NUMPY\x01\x00" + bytes(50), "a single NumPy array"),
    (b"hello, world\n", "a text file"),
    (bytes(range(256)) * 4, "a file of an unknown kind"),
], ids=["png", "pickle", "npy", "text", "binary"])
def test_non_model_files_say_what_they_are_and_never_suggest_pickle(tmp_path, content, what):
    path = tmp_path / "thing.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    message = str(err.value)
    assert what in message and "not a model file" in message and ".safetensors" in message
    assert "allow_pickle" not in message and "pickle.load" not in message


def test_a_torch_save_checkpoint_is_named_and_refused(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "vae.pt", "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("archive/version", b"3\n")
    with pytest.raises(ModelFileError, match="PyTorch checkpoint .* never opens .* safetensors.torch.save_file"):
        load_model(tmp_path / "vae.pt")


def test_hostile_metadata_in_the_cli_is_one_line_naming_the_field(good_npz, tmp_path):
    bad = with_meta(good_npz, tmp_path / "bad.npz", setter("epochs_done", value="abc"))
    run = subprocess.run([sys.executable, "-m", "engine", "evaluate", str(bad)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "field epochs_done must be" in run.stderr
    assert "Traceback" not in run.stderr


# ----------------------------------------------------------------------------- debris
def test_leftovers_of_interrupted_saves_are_removed_on_the_next_save_and_open(good_npz, tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(good_npz.read_bytes())
    legacy = [tmp_path / ".model.npz.a1b2c3d4.tmp", tmp_path / ".model.npz.zz_9XY01.tmp"]
    for p in legacy + [atomic.temp_path(target)]:
        p.write_bytes(b"x" * 1000)
    unrelated = [tmp_path / ".other.npz.a1b2c3d4.tmp", tmp_path / "notes.tmp"]
    for p in unrelated:
        p.write_bytes(b"keep")
    load_model(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.npz"] + [p.name for p in unrelated])
    atomic.temp_path(target).write_bytes(b"x")
    save_model(target, load_model(target).model)
    assert not atomic.temp_path(target).exists()


def test_a_save_killed_mid_write_leaves_at_most_one_temporary_file(good_npz, tmp_path):
    target = tmp_path / "model.npz"
    script = (f"import os, sys; sys.path.insert(0, {str(ROOT)!r})\n"
              "from engine import load_model, save_model\n"
              "from engine.storage import npz_format\n"
              f"m = load_model({str(good_npz)!r})\n"
              "def die(f, *a, **k):\n"
              "    f.write(b'partial'); f.flush(); os._exit(9)\n"
              "npz_format.np.savez = die\n"
              f"save_model({str(target)!r}, m.model, source=m)\n")
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
        assert run.returncode == 9, run.stderr
    assert [p.name for p in tmp_path.iterdir()] == [atomic.temp_path(target).name]


def test_a_save_in_progress_is_neither_disturbed_nor_doubled(good_npz, tmp_path):
    import fcntl
    target = tmp_path / "model.npz"
    tmp = atomic.temp_path(target)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)           # another process is writing it
    try:
        assert atomic.remove_leftovers(target) == [] and tmp.exists()
        with pytest.raises(ModelFileError, match="another save of this file is in progress"):
            save_model(target, load_model(good_npz).model)
    finally:
        os.close(fd)
    assert not target.exists()


def test_an_unknown_extension_is_refused_before_writing(good_npz, tmp_path):
    with pytest.raises(ModelFileError, match="ends in .npz or .safetensors"):
        save_model(tmp_path / "model.pt", load_model(good_npz).model)
    assert list(tmp_path.iterdir()) == []
