"""The explorer lab's panels, each checked against the engine computed directly: latent health,
traversals, the PCA projection, neighbours, samples, the time-lapse, poking a paused run and
the class list."""
import csv
import os

import numpy as np
import pytest
from PIL import Image
from PyQt5.QtCore import Qt

import engine
from vaegui.model.datasets import scatter_subset
from vaegui.model.training_run import encode_snapshot


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, small_mnist):
    """A briefly trained 4-D model, saved once for the module."""
    model = engine.VAE(engine.VAEConfig(hidden=(64,), latent_dim=4), seed=1)
    trainer = engine.Trainer(model, small_mnist, engine.TrainConfig(epochs=1, batch_size=100, lr=3e-3))
    for _ in trainer.run():
        pass
    path = tmp_path_factory.mktemp("lab") / "m4.npz"
    engine.save_model(path, model, trainer, small_mnist)
    return path


@pytest.fixture
def lab_window(window, model_file, encoded):
    """The window with the 4-D model opened from its file, its scatter encoded."""
    assert window.commands.open_model(str(model_file))
    encoded(window.session)
    return window


def scatter_posteriors(win):
    x, _ = scatter_subset(win.session.dataset)
    return win.session.model.encode(x)


def check_latent_health_shows_the_engines_kl_per_dimension_and_active_units(lab_window):
    win = lab_window
    panel = win.panels["health"]
    mu, logvar = scatter_posteriors(win)
    expected = engine.latent_health(mu, logvar)
    kl = 0.5 * (mu.astype(float) ** 2 + np.exp(logvar.astype(float)) - 1 - logvar).mean(axis=0)   # closed form
    heights = panel.bars.opts["height"]
    np.testing.assert_allclose(heights, kl, rtol=1e-6)
    plot = win.findChild(type(panel.plot), "klDimsPlot")
    assert plot is panel.plot
    label = win.findChild(type(panel.active_label), "activeUnitsLabel")
    assert f"{expected.n_active} of 4 active" in label.text()


def test_explorer_panels_match_the_engine(qtbot, lab_window, tmp_path):
    """One window for the panels that read a model at rest (a window costs seconds to build)."""
    check_latent_health_shows_the_engines_kl_per_dimension_and_active_units(lab_window)
    check_traversal_tiles_are_decodes_of_the_expected_codes(lab_window, tmp_path)
    check_neighbours_match_a_brute_force_search(qtbot, lab_window)
    check_prior_and_posterior_samples_and_their_marks(qtbot, lab_window)
    check_class_list_searches_hides_and_isolates(lab_window)


def test_collapsed_posterior_is_reported_plainly(window, tmp_path, small_mnist, encoded):
    model = engine.VAE(engine.VAEConfig(hidden=(32,), latent_dim=3), seed=0)
    head = model.encoder[-1]                  # its weights and bias, zero: mu = logvar = 0, q(z|x) = p(z)
    start = sum(layer.n_params for layer in model.encoder[:-1])
    model.params[start:start + head.n_params] = 0.0
    engine.save_model(tmp_path / "collapsed.npz", model, None, small_mnist)
    assert window.commands.open_model(str(tmp_path / "collapsed.npz"))
    encoded(window.session)
    panel = window.panels["health"]
    assert "0 of 3 active" in panel.active_label.text()
    assert "Posterior collapse" in panel.warning.text()


def check_traversal_tiles_are_decodes_of_the_expected_codes(lab_window, tmp_path):
    win = lab_window
    s, panel = win.session, win.panels["traversal"]
    win.docks["traversal"].raise_()                     # a hidden tab refreshes when shown
    panel.steps_spin.setValue(5)
    point = np.array([0.5, -0.25, 1.0, 0.0])
    s.select(point)
    panel.refresh()                                     # (a selection refreshes it after a debounce)
    mu, logvar = scatter_posteriors(win)
    order = engine.latent_health(mu, logvar).order
    values = engine.prior_values(4, 5)
    mosaic = win.findChild(type(panel.view), "traversalView").mosaic()
    assert mosaic.shape == (4 * 28, 5 * 28)
    for row, d in enumerate(order):
        for col in (0, 4):
            code = point.copy()
            code[d] = values[d, col]
            tile = mosaic[row * 28:(row + 1) * 28, col * 28:(col + 1) * 28]
            np.testing.assert_allclose(tile, s.model.decode(code[None])[0].reshape(28, 28), atol=1e-6)
    assert panel.view.labels()[0].startswith(f"z[{order[0]}] · KL")
    panel.range_combo.setCurrentIndex(1)                  # +-2 SD of the aggregate posterior
    np.testing.assert_allclose(panel.traversal.values, engine.posterior_values(mu, logvar, 5)[order], rtol=1e-6)
    assert panel.export_png(str(tmp_path / "t.png"))
    with Image.open(tmp_path / "t.png") as im:
        assert im.size[1] > 0 and im.size[0] > im.size[1]
    s.select(None)                                        # nothing selected: the latent mean
    panel.refresh()
    np.testing.assert_allclose(panel.point, mu.mean(axis=0), rtol=1e-6)


