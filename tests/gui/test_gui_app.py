"""Application-level behaviour: command line, settings, unsaved-model questions, continuing a run."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMessageBox, QPushButton

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_options():
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0
    for opt in ("--model FILE", "--data PATH", "--epochs", "--train"):
        assert opt in out.stdout


def test_startup_opens_the_window_and_quits(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "--startup-time"], capture_output=True,
                         text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert "window ready after" in out.stdout
    assert "Traceback" not in out.stderr


GLIBC = sys.platform.startswith("linux") and (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
HEAP_PROBE = """
import numpy as np
from vaegui import ensure_app
from vaegui.model.heap import mallinfo2
ensure_app()
big = np.ones(16 << 20, np.uint8)
del big                     # freeing a mapped block raises glibc's own threshold to its size
mapped = mallinfo2().hblks
array = np.ones(2 << 20, np.uint8)
print(mallinfo2().hblks - mapped)
"""


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator only")
def test_the_app_maps_large_arrays_of_its_own_so_freeing_them_returns_the_memory(tmp_path):
    """vaegui/heap.py: without the fixed threshold a 2 MB array lands in a heap after a 16 MB one
    was freed, and the soak's heaps kept 110-140 MB free but resident."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", HEAP_PROBE], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1"]


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator only")
def test_allocated_bytes_counts_what_malloc_holds():
    """The soak (benchmarks/soak_memory.py) tells a leak from resident-size noise by it."""
    import numpy as np

    from vaegui.model.heap import allocated_bytes
    before = allocated_bytes()
    if before is None:
        pytest.skip("glibc older than 2.33: no mallinfo2")
    held = np.ones(3 << 20, np.uint8)
    assert allocated_bytes() - before >= held.nbytes
    del held
    assert allocated_bytes() - before < 1 << 20


def test_the_app_bounds_qts_pixmap_cache(qapp):
    """Qt's default 10 MB of cached style pixmaps filled over a long session (the soak)."""
    from PyQt5.QtGui import QPixmapCache

    from vaegui import ensure_app
    QPixmapCache.setCacheLimit(10240)
    ensure_app()
    assert QPixmapCache.cacheLimit() == 1024


def test_continue_training_adds_epochs_to_the_same_model(qtbot, window, train):
    s = window.session
    train(window)
    model = s.model
    panel = window.panels["training"]
    panel.continue_check.setChecked(True)
    panel.epochs_spin.setValue(1)
    train(window)
    assert s.model is model
    assert [r.epoch for r in s.history()] == [1, 2, 3]
    assert window.panels["loss"].epochs_plotted == 3


def test_close_asks_about_an_unsaved_model(qtbot, window, monkeypatch):
    s = window.session
    window.commands.confirm = True
    window.panels["training"].epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: s.dirty, timeout=60000)
    answers = iter([QMessageBox.Cancel, QMessageBox.Discard])
    asked = []
    monkeypatch.setattr(QMessageBox, "exec_", lambda self: asked.append(self.text()) or next(answers))
    window.close()
    assert window.isVisible() and s.training.running        # Cancel: nothing happened
    window.close()
    assert not window.isVisible() and not s.training.running
    assert len(asked) == 2 and "not been saved" in asked[0]


def test_save_when_closing_mid_run_writes_the_model_and_quits(qtbot, window, monkeypatch, tmp_path):
    from PyQt5.QtWidgets import QFileDialog

    from engine import load_model
    s = window.session
    window.commands.confirm = True
    window.panels["training"].epochs_spin.setValue(50)
    qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted >= 3, timeout=60000)
    path = tmp_path / "on_quit.npz"
    monkeypatch.setattr(QMessageBox, "exec_", lambda self: QMessageBox.Save)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.close()
    assert not window.isVisible() and not s.workers.busy
    saved = load_model(str(path)).model
    z = np.array([[0.3, -0.7]])
    assert np.array_equal(saved.decode(z), s.model.decode(z))  # the weights when the user said Save


def test_geometry_and_recent_folders_are_remembered(qtbot, window, tmp_path, small_mnist, monkeypatch):
    from PyQt5.QtCore import QRect

    from vaegui import MainWindow
    # a screen the remembered size fits (offscreen Qt's own is 800x600, and a window never
    # opens larger than its screen)
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: QRect(0, 0, 1920, 1080))
    window.resize(1111, 777)
    window.commands.remember_folder(str(tmp_path))
    window.close()
    again = MainWindow(dataset=small_mnist, confirm=False)
    qtbot.addWidget(again)
    assert again.size().width() == 1111
    assert str(tmp_path) in again.commands.recent_folders()
    assert [a.text() for a in again.recent_menu.actions()][0] == str(tmp_path)
    again.session.shutdown()


