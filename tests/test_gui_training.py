"""Training through the real worker thread: live plots, scatter, pause/resume, stop, close."""
import time

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QProgressBar, QPushButton, QSpinBox

import pyqtgraph as pg


def _run(qtbot, win, timeout=60000):
    with qtbot.waitSignal(win.training_finished, timeout=timeout) as blocker:
        qtbot.mouseClick(win.findChild(QPushButton, "startButton"), Qt.LeftButton)
    return blocker.args[0]


def test_object_names_exist(window):
    for cls, name in [(QPushButton, "startButton"), (QPushButton, "pauseButton"), (QPushButton, "stopButton"),
                      (QSpinBox, "epochsSpin"), (QSpinBox, "latentSpin"), (QProgressBar, "progressBar"),
                      (pg.PlotWidget, "lossPlot"), (pg.PlotWidget, "latentView")]:
        assert window.findChild(cls, name) is not None, name
    for name in ("decodedImage", "gallery", "reconstructionImage", "drawPad"):
        assert window.findChild(object, name) is not None, name


def test_full_run_streams_every_epoch(qtbot, window):
    payloads = []
    window.training.scatter_ready.connect(payloads.append)
    outcome = _run(qtbot, window)
    assert outcome == "completed"
    plots = window.loss_plots
    assert plots.epochs_plotted == 2
    xs, ys = plots.test_curve.getData()
    assert list(xs) == [1, 2]
    assert np.allclose(ys, [r.test_loss for r in window.trainer.history])
    assert plots.batches_plotted == 2 * 20          # every batch reached the curve
    assert window.scatter_updates >= 2              # at least once per epoch
    finals = [p for p in payloads if p.final]
    assert [p.epoch for p in finals] == [1.0, 2.0]
    assert not np.allclose(finals[0].mu, finals[1].mu)          # the clusters moved
    view = window.latent_view
    assert np.array_equal(view.scatter_points(), finals[-1].mu)  # the map shows the last one
    labels = finals[-1].labels
    assert [len(it.data) for it in view._class_items] == [int((labels == c).sum()) for c in range(10)]
    assert finals[-1].mosaic is not None                        # the worker decoded the manifold
    assert len(window.latent_view.scatter_points()) == 500
    bar = window.findChild(QProgressBar, "progressBar")
    assert bar.value() == bar.maximum()
    assert window.findChild(QPushButton, "startButton").isEnabled()
    assert not window.findChild(QPushButton, "stopButton").isEnabled()
    assert "Training complete" in window.status_text()
    assert window.dirty


def test_stop_mid_run_keeps_a_usable_model(qtbot, window):
    window.panel.epochs_spin.setValue(50)
    with qtbot.waitSignal(window.training_finished, timeout=30000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
        qtbot.waitUntil(lambda: window.loss_plots.batches_plotted >= 5, timeout=30000)
        qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), Qt.LeftButton)
    assert blocker.args[0] == "stopped"
    assert window.trainer.epochs_done < 50
    assert window.explorer.model is window.model
    window.explorer.on_clicked(0.5, -0.5)
    expected = window.model.decode(np.array([[0.5, -0.5]]))[0].reshape(28, 28)
    assert np.array_equal(window.image_panel.decoded.image(), expected)
    assert window.findChild(QPushButton, "startButton").isEnabled()
    bar = window.findChild(QProgressBar, "progressBar")
    assert bar.value() == bar.maximum()


def test_pause_resume_continues_the_same_run(qtbot, window):
    window.panel.epochs_spin.setValue(3)
    pause = window.findChild(QPushButton, "pauseButton")
    with qtbot.waitSignal(window.training_finished, timeout=60000):
        with qtbot.waitSignal(window.training.paused, timeout=5000):
            qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
            trainer = window.trainer
            qtbot.mouseClick(pause, Qt.LeftButton)     # before the run can end, however fast it is
        assert pause.text() == "Resume"
        assert window.findChild(QProgressBar, "progressBar").format().endswith("— paused")
        n = window.loss_plots.batches_plotted
        qtbot.wait(300)
        assert window.loss_plots.batches_plotted == n          # nothing trains while paused
        window.explorer.on_clicked(0.0, 0.0)                    # the explorer works while paused
        assert window.image_panel.decoded.image() is not None
        qtbot.mouseClick(pause, Qt.LeftButton)
    assert window.trainer is trainer
    assert [r.epoch for r in trainer.history] == [1, 2, 3]
    assert window.loss_plots.batches_plotted == 3 * 20


def test_close_mid_run_ends_the_thread(qtbot, window):
    window.panel.epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    thread = window.training.thread
    qtbot.waitUntil(lambda: window.loss_plots.batches_plotted >= 3, timeout=30000)
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 1.0
    assert thread.isFinished()
    assert not window.training.running


def test_close_while_paused_ends_the_thread(qtbot, window):
    window.panel.epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    thread = window.training.thread
    with qtbot.waitSignal(window.training.paused, timeout=30000):
        qtbot.mouseClick(window.findChild(QPushButton, "pauseButton"), Qt.LeftButton)
    window.close()
    assert thread.isFinished()


def test_save_right_after_pause_waits_for_the_batch(qtbot, window, tmp_path):
    from engine import load_model
    window.panel.epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.loss_plots.batches_plotted >= 3, timeout=30000)
    qtbot.mouseClick(window.findChild(QPushButton, "pauseButton"), Qt.LeftButton)
    assert window.save_model(path=str(tmp_path / "paused.npz"))     # no wait for `paused` first
    assert window.training.weights_still
    saved = load_model(str(tmp_path / "paused.npz")).model
    z = np.array([[0.3, -0.7]])
    assert np.array_equal(saved.decode(z), window.model.decode(z))    # exactly the paused weights
    window.close()
    assert not window.training.running


def test_ctrl_s_mid_run_saves_and_training_goes_on(qtbot, window, tmp_path, monkeypatch):
    from PyQt5.QtWidgets import QFileDialog
    from engine import load_model
    path = tmp_path / "mid_run.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.panel.epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.loss_plots.batches_plotted >= 3, timeout=30000)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert path.exists() and "Saved model" in window.status_text()
    assert load_model(str(path)).model.config.latent_dim == 2
    assert window.training.running and not window.training.is_paused
    n = window.loss_plots.batches_plotted
    qtbot.waitUntil(lambda: window.loss_plots.batches_plotted > n, timeout=30000)   # it trains on
    assert not window.findChild(QPushButton, "pauseButton").isChecked()
    window.close()


def test_slow_loss_redraws_happen_less_often_within_bounds(qtbot, window, monkeypatch):
    from vaegui import loss_plots
    plots = window.loss_plots
    real = plots._redraw_batches

    def slow_redraw():                 # 30 ms of CPU a redraw: the budget allows one every 1.5 s
        real()
        end = time.thread_time() + 0.030
        while time.thread_time() < end:
            pass

    monkeypatch.setattr(plots, "_redraw_batches", slow_redraw)
    for i in range(12):
        plots.add_batches(np.array([[i / 10, 200.0 - i, 190.0 - i, 5.0]]))
        plots._on_redraw_timer()
    assert 1000 < plots._redraw_timer.interval() <= loss_plots.REDRAW_MAX_MS
    assert plots.batches_plotted == 12
