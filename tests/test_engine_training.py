"""Training: it learns, it is reproducible, it resumes exactly, it stops, and it survives divergence."""
import functools

import numpy as np
import pytest

from engine import (
    VAE,
    BatchReport,
    EpochReport,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    VAEConfig,
    load_mnist,
    load_model,
    save_model,
)
from engine.optim import FLUSH_EVERY, Adam


@functools.lru_cache(maxsize=1)
def mnist_subset():
    return load_mnist().subset(6000, 1000)


def small_model(latent=2, seed=0):
    return VAE(VAEConfig(hidden=(128,), latent_dim=latent), seed=seed)


def batch_losses(trainer):
    return [r.loss for r in trainer.run() if isinstance(r, BatchReport)]


def test_short_training_on_mnist_learns():
    trainer = Trainer(small_model(latent=10), mnist_subset(), TrainConfig(epochs=3, batch_size=100))
    epochs = [r for r in trainer.run() if isinstance(r, EpochReport)]
    assert [r.epoch for r in epochs] == [1, 2, 3]
    # An untrained decoder costs ~545 nats per image (784 * ln 2); three epochs on 6,000 digits
    # reach about 180.
    assert epochs[-1].test_loss < 190.0
    assert epochs[-1].test_loss < epochs[0].test_loss
    assert epochs[-1].test_loss == pytest.approx(epochs[-1].recon + epochs[-1].kl)


def test_reports_after_every_batch_and_epoch():
    data = mnist_subset().subset(1000, 200)
    reports = list(Trainer(small_model(), data, TrainConfig(epochs=2, batch_size=300)).run())
    kinds = [type(r).__name__ for r in reports]
    assert kinds == ["BatchReport"] * 4 + ["EpochReport"] + ["BatchReport"] * 4 + ["EpochReport"]
    last_batch = reports[3]
    assert (last_batch.batch, last_batch.batches, last_batch.epochs) == (4, 4, 2)
    assert last_batch.samples_per_sec > 0


def test_the_test_pass_keeps_every_test_images_posterior(monkeypatch):
    import engine.training
    monkeypatch.setattr(engine.training, "EVAL_CHUNK", 300)     # the test set in several chunks
    data = mnist_subset().subset(600, 1000)
    trainer = Trainer(small_model(latent=3), data, TrainConfig(epochs=1, batch_size=200))
    assert trainer.test_posterior is None
    list(trainer.run())
    mu, logvar = trainer.test_posterior
    want_mu, want_logvar = trainer.model.encode(data.x_test)
    assert mu.shape == logvar.shape == (1000, 3)
    np.testing.assert_allclose(mu, want_mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logvar, want_logvar, rtol=1e-5, atol=1e-6)


