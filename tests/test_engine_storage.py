"""Model files: exact round trips, clear errors for bad files, and saves that cannot half-happen."""
import numpy as np
import pytest

from engine import VAE, ModelFileError, TrainConfig, Trainer, VAEConfig, load_model, save_model, storage
from engine.data import Dataset


def tiny_data():
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(64, 16)) > 0.5).astype(np.float32)
    return Dataset("tiny", x[:48], np.arange(48) % 3, x[48:], np.arange(16) % 3, (4, 4), ["a", "b", "c"])


def trained(tmp_path):
    data = tiny_data()
    trainer = Trainer(VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2)), data, TrainConfig(epochs=2, batch_size=16))
    for _ in trainer.run():
        pass
    path = save_model(tmp_path / "model.npz", trainer.model, trainer)
    return trainer, path


def test_round_trip_gives_identical_outputs_and_metadata(tmp_path):
    trainer, path = trained(tmp_path)
    saved = load_model(path)
    x = tiny_data().x_test
    for a, b in zip(saved.model.encode(x), trainer.model.encode(x)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(saved.model.decode(np.ones((3, 2))), trainer.model.decode(np.ones((3, 2))))
    assert saved.model.config == trainer.model.config
    assert saved.train_config == trainer.config
    assert saved.history == trainer.history
    assert (saved.dataset_name, saved.image_shape, saved.class_names) == ("tiny", (4, 4, 1), ["a", "b", "c"])
    assert saved.epochs_done == 2 and saved.optimizer_name == "adam"


def test_file_loads_without_pickle(tmp_path):
    _, path = trained(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        assert {"params", "meta", "opt_m", "opt_w", "opt_t"} <= set(npz.files)


@pytest.mark.parametrize("damage,message", [
    (lambda raw: raw[: len(raw) // 2], "truncated"),
    (lambda raw: b"\x00" * len(raw), "only zero bytes .*not a model file"),
    (lambda raw: b"", "an empty file, not a model file"),
])
def test_damaged_files_give_a_clear_error(tmp_path, damage, message):
    _, path = trained(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_missing_foreign_and_incompatible_files(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.npz")
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a Latent Lab model"):
        load_model(tmp_path / "foreign.npz")
    _, path = trained(tmp_path)
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["params"] = arrays["params"][:-5]
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(ModelFileError, match="params has shape .* incompatible"):
        load_model(tmp_path / "short.npz")


def test_interrupted_save_keeps_the_previous_model(tmp_path, monkeypatch):
    trainer, path = trained(tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(storage.npz_format.np, "savez", crash)
    trainer.model.params[:] = 0.0
    with pytest.raises(KeyboardInterrupt):
        save_model(path, trainer.model, trainer)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_an_opened_model_saved_again_keeps_its_history(tmp_path):
    _, path = trained(tmp_path)
    opened = load_model(path)
    again = save_model(tmp_path / "again.npz", opened.model, source=opened)
    reopened = load_model(again)
    assert reopened.history == opened.history and reopened.epochs_done == 2
    assert (reopened.dataset_name, reopened.class_names) == ("tiny", ["a", "b", "c"])
    assert reopened.optimizer_name == "adam"
    np.testing.assert_array_equal(reopened.optimizer_state["m"], opened.optimizer_state["m"])
    assert (again.stat().st_mode & 0o777) == (0o666 & ~_current_umask())


def _current_umask() -> int:
    import os
    mask = os.umask(0)
    os.umask(mask)
    return mask
