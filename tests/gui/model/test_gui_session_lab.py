"""The session's explorer-lab state: the plane kind, sample marks, replay, hidden classes, the
snapshot's log-variances, and stepping a generator one batch or one epoch."""
import numpy as np
import pytest

import engine


def test_snapshots_carry_the_log_variances_of_the_scatter_subset(session):
    from vaegui.model.datasets import scatter_subset
    snap = session.snapshot
    mu, logvar = session.model.encode(scatter_subset(session.dataset)[0])
    np.testing.assert_array_equal(snap.codes, mu)
    np.testing.assert_array_equal(snap.logvars, logvar)


def test_projection_switches_the_plane_and_follows_new_snapshots(session, emits, encoded):
    s = session
    kinds, planes = emits(s.projection_changed), emits(s.plane_changed)
    s.set_projection("pca")
    s.set_projection("pca")
    assert len(kinds) == 1 and len(planes) == 1
    expected = engine.pca_plane(s.snapshot.codes)
    np.testing.assert_allclose(s.plane.axes, expected.axes)
    z = s.plane_to_z(0.5, -1.0)
    np.testing.assert_allclose(z, expected.origin + 0.5 * expected.axes[0] - 1.0 * expected.axes[1])
    assert s.project(z) == pytest.approx((0.5, -1.0))
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=4), seed=3))   # a new snapshot
    encoded(s)
    np.testing.assert_allclose(s.plane.origin, s.snapshot.codes.astype(float).mean(axis=0), rtol=1e-6)
    s.set_projection("slice")
    assert s.plane.kind == "slice" and s.plane.dims == s.dims


def test_pca_needs_two_latent_dimensions(session, emits):
    s = session
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=1)))
    messages = emits(s.message)
    s.set_projection("pca")
    assert s.projection == "slice" and "two latent dimensions" in messages[-1][0]


def test_marks_replay_and_hidden_classes_emit_once_and_reset_with_the_model(session, emits):
    s = session
    marks, replay, classes = emits(s.sample_marks_changed), emits(s.replay_changed), emits(s.classes_changed)
    s.set_sample_marks(np.zeros((3, 4)))
    frame = engine.make_map_frame(0.5, np.zeros((4, 4)), (-1, 1, -1, 1), np.zeros((2, 2)), np.zeros(4))
    s.set_replay(frame, np.array([0, 1]))
    s.set_hidden_classes({1, 2})
    s.set_hidden_classes(frozenset({2, 1}))
    assert len(marks) == 1 and len(replay) == 1 and len(classes) == 1
    assert s.replay is frame and s.hidden_classes == frozenset({1, 2})
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=4)))
    assert s.sample_marks is None and s.replay is None
    s.set_dataset(s.add_dataset("again", s.dataset.subset(100, 50)))
    assert s.hidden_classes == frozenset()


class Pausable:
    """The worker's pause flag, as superqt checks it between yields."""

    def __init__(self):
        self.requested = False

    def __call__(self):
        self.requested = True


def test_stepper_pauses_after_exactly_one_batch_or_at_the_epochs_end(small_mnist, monkeypatch):
    from vaegui.model import training_run
    from vaegui.model.training_run import Batches, Stepper, training_events
    monkeypatch.setattr(training_run, "lower_priority", lambda: None)    # this runs in the test's thread
    data = small_mnist.subset(400, 50)
    trainer = engine.Trainer(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=2)), data,
                             engine.TrainConfig(epochs=3, batch_size=100), threads=1)
    stepper = Stepper()
    stepper.pause = pause = Pausable()
    events = training_events(trainer, None, None, batch_interval=1e9, scatter_interval=0, stepper=stepper)
    stepper.unit = "batch"
    item = next(events)
    assert isinstance(item, Batches) and len(item.chunk) == 1 and pause.requested
    assert trainer.optimizer.t == 1
    pause.requested = False
    stepper.unit = "epoch"
    items = []
    while not pause.requested:
        items.append(next(events))
    assert trainer.optimizer.t == 4 and trainer.epochs_done == 1           # 4 batches per epoch
    report, snap = items[-2:]             # the worker pauses right after the epoch's snapshot
    assert isinstance(report, engine.EpochReport) and report.epoch == 1
    assert snap.final and snap.epoch == 1.0
    events.close()


def test_the_epoch_end_snapshot_takes_its_codes_from_the_test_pass(small_mnist, monkeypatch):
    from vaegui.model import training_run
    from vaegui.model.datasets import scatter_indices, scatter_subset
    from vaegui.model.training_run import Snapshot, training_events
    monkeypatch.setattr(training_run, "lower_priority", lambda: None)    # this runs in the test's thread
    data = small_mnist.subset(400, 300)
    trainer = engine.Trainer(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=2)), data,
                             engine.TrainConfig(epochs=1, batch_size=100), threads=1)
    x, y = scatter_subset(data, 120)
    encodes = []
    real_encode = trainer.model.encode
    monkeypatch.setattr(trainer.model, "encode", lambda images: encodes.append(len(images)) or real_encode(images))
    items = list(training_events(trainer, x, y, batch_interval=1e9, scatter_interval=0,
                                 scatter_idx=scatter_indices(data, 120)))
    snap = items[-1]
    assert isinstance(snap, Snapshot) and snap.final
    assert encodes == []                                   # no second encoding of the scatter subset
    mu, logvar = real_encode(x)
    np.testing.assert_allclose(snap.codes, mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(snap.logvars, logvar, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(snap.labels, y)