def test_same_seed_gives_the_same_loss_sequence_and_another_seed_does_not():
    data = mnist_subset().subset(1500, 200)
    runs = [batch_losses(Trainer(small_model(), data, TrainConfig(epochs=1, seed=s))) for s in (3, 3, 4)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_resumed_run_continues_the_same_loss_sequence(tmp_path):
    data = mnist_subset().subset(1500, 200)
    straight = batch_losses(Trainer(small_model(), data, TrainConfig(epochs=4)))
    first = Trainer(small_model(), data, TrainConfig(epochs=2))
    head = batch_losses(first)
    save_model(tmp_path / "half.npz", first.model, first)
    resumed = Trainer.resume(load_model(tmp_path / "half.npz"), data, epochs=2)
    tail = batch_losses(resumed)
    assert head + tail == straight
    assert [r.epoch for r in resumed.history] == [1, 2, 3, 4]


def test_stop_takes_effect_before_the_next_batch():
    trainer = Trainer(small_model(), mnist_subset(), TrainConfig(epochs=5))
    seen = []
    for report in trainer.run():
        seen.append(report)
        if len(seen) == 3:
            trainer.stop()
    assert len(seen) == 3
    assert trainer.epochs_done == 0
    assert np.all(np.isfinite(trainer.model.decode(np.zeros((1, 2)))))


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_weights():
    trainer = Trainer(small_model(), mnist_subset().subset(2000, 100),
                      TrainConfig(epochs=2, optimizer="sgd", lr=1e6))
    good = trainer.model.params.copy()
    with pytest.raises(TrainingDiverged, match="last good weights"):
        for _ in trainer.run():
            good = trainer.model.params.copy()     # the weights each report was made with
    assert np.all(np.isfinite(trainer.model.params))
    np.testing.assert_array_equal(trainer.model.params, good)


def test_kl_warmup_rises_linearly_to_beta():
    trainer = Trainer(small_model(), mnist_subset().subset(1000, 100),
                      TrainConfig(epochs=2, batch_size=250, beta=2.0, warmup_epochs=2))
    betas = [r.beta for r in trainer.run() if isinstance(r, BatchReport)]
    np.testing.assert_allclose(betas, 2.0 * np.arange(1, 9) / 8)


def test_adam_matches_the_textbook_update():
    rng = np.random.default_rng(0)
    params = rng.standard_normal(100_000).astype(np.float32)
    grads = np.empty_like(params)
    reference = params.astype(np.float64)
    m = v = np.zeros_like(reference)
    adam = Adam(params, grads, lr=1e-3)
    for t in range(1, 21):
        g = rng.standard_normal(params.size) * 1e-2
        grads[...] = g * adam.grad_scale          # the model applies this factor in backward
        adam.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        reference -= 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(params, reference, atol=2e-6)


def test_adam_flushes_moments_before_they_become_denormal(monkeypatch):
    from engine import optim
    tiny = np.finfo(np.float32).tiny

    def denormals_after_decay() -> int:
        params = np.ones(1000, np.float32)
        grads = np.zeros_like(params)                 # e.g. weights of an always-blank pixel
        adam = Adam(params, grads)
        adam.m[...] = 1e-3                            # 0.9^800 = 1.8e-37: ends at 1.8e-40 unflushed
        adam.w[...] = 2 * tiny                        # 0.999^800 = 0.45: ends just below tiny unflushed
        for _ in range(8 * FLUSH_EVERY):              # zero gradients: both only decay
            adam.step()
        return sum(int(np.count_nonzero((m != 0) & (np.abs(m) < tiny))) for m in (adam.m, adam.w))

    assert denormals_after_decay() == 0
    monkeypatch.setattr(optim, "FLUSH_BELOW", 0.0)    # the flush disabled: the same steps leave denormals
    assert denormals_after_decay() > 0


def test_adam_over_several_threads_equals_one_thread_exactly():
    rng = np.random.default_rng(3)
    start = rng.standard_normal(100_003).astype(np.float32)
    runs = []
    for threads in (1, 2, 3):
        params, grads = start.copy(), np.empty_like(start)
        adam = Adam(params, grads, threads=threads)
        assert adam.threads == threads
        for t in range(FLUSH_EVERY + 1):                  # through one flush of the moments
            grads[...] = np.random.default_rng(t).standard_normal(start.size) * 1e-3
            adam.step()
        runs.append(params)
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


@pytest.mark.parametrize("name,threads", [("adam", 1), ("adam", 2), ("sgd", 1)])
def test_the_optimizer_adds_a_split_batchs_unsummed_gradients_as_it_updates(name, threads):
    """step(unsummed) equals summing the parts first, across Adam's chunks and slices."""
    from engine.optim import CHUNK, make_optimizer
    rng = np.random.default_rng(4)
    start = rng.standard_normal(2 * CHUNK + 1001).astype(np.float32)
    runs = []
    for summed_first in (True, False):
        params, grads = start.copy(), np.empty_like(start)
        opt = make_optimizer(name, params, grads, 1e-3, threads)
        for t in range(3):
            parts = [np.random.default_rng([t, i]).standard_normal(start.size).astype(np.float32) for i in range(3)]
            grads[...] = parts[0]
            if summed_first:
                for part in parts[1:]:
                    grads += part
                opt.step()
            else:
                opt.step(parts[1:])
        runs.append(params)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_a_stop_mid_epoch_is_recorded_and_a_later_run_keeps_the_record(small_data_for_partials):
    """Issue 7, cases 6 and 9: what a stopped epoch trained is on record, in the file too."""
    from engine import VAE, TrainConfig, Trainer, VAEConfig, load_model, save_model
    data, tmp = small_data_for_partials
    trainer = Trainer(VAE(VAEConfig(hidden=(8,))), data, TrainConfig(epochs=3, batch_size=10))
    for r in trainer.run():                     # 10 batches an epoch: stop after 16
        if getattr(r, "epoch", 0) == 2 and getattr(r, "batch", 0) == 6:
            trainer.stop()
    assert trainer.epochs_done == 1 and len(trainer.history) == 1
    assert (trainer.partial.epoch, trainer.partial.batches, trainer.partial.of) == (2, 6, 10)
    assert trainer.epochs_trained == 1.6
    save_model(tmp / "mid.npz", trainer.model, trainer)        # a save now records the truth
    saved = load_model(tmp / "mid.npz")
    assert saved.epochs_done == 1 and saved.epochs_trained == 1.6
    again = Trainer.resume(saved, data, epochs=1)
    for _ in again.run():                       # restarts epoch 2 from its first batch
        pass
    assert [r.epoch for r in again.history] == [1, 2] and again.partial is None
    assert [(p.epoch, p.batches) for p in again.discarded] == [(2, 6)]
    assert again.epochs_trained == 2.6


import pytest  # noqa: E402


@pytest.fixture
def small_data_for_partials(tmp_path):
    import numpy as np

    from engine import Dataset
    rng = np.random.default_rng(0)
    x = rng.random((120, 784), dtype=np.float32)
    return Dataset("noise", x[:100], None, x[100:], None, (28, 28)), tmp_path