def test_pca_projection_drives_the_map_clicks_and_drops(qtbot, lab_window, view_pos):
    win = lab_window
    s, mp = win.session, win.map_panel
    combo = win.findChild(type(win.panels["dims"].projection_combo), "projectionCombo")
    pca_index = next(i for i in range(combo.count()) if "PCA" in combo.itemText(i))
    combo.setCurrentIndex(pca_index)
    mu, logvar = scatter_posteriors(win)
    plane = s.plane
    _, sv, vt = np.linalg.svd(mu - mu.mean(axis=0), full_matrices=False)
    assert plane.kind == "projection" and "projection" in mp.info.text()
    for i in range(2):
        assert abs(plane.axes[i] @ vt[i]) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(mp.view.scatter_points(), plane.coords(mu), rtol=1e-4, atol=1e-4)
    view = mp.view
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view_pos(view, 0.8, -0.4))
    a, b = plane.coords(s.selected)[0]
    px = view.vb.viewPixelSize()
    assert abs(a - 0.8) <= 1.5 * px[0] and abs(b + 0.4) <= 1.5 * px[1]
    np.testing.assert_allclose(s.selected, plane.origin + a * plane.axes[0] + b * plane.axes[1])
    mp.refresh_manifold()
    n = mp.grid_spin.value()
    qtbot.waitUntil(lambda: not mp.decoding and mp.mosaic is not None, timeout=5000)   # the decode is debounced
    np.testing.assert_allclose(mp.mosaic, engine.plane_mosaic(s.explore_model, s.plane, n, mp.extent), atol=1e-6)
    s.drop_test_image(3)
    mean, _, _ = view.posterior("drop")
    mu3 = s.model.encode(s.dataset.x_test[3:4])[0]
    np.testing.assert_allclose(mean, plane.coords(mu3)[0], rtol=1e-4, atol=1e-5)
    mu3, logvar3 = (a[0].astype(float) for a in s.model.encode(s.dataset.x_test[3:4]))
    sd = np.sqrt(plane.axes ** 2 @ np.exp(logvar3))       # the inspector's posterior, along the PCs
    a, b = plane.coords(mu3)[0]
    assert win.panels["inspector"].post_label.text() == f"posterior PC1: {a:+.2f} ± {sd[0]:.2f}  PC2: {b:+.2f} ± {sd[1]:.2f}"
    combo.setCurrentIndex(1 - pca_index)
    assert s.plane.kind == "slice" and "slice" in mp.info.text()


def check_neighbours_match_a_brute_force_search(qtbot, lab_window):
    win = lab_window
    s, panel = win.session, win.panels["neighbours"]
    win.docks["neighbours"].raise_()                    # a hidden tab defers its search until shown
    z = np.array([0.3, 0.1, -0.2, 0.4])
    s.select(z)
    qtbot.waitUntil(lambda: panel.neighbours is not None, timeout=5000)   # searched after a debounce
    codes = s.model.encode(s.dataset.x_test)[0].astype(float)
    dist = np.sqrt(((codes - z) ** 2).sum(axis=1))
    brute = np.lexsort((np.arange(len(dist)), dist))[:8]
    view = win.findChild(type(panel.view), "neighboursView")
    assert view.count() == 8
    assert [view.item(i).data(Qt.UserRole) for i in range(8)] == brute.tolist()
    first = view.item(0).text()
    assert s.dataset.class_names[int(s.dataset.y_test[brute[0]])] in first and f"{dist[brute[0]]:.2f}" in first
    view.itemDoubleClicked.emit(view.item(1))           # real data next to the decode: drop it
    assert s.dropped.index == brute[1]


