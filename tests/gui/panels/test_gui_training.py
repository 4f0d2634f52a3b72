"""Training through the real worker: live plots, snapshots, pause/resume, stop, close, save mid-run."""
import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication, QProgressBar, QPushButton, QSpinBox


def _run(click, win, train):
    return train(win, lambda: click(win, "startButton")).outcome


def test_object_names_exist(window):
    for cls, name in [(QPushButton, "startButton"), (QPushButton, "pauseButton"), (QPushButton, "stopButton"),
                      (QSpinBox, "epochsSpin"), (QSpinBox, "latentSpin"), (QProgressBar, "progressBar"),
                      (pg.PlotWidget, "lossPlot"), (pg.PlotWidget, "latentView")]:
        assert window.findChild(cls, name) is not None, name
    for name in ("decodedImage", "gallery", "reconstructionImage", "drawPad"):
        assert window.findChild(object, name) is not None, name


def test_full_run_streams_every_epoch(qtbot, window, train, click):
    s = window.session
    snapshots = []
    s.snapshot_changed.connect(snapshots.append)
    assert _run(click, window, train) == "completed"
    plots = window.panels["loss"]
    assert plots.epochs_plotted == 2
    xs, ys = plots.test_curve.getData()
    assert list(xs) == [1, 2]
    assert np.allclose(ys, [r.test_loss for r in s.history()])
    assert plots.batches_plotted == 2 * 20          # every batch reached the curve
    finals = [p for p in snapshots if p is not None and p.final]
    assert [p.epoch for p in finals] == [0.0, 1.0, 2.0]      # the new model, then one per epoch ...
    assert s.snapshot is finals[-1]                              # ... the last one shows the model at rest
    assert not np.allclose(finals[-2].codes, finals[-1].codes)  # the clusters moved
    view = window.map_panel.view
    assert np.allclose(view.scatter_points(), s.snapshot.codes)  # the map shows the last one
    assert np.array_equal(s.snapshot.model.params, s.model.params)
    labels = s.snapshot.labels
    assert view.points_per_class() == [int((labels == c).sum()) for c in range(10)]
    assert len(view.scatter_points()) == 500
    assert window.map_panel.mosaic is not None                   # the map decoded its manifold
    bar = window.findChild(QProgressBar, "progressBar")
    assert bar.value() == bar.maximum()
    assert window.findChild(QPushButton, "startButton").isEnabled()
    assert not window.findChild(QPushButton, "stopButton").isEnabled()
    assert "Training complete" in window.status_text()
    assert s.dirty


def test_stop_mid_run_keeps_a_usable_model(qtbot, window, train, click):
    s = window.session
    window.panels["training"].epochs_spin.setValue(50)

    def start_then_stop():
        click(window, "startButton")
        qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted >= 5, timeout=60000)
        click(window, "stopButton")
    assert train(window, start_then_stop).outcome == "stopped"
    assert s.trainer.epochs_done < 50
    assert np.array_equal(s.explore_model.params, s.model.params)    # the explorer shows the final weights
    window.map_panel.click_at(0.5, -0.5)
    expected = s.model.decode(np.array([[0.5, -0.5]]))[0].reshape(28, 28)
    assert np.array_equal(window.panels["inspector"].decoded.image(), expected)
    assert window.findChild(QPushButton, "startButton").isEnabled()
    bar = window.findChild(QProgressBar, "progressBar")
    assert bar.value() == bar.maximum()


def test_pause_resume_continues_the_same_run(qtbot, window, train, click):
    s = window.session
    window.panels["training"].epochs_spin.setValue(3)
    pause = window.findChild(QPushButton, "pauseButton")

    def start_pause_resume():
        with qtbot.waitSignal(s.training_changed, timeout=60000, check_params_cb=lambda st: st.phase == "paused"):
            click(window, "startButton")
            click(window, "pauseButton")     # before the run can end, however fast it is
        assert pause.text() == "Resume"
        assert window.findChild(QProgressBar, "progressBar").format().endswith("— paused")
        n = window.panels["loss"].batches_plotted
        params = s.model.params.copy()
        with qtbot.assertNotEmitted(s.batches_arrived, wait=300):   # nothing trains while paused
            pass
        assert window.panels["loss"].batches_plotted == n
        assert np.array_equal(s.model.params, params)
        assert np.array_equal(s.explore_model.params, params)      # the explorer shows the weights as they are
        window.map_panel.click_at(0.0, 0.0)                     # and works while paused
        assert window.panels["inspector"].decoded.image() is not None
        click(window, "pauseButton")
    train(window, start_pause_resume)
    trainer = s.trainer
    assert [r.epoch for r in trainer.history] == [1, 2, 3]
    assert window.panels["loss"].batches_plotted == 3 * 20


