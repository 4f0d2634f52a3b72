"""Training you can poke: a paused run stepped a batch at a time, and lr / beta changed between batches."""
import numpy as np
import pytest

from engine import (
    VAE,
    BatchReport,
    ConfigError,
    EpochReport,
    SettingChange,
    TrainConfig,
    Trainer,
    VAEConfig,
    load_model,
    save_model,
)
from engine.data import Dataset


def tiny_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 16)) < 0.3).astype(np.float32)
    return Dataset("tiny", x[:200], None, x[200:], None, (4, 4))


def tiny_trainer(epochs=2, **kw):
    model = VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2), seed=0)
    return Trainer(model, tiny_data(), TrainConfig(epochs=epochs, batch_size=50, **kw), threads=1)


def test_stepping_one_batch_at_a_time_equals_an_uninterrupted_run():
    straight = tiny_trainer()
    losses = [r.loss for r in straight.run() if isinstance(r, BatchReport)]
    stepped = tiny_trainer()
    run = stepped.run()
    first = next(run)                           # one batch while "paused"
    assert isinstance(first, BatchReport) and first.batch == 1
    assert stepped.optimizer.t == 1 and stepped.epochs_done == 0 and stepped.history == []
    rest = list(run)
    assert [first.loss] + [r.loss for r in rest if isinstance(r, BatchReport)] == losses
    np.testing.assert_array_equal(stepped.model.params, straight.model.params)
    assert [r.test_loss for r in stepped.history] == [r.test_loss for r in straight.history]


def test_lr_and_beta_change_between_batches_and_the_history_records_when(tmp_path):
    trainer = tiny_trainer()
    run = trainer.run()
    for _ in range(3):
        next(run)
    trainer.change_settings(lr=0.01, beta=0.5)
    report = next(run)
    assert report.beta == 0.5 and trainer.optimizer.lr == 0.01
    assert trainer.setting_changes == [SettingChange(1, 4, 4, "lr", 1e-3, 0.01),
                                       SettingChange(1, 4, 4, "beta", 1.0, 0.5)]
    assert trainer.setting_changes[0].at == 0.75
    assert trainer.config.lr == 0.01 and trainer.config.beta == 0.5
    rest = list(run)
    assert all(r.beta == 0.5 for r in rest if isinstance(r, BatchReport))
    assert isinstance(rest[-1], EpochReport)
    # the file records the changes, and a resumed run keeps them
    save_model(tmp_path / "poked.npz", trainer.model, trainer)
    saved = load_model(tmp_path / "poked.npz")
    assert saved.setting_changes == trainer.setting_changes and saved.train_config.lr == 0.01
    assert Trainer.resume(saved, tiny_data()).setting_changes == trainer.setting_changes


def test_a_changed_lr_is_the_one_adam_steps_with():
    a, b = tiny_trainer(epochs=1), tiny_trainer(epochs=1, lr=0.02)
    a.change_settings(lr=0.02)                  # before the first batch: same as starting with it
    list(a.run())
    list(b.run())
    np.testing.assert_array_equal(a.model.params, b.model.params)


def test_bad_settings_are_refused_and_change_nothing():
    trainer = tiny_trainer()
    with pytest.raises(ConfigError):
        trainer.change_settings(lr=-1.0)
    with pytest.raises(ConfigError):
        trainer.change_settings(lr=0.01, beta=-2.0)
    list(trainer.run())
    assert trainer.setting_changes == [] and trainer.config.lr == 1e-3