def check_prior_and_posterior_samples_and_their_marks(qtbot, lab_window):
    win = lab_window
    s, panel = win.session, win.panels["samples"]
    panel.rng = np.random.default_rng(5)
    panel.count_spin.setValue(3)
    qtbot.mouseClick(win.findChild(type(panel.prior_button), "samplePriorButton"), Qt.LeftButton)
    z = np.random.default_rng(5).standard_normal((9, 4))
    expected = engine.tile_images(s.model.decode(z), (28, 28), 3, 3)
    np.testing.assert_allclose(win.findChild(type(panel.view), "samplesView").image(), expected, atol=1e-6)
    s.drop_test_image(7)
    panel.rng = np.random.default_rng(6)
    panel.sample_posterior()
    mu, logvar = s.model.encode(s.dataset.x_test[7:8])
    eps = np.random.default_rng(6).standard_normal((9, 4))
    np.testing.assert_allclose(s.sample_marks, mu + np.exp(0.5 * logvar) * eps, rtol=1e-5, atol=1e-6)
    marks = np.column_stack(win.map_panel.marks_item.getData())
    np.testing.assert_allclose(marks, s.plane.coords(s.sample_marks), rtol=1e-5, atol=1e-6)
    s.drop_test_image(8)                                # another input: its marks go
    assert s.sample_marks is None and len(win.map_panel.marks_item.getData()[0]) == 0
    panel.sample_posterior()
    assert s.sample_marks is not None
    s.set_snapshot(encode_snapshot(s.model.copy(), *scatter_subset(s.dataset), 1.5, False))  # training went on
    assert s.sample_marks is None and panel.view.image() is None   # draws of the old weights go


def test_time_lapse_records_replays_exports_and_the_end_is_framed_on_the_data(qtbot, window, train, tmp_path):
    win = window
    train(win)
    panel = win.panels["timeline"]
    lapse = panel.lapse
    qtbot.waitUntil(lambda: len(lapse) and lapse[len(lapse) - 1].epoch == 2.0, timeout=5000)   # decoded after the end
    epochs = [lapse[i].epoch for i in range(len(lapse))]
    assert len(lapse) >= 3 and epochs == sorted(epochs) and epochs[-1] == 2.0
    slider = win.findChild(type(panel.slider), "timelineSlider")
    assert slider.maximum() == len(lapse) - 1
    slider.setValue(0)
    frame = lapse[0]
    shown = win.map_panel.view.manifold_item.image[::-1]          # the view stores rows bottom-up
    np.testing.assert_allclose(shown, frame.mosaic / 255.0)
    np.testing.assert_allclose(win.map_panel.view.scatter_points(), frame.positions)
    panel.go_live()
    assert win.session.replay is None
    assert panel.export_gif(str(tmp_path / "run.gif"))
    with Image.open(tmp_path / "run.gif") as gif:
        assert gif.n_frames == len(lapse)
    assert sorted(os.listdir(tmp_path)) == ["run.gif"]
    # the run ended framed on where the data is: the aggregate posterior's box
    snap = win.session.snapshot
    x0, x1, y0, y1 = engine.aggregate_extent(win.session.plane, snap.codes, snap.logvars, sds=3.0)
    (vx0, vx1), (vy0, vy1) = win.map_panel.view.vb.viewRange()
    # (aspect locked: one side may be wider)
    assert vx0 <= x0 + 1e-6 and vx1 >= x1 - 1e-6 and vy0 <= y0 + 1e-6 and vy1 >= y1 - 1e-6
    assert min(vx1 - vx0 - (x1 - x0), vy1 - vy0 - (y1 - y0)) < 0.1 * max(x1 - x0, y1 - y0)