def test_resume_asked_before_the_pause_landed_is_not_lost(qtbot, window, train, click):
    s = window.session
    window.panels["training"].epochs_spin.setValue(3)

    def pause_and_resume_at_once():
        click(window, "startButton")
        s.pause()
        s.resume()                                   # superqt ignores a resume of a worker not yet paused
    assert train(window, pause_and_resume_at_once).outcome == "completed"
    assert [r.epoch for r in s.trainer.history] == [1, 2, 3]


def test_close_mid_run_ends_the_thread(qtbot, window, click):
    s = window.session
    window.panels["training"].epochs_spin.setValue(50)
    click(window, "startButton")
    qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted >= 3, timeout=60000)
    window.close()
    assert not s.workers.busy and not s.training.running
    assert s.training.outcome == "stopped"


def test_close_while_paused_ends_the_thread(qtbot, window, click):
    s = window.session
    window.panels["training"].epochs_spin.setValue(50)
    with qtbot.waitSignal(s.training_changed, timeout=60000, check_params_cb=lambda st: st.phase == "paused"):
        click(window, "startButton")
        click(window, "pauseButton")
    window.close()
    assert not s.workers.busy and not s.training.running


def test_save_right_after_pause_waits_for_the_batch(qtbot, window, tmp_path, click):
    from engine import load_model
    s = window.session
    window.panels["training"].epochs_spin.setValue(50)
    click(window, "startButton")
    qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted >= 3, timeout=60000)
    click(window, "pauseButton")
    with qtbot.waitSignal(window.commands.model_saved, timeout=60000):     # written once the worker has paused
        assert window.commands.save_model(path=str(tmp_path / "paused.npz"))     # no wait for `paused` first
    saved = load_model(str(tmp_path / "paused.npz")).model
    z = np.array([[0.3, -0.7]])
    assert np.array_equal(saved.decode(z), s.model.decode(z))    # exactly the paused weights
    assert s.training.phase in ("pausing", "paused")              # still paused: the user's pause holds
    window.close()
    assert not s.training.running


def test_ctrl_s_mid_run_saves_and_training_goes_on(qtbot, window, tmp_path, monkeypatch, click):
    from PyQt5.QtWidgets import QFileDialog

    from engine import load_model
    s = window.session
    path = tmp_path / "mid_run.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.panels["training"].epochs_spin.setValue(50)
    click(window, "startButton")
    qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted >= 3, timeout=60000)
    with qtbot.waitSignal(window.commands.model_saved, timeout=60000):     # between two batches
        qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert path.exists() and "Saved model" in window.status_text()
    assert load_model(str(path)).model.config.latent_dim == 2
    assert s.training.phase == "running"
    n = window.panels["loss"].batches_plotted
    qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted > n, timeout=60000)   # it trains on
    assert not window.findChild(QPushButton, "pauseButton").isChecked()
    window.close()


def test_slow_loss_redraws_happen_less_often_within_bounds(qtbot, window, monkeypatch):
    import time

    from vaegui.panels import loss_plots
    plots = window.panels["loss"]
    real = plots.draw_batches

    def slow_redraw():                 # 30 ms of CPU a redraw: the budget allows one every 1.5 s
        real()
        end = time.thread_time() + 0.030
        while time.thread_time() < end:
            pass

    monkeypatch.setattr(plots, "draw_batches", slow_redraw)
    for i in range(12):
        plots.add_batches(np.array([[i / 10, 200.0 - i, 190.0 - i, 5.0]]))
        plots.redraw_tick()
    assert 1000 < plots.redraw_interval_ms <= loss_plots.REDRAW_MAX_MS
    assert plots.batches_plotted == 12


def test_slow_loss_paints_count_in_the_redraw_budget(qtbot, window, monkeypatch):
    import time

    import pyqtgraph as pg

    from vaegui.panels import loss_plots
    plots = window.panels["loss"]
    real = pg.GraphicsView.paintEvent

    def slow_paint(view, event):      # 30 ms of CPU a paint, after the redraw tick returned
        real(view, event)
        end = time.thread_time() + 0.030
        while time.thread_time() < end:
            pass

    monkeypatch.setattr(pg.GraphicsView, "paintEvent", slow_paint)
    for i in range(12):
        plots.add_batches(np.array([[i / 10, 200.0 - i, 190.0 - i, 5.0]]))
        plots.redraw_tick()
        plots.loss_plot.viewport().repaint()
    assert 1000 < plots.redraw_interval_ms <= loss_plots.REDRAW_MAX_MS