def test_latent_size_one_trains_and_explores(qtbot, window, train):
    window.panels["training"].latent_spin.setValue(1)
    window.panels["training"].epochs_spin.setValue(1)
    assert train(window).outcome == "completed"
    assert "Training complete — 1 epoch, test loss" in window.status_text()
    window.map_panel.click_at(0.7, 0.0)
    assert window.panels["inspector"].decoded.image() is not None


def test_folder_dialog_suggests_the_scanned_size(qtbot, tmp_path):
    from PIL import Image

    from vaegui.commands.folder_dialog import FolderOptionsDialog
    for i in range(4):
        Image.fromarray(np.zeros((24, 18), np.uint8)).save(tmp_path / f"{i}.png")
    dlg = FolderOptionsDialog(str(tmp_path))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.scan is not None, timeout=10000)   # scanned in a worker thread
    assert (dlg.width_spin.value(), dlg.height_spin.value()) == (18, 24)
    path, size, invert, frac, color, background = dlg.options()
    assert path == str(tmp_path) and size == (24, 18) and invert is None and frac == pytest.approx(0.1)
    assert color == "auto" and background is None
    dlg.color_combo.setCurrentText("colour (RGB)")
    dlg.background_combo.setCurrentText("custom")
    assert dlg.background_button.isEnabled()
    dlg.background_button.setColor((10, 20, 30))
    assert dlg.options()[4:] == ("rgb", (10, 20, 30))
    for w in (dlg.path_edit, dlg.width_spin, dlg.height_spin, dlg.invert_combo, dlg.test_spin, dlg.color_combo,
              dlg.background_combo, dlg.background_button):
        assert w.toolTip()


def test_divergence_is_reported_and_the_model_kept(qtbot, window, monkeypatch, train):
    from engine import Trainer, TrainingDiverged
    real_run = Trainer.run

    def run_then_diverge(self):
        for i, report in enumerate(real_run(self)):
            yield report
            if i == 5:
                raise TrainingDiverged("the loss became NaN at epoch 1, batch 6")
    monkeypatch.setattr(Trainer, "run", run_then_diverge)
    assert train(window).outcome == "diverged"
    assert "diverged" in window.status_text()
    assert window.findChild(QPushButton, "startButton").isEnabled()
    window.map_panel.click_at(0.0, 0.0)
    assert window.panels["inspector"].decoded.image() is not None


def test_a_broken_model_file_is_reported(qtbot, window, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a model")
    assert not window.commands.open_model(str(bad))
    assert "Could not open broken.npz" in window.status_text()
    assert window.session.model is None


def test_menu_actions_start_and_stop_a_run(qtbot, window, train):
    from PyQt5.QtWidgets import QAction
    window.panels["training"].epochs_spin.setValue(50)
    start = window.findChild(QAction, "startAction")
    stop = window.findChild(QAction, "stopAction")

    def start_then_stop():
        start.trigger()
        qtbot.waitUntil(lambda: window.panels["loss"].batches_plotted > 0, timeout=60000)
        stop.trigger()
    assert train(window, start_then_stop).outcome == "stopped"


def test_continuing_an_opened_model_keeps_its_history_in_view(qtbot, window, train, tmp_path, small_mnist):
    from engine import VAE, TrainConfig, Trainer, VAEConfig, save_model
    trainer = Trainer(VAE(VAEConfig(hidden=(64,))), small_mnist, TrainConfig(epochs=2, batch_size=100))
    for _ in trainer.run():
        pass
    save_model(tmp_path / "two.npz", trainer.model, trainer, small_mnist)
    assert window.commands.open_model(str(tmp_path / "two.npz"))
    panel = window.panels["training"]
    panel.continue_check.setChecked(True)
    panel.epochs_spin.setValue(1)
    train(window)
    (x0, x1), _ = window.panels["loss"].loss_plot.getViewBox().viewRange()
    assert x0 <= 1 and x1 >= 3                    # epochs 1 and 2 of the file stay on the plot
    assert list(window.panels["loss"].test_curve.getData()[0]) == [1, 2, 3]
