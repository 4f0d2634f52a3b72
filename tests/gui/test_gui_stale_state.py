"""The window never shows stale or wrong state: the ten cases of the session issue, each through
the session and the public state of the widgets."""
import csv

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMessageBox, QProgressBar, QPushButton


def _stop_and_wait(qtbot, win):
    with qtbot.waitSignal(win.session.training_changed, timeout=60000,
                          check_params_cb=lambda st: st.phase == "idle" and bool(st.outcome)):
        qtbot.mouseClick(win.findChild(QPushButton, "stopButton"), Qt.LeftButton)


def test_1_the_map_note_follows_a_new_run(qtbot, window, started):
    from engine import VAE, VAEConfig
    s, note = window.session, window.map_panel.info
    s.set_model(VAE(VAEConfig(image_shape=(10, 10), hidden=(8,))))       # a model of other images
    assert "the data set has 28×28 images: Start trains a model for it" in note.text()
    window.panels["training"].epochs_spin.setValue(50)
    started(window, 1)
    assert "Start trains" not in note.text() and "training on MNIST" in note.text()
    assert "28×28 images" in note.text()
    _stop_and_wait(qtbot, window)
    assert "training on" not in note.text() and "Start trains" not in note.text()


def test_2_another_model_clears_the_previous_runs_progress(qtbot, window, train, tmp_path):
    from engine import VAE, VAEConfig, save_model
    window.panels["training"].epochs_spin.setValue(1)
    train(window)
    bar, label = window.findChild(QProgressBar, "progressBar"), window.panels["training"].progress_label
    assert bar.format().startswith("Complete") and "elapsed" in label.text()
    save_model(tmp_path / "other.npz", VAE(VAEConfig(hidden=(8,))))
    assert window.commands.open_model(str(tmp_path / "other.npz"))
    assert bar.format() == "Opened: 0 epochs trained" and bar.value() == 0
    assert label.text() == ""


def test_3_after_stop_no_time_is_left_and_the_bar_text_fits(qtbot, window, started):
    window.panels["training"].epochs_spin.setValue(50)
    started(window)
    assert " left" in window.panels["training"].progress_label.text()
    _stop_and_wait(qtbot, window)
    label = window.panels["training"].progress_label.text()
    assert "left" not in label and "elapsed" in label
    bar = window.findChild(QProgressBar, "progressBar")
    assert bar.format().startswith("Stopped: ")
    assert bar.fontMetrics().horizontalAdvance(bar.text()) < bar.width()          # nothing clipped
    assert "Stopped with" in bar.toolTip()                                          # the whole story


def test_4_a_snapshot_does_not_repost_the_path_message(qtbot, window, train):
    s = window.session
    train(window)
    s.path_between_test_images(0, 1)
    assert window.status_text().startswith("Interpolated test #0 → test #1")
    s.notify("Epoch 3/3 — test loss 180.0")
    s.set_snapshot(s.snapshot.__class__(s.model.copy(), s.snapshot.codes, s.snapshot.labels, 3.0))
    assert window.status_text() == "Epoch 3/3 — test loss 180.0"
    assert window.panels["interp"].strip.image() is not None                 # the strip followed


def test_5_a_model_of_other_data_with_the_same_image_size_is_questioned(qtbot, window, tmp_path, monkeypatch,
                                                                         small_mnist):
    from engine import VAE, VAEConfig, save_model
    other = small_mnist.subset(100, 20)
    other.name, other.source, other.class_names = "silhouettes", str(tmp_path / "silhouettes"), None
    save_model(tmp_path / "sil.npz", VAE(VAEConfig(hidden=(8,))), dataset=other)
    asked = []
    monkeypatch.setattr(QMessageBox, "exec_", lambda box: asked.append(box.text()) or QMessageBox.Cancel)
    window.commands.confirm = True
    assert not window.commands.open_model(str(tmp_path / "sil.npz"))
    assert asked and "trained on silhouettes" in asked[0] and "same size" in asked[0]
    assert window.session.model is None                                   # Cancel: nothing attached
    window.commands.confirm = False
    assert window.commands.open_model(str(tmp_path / "sil.npz"))         # scripted: "Open with the current data"
    mnist_model = tmp_path / "mnist.npz"
    save_model(mnist_model, VAE(VAEConfig(hidden=(8,))), dataset=small_mnist)
    window.commands.confirm = True
    asked.clear()
    assert window.commands.open_model(str(mnist_model)) and not asked      # its own data: no question