def test_a_loss_redraw_paints_each_plot_once(qtbot, window, monkeypatch):
    import pyqtgraph as pg
    plots = window.panels["loss"]
    plots.add_batches(np.array([[0.01 * i, 300.0 - i, 290.0 - i, 5.0 + i] for i in range(40)]))
    plots.redraw_tick()
    QApplication.processEvents()                 # that redraw's paints are done
    painted = []
    real = pg.GraphicsView.paintEvent
    monkeypatch.setattr(pg.GraphicsView, "paintEvent", lambda view, e: painted.append(view.objectName()) or real(view, e))
    plots.add_batches(np.array([[0.5 + 0.01 * i, 100.0 - i, 90.0 - i, 9.0 + i] for i in range(40)]))  # the y range moves
    plots.redraw_tick()
    qtbot.waitUntil(lambda: "lossPlot" in painted and "klPlot" in painted, timeout=5000)
    QApplication.processEvents()                 # and no second paint is pending
    assert painted.count("lossPlot") == 1 and painted.count("klPlot") == 1


def test_a_conv_model_trains_streams_saves_and_reopens(qtbot, window, train, tmp_path, click):
    panel, s = window.panels["training"], window.session
    assert not panel.channels_edit.isEnabled()                      # the MLP is the default
    panel.arch_combo.setCurrentIndex(panel.arch_combo.findData("conv"))
    assert panel.channels_edit.isEnabled()
    panel.channels_edit.setText("4,8")
    panel.hidden_edit.setText("16")
    panel.epochs_spin.setValue(1)
    assert _run(click, window, train) == "completed"
    assert s.model.config.arch == "conv" and s.model.config.channels == (4, 8)
    assert window.panels["loss"].epochs_plotted == 1
    assert len(window.map_panel.view.scatter_points()) == 500
    assert window.map_panel.mosaic is not None
    path = tmp_path / "conv.npz"
    assert window.commands.save_model(path=str(path))
    panel.arch_combo.setCurrentIndex(panel.arch_combo.findData("mlp"))
    assert window.commands.open_model(str(path))
    assert s.model.config.channels == (4, 8) and panel.arch() == "conv" and panel.channels_edit.text() == "4,8"


def test_starting_a_new_model_encodes_its_scatter_in_the_worker(qtbot, window, train, monkeypatch):
    import threading

    import engine
    threads = []
    real = engine.VAE.encode
    monkeypatch.setattr(engine.VAE, "encode", lambda self, x, parts=1: threads.append(threading.current_thread())
                        or real(self, x, parts))
    snaps = []
    window.session.snapshot_changed.connect(snaps.append)
    window.panels["training"].epochs_spin.setValue(1)
    train(window)
    assert threading.main_thread() not in threads          # none on the GUI thread (a conv model's takes ~1 s)
    assert snaps[0].codes is None and snaps[0].epoch == 0  # the new model at once, then its scatter
    first_coded = next(sn for sn in snaps if sn.codes is not None)
    assert first_coded.epoch == 0 and first_coded.model.config == window.session.model.config


def test_the_batch_history_is_bounded_and_keeps_the_curve():
    from vaegui.widgets.plot_buffers import GrowingBuffer
    buf = GrowingBuffer(2, capacity=4, max_rows=100)
    x = np.arange(1000, dtype=float)
    for s in range(0, 1000, 7):                      # chunks of 7, as batch updates arrive
        buf.append(np.stack([x[s:s + 7], 3.0 * x[s:s + 7] + 1.0], axis=1))
    rows = buf.view()
    assert 50 <= len(rows) <= 101
    step = np.diff(rows[:, 0])
    np.testing.assert_array_equal(step[:-1], buf.stride)       # evenly spaced: each row averages `stride`
    assert rows[0, 0] == (buf.stride - 1) / 2 and rows[-1, 0] == np.mean(x[1000 // buf.stride * buf.stride:])
    np.testing.assert_allclose(rows[:, 1], 3.0 * rows[:, 0] + 1.0)   # pairs averaged: still on the line