def test_step_a_paused_run_and_change_lr_and_beta_between_batches(qtbot, window, tmp_path):
    win = window
    s, poke = win.session, win.panels["poke"]
    win.panels["training"].epochs_spin.setValue(5)
    with qtbot.waitSignal(s.training_changed, timeout=30000, check_params_cb=lambda st: st.phase == "running"):
        win.panels["training"].start()
    s.pause()
    qtbot.waitUntil(lambda: s.training.phase == "paused", timeout=30000)
    trainer = s.trainer
    assert poke.step_batch_button.isEnabled()
    t0 = trainer.optimizer.t
    poke.lr_spin.setValue(0.0005)
    poke.beta_spin.setValue(0.5)
    poke.apply()
    qtbot.mouseClick(poke.step_batch_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.training.phase == "paused" and trainer.optimizer.t > t0, timeout=30000)
    assert trainer.optimizer.t == t0 + 1 or (t0 + 1) % 20 == 0      # exactly one batch (or it closed the epoch)
    assert trainer.optimizer.lr == 0.0005 and trainer.config.beta == 0.5
    assert [(c.setting, c.new) for c in trainer.setting_changes] == [("lr", 0.0005), ("beta", 0.5)]
    qtbot.waitUntil(lambda: poke.changes.count() == 2, timeout=5000)
    done = trainer.epochs_done
    qtbot.mouseClick(poke.step_epoch_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.training.phase == "paused" and trainer.epochs_done == done + 1, timeout=60000)
    assert trainer.optimizer.t % 20 == 0                              # 2,000 images / 100: at an epoch end
    assert s.snapshot.epoch == pytest.approx(trainer.epochs_done)    # every panel shows the model as it is
    with qtbot.waitSignal(s.training_changed, timeout=30000, check_params_cb=lambda st: st.phase == "idle"):
        s.stop()
    assert win.commands.export_history(str(tmp_path / "h.csv"))     # the CSV records when they changed
    with open(tmp_path / "h.csv", newline="") as fh:
        notes = [row["note"] for row in csv.DictReader(fh) if row["note"].startswith(("lr", "beta"))]
    lr, beta = trainer.setting_changes
    assert notes == [f"lr {lr.old:g} -> 0.0005 from batch {lr.batch}", f"beta 1 -> 0.5 from batch {beta.batch}"]


def check_class_list_searches_hides_and_isolates(lab_window):
    win = lab_window
    s, panel, view = win.session, win.panels["classes"], win.map_panel.view
    assert panel.list.count() == 10
    panel.search.setText("3")
    visible = [panel.list.item(i).text() for i in range(10) if not panel.list.item(i).isHidden()]
    assert len(visible) == 1 and visible[0].startswith("3")
    panel.isolate()
    assert s.hidden_classes == frozenset(set(range(10)) - {3})
    counts = view.points_per_class()
    assert counts[3] > 0 and sum(counts) == counts[3]
    panel.list.item(5).setCheckState(Qt.Checked)
    assert 5 not in s.hidden_classes and view.points_per_class()[5] > 0
    panel.show_all_button.click()
    assert s.hidden_classes == frozenset() and all(c > 0 for c in view.points_per_class())
    # hovering a scatter point names its class
    points, labels = win.map_panel.scatter_shown
    x, y = points[0]
    assert win.map_panel.class_near(x, y) == f"{s.dataset.class_names[labels[0]]} (class {labels[0]})"


def test_a_hundred_classes_get_distinguishable_colours():
    from vaegui.widgets.palette import distinct_colours
    c = distinct_colours(101).astype(int)
    assert len({tuple(v) for v in c}) == 101
    assert np.abs(np.diff(c, axis=0)).sum(axis=1).min() > 60      # consecutive classes differ clearly



def test_neighbours_after_an_epoch_use_its_test_pass_codes(qtbot, window, train, monkeypatch):
    s, panel = window.session, window.panels["neighbours"]
    window.docks["neighbours"].raise_()
    window.panels["training"].epochs_spin.setValue(1)
    train(window)
    assert s.snapshot.final and s.snapshot.test_codes is not None
    monkeypatch.setattr(panel.encode_job, "submit", lambda *a, **k: pytest.fail("the test set was encoded again"))
    z = np.array([0.2, -0.1])
    s.select(z)
    qtbot.waitUntil(lambda: panel.neighbours is not None, timeout=5000)
    codes = s.model.encode(s.dataset.x_test)[0].astype(float)
    dist = np.sqrt(((codes - z) ** 2).sum(axis=1))
    np.testing.assert_allclose(panel.neighbours.distances, np.sort(dist)[:len(panel.neighbours.distances)], rtol=1e-4)