def test_6_a_save_mid_epoch_records_the_epochs_the_weights_have(qtbot, window, tmp_path, started):
    from engine import load_model
    s = window.session
    window.panels["training"].epochs_spin.setValue(50)
    window.panels["training"].batch_spin.setValue(2)    # 1,000 batches an epoch: the pause lands mid-epoch
    started(window)
    qtbot.mouseClick(window.findChild(QPushButton, "pauseButton"), Qt.LeftButton)
    with qtbot.waitSignal(window.commands.model_saved, timeout=60000):     # written once the worker has paused
        assert window.commands.save_model(path=str(tmp_path / "mid.npz"))
    saved = load_model(tmp_path / "mid.npz")
    assert saved.epochs_trained == pytest.approx(s.trainer.epochs_trained)
    assert saved.partial_epoch is not None and saved.partial_epoch.batches == s.trainer.partial.batches
    assert saved.epochs_trained != int(saved.epochs_trained)                # mid-epoch, and it says so
    window.close()


def test_8_choosing_the_other_axis_dimension_swaps_them(qtbot, window):
    from engine import VAE, VAEConfig
    s, dims = window.session, window.panels["dims"]
    s.set_model(VAE(VAEConfig(hidden=(8,), latent_dim=4)))
    dims.x_combo.setCurrentIndex(1)                    # the vertical axis shows z[1]: they swap
    assert s.dims == (1, 0)
    assert (dims.x_combo.currentIndex(), dims.y_combo.currentIndex()) == (1, 0)
    dims.y_combo.setCurrentIndex(1)
    assert s.dims == (0, 1)


def test_9_continuing_after_a_stop_mid_epoch_draws_after_it_and_records_it(qtbot, window, tmp_path, started):
    s, plots, panel = window.session, window.panels["loss"], window.panels["training"]
    panel.epochs_spin.setValue(50)
    panel.batch_spin.setValue(2)                    # 1,000 batches an epoch: the stop lands mid-epoch
    started(window)
    _stop_and_wait(qtbot, window)
    stopped_at = s.trainer.epochs_trained
    assert 0 < stopped_at < 1 and s.trainer.partial is not None
    last_x = plots.loss_curve.xData[-1]
    panel.continue_check.setChecked(True)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(s.training_changed, timeout=120000,
                          check_params_cb=lambda st: st.phase == "idle" and bool(st.outcome)):
        panel.start()
    xs = plots.loss_curve.xData
    second = xs[np.searchsorted(xs, last_x, side="right"):]
    assert len(second) and second[0] > stopped_at and np.all(np.diff(xs) > 0)   # after, never over
    assert plots.test_curve.getData()[0][-1] == pytest.approx(1 + stopped_at)
    assert window.commands.export_history(str(tmp_path / "h.csv"))
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert [r["epoch"] for r in rows] == ["1", "1"]
    assert "restarted" in rows[0]["note"] and rows[0]["batches"] != "all" and rows[1]["batches"] == "all"
    assert float(rows[1]["epochs_trained"]) == pytest.approx(1 + stopped_at, abs=1e-3)


def test_10_at_1280x720_the_controls_stay_in_view_and_long_text_elides(qtbot, window, settled):
    from PyQt5.QtCore import QRect
    window.resize(1280, 720)
    window.reset_layout()
    settled(lambda: (window.size(), window.findChild(QPushButton, "startButton").geometry()))   # laid out
    whole = QRect(0, 0, window.width(), window.height())
    for name in ("startButton", "pauseButton", "stopButton"):
        b = window.findChild(QPushButton, name)
        rect = QRect(b.mapTo(window, b.rect().topLeft()), b.size())
        assert not b.visibleRegion().isEmpty() and whole.contains(rect), name
        assert b.visibleRegion().boundingRect().size() == b.size(), name           # not cut by a scroll area
    note = window.map_panel.info
    long = "2-D latent · 28×28 images — " + "a very long data set name " * 6
    note.setText(long)
    assert note.width() < note.fontMetrics().horizontalAdvance(long)            # it does not fit ...
    assert note.is_elided() and long in note.toolTip()                          # ... so it elides, and says all
    assert window.width() <= 1280                                               # and nothing widened the window


def test_10_a_first_start_on_a_1280x720_screen_opens_within_it(qtbot, small_mnist, monkeypatch, settled):
    from PyQt5.QtCore import QRect, QSettings

    from vaegui import MainWindow
    from vaegui.app import APP_NAME, ORG_NAME
    settings = QSettings(ORG_NAME, APP_NAME)
    for key in ("geometry", "windowState"):                 # a first start: no saved layout
        settings.remove(key)
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: QRect(0, 0, 1280, 720))
    win = MainWindow(dataset=small_mnist, confirm=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    settled(lambda: (win.size(), win.statusBar().geometry()))    # the docks have their final sizes
    assert win.width() <= 1280 and win.height() <= 720       # the docks' minimum sizes allow it
    bar = win.statusBar()
    assert bar.isVisible() and bar.mapTo(win, bar.rect().bottomLeft()).y() < 720
