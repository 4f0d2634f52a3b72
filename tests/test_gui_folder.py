"""A folder of the user's images through the app's own code path: load, report skips, train."""
import numpy as np
import pytest
from PIL import Image
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QPushButton


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def make_folder(root, n_per_class=30, size=(20, 16)):
    """Two classes of dark-on-light shapes (bars and blobs), 20 wide x 16 high, plus a broken file."""
    rng = np.random.default_rng(0)
    w, h = size
    for cls in ("bars", "blobs"):
        (root / cls).mkdir(parents=True)
        for i in range(n_per_class):
            img = np.full((h, w), 255, np.uint8)
            if cls == "bars":
                x = rng.integers(2, w - 4)
                img[2:h - 2, x:x + 3] = 0
            else:
                cy, cx = rng.integers(5, h - 5), rng.integers(5, w - 5)
                yy, xx = np.mgrid[:h, :w]
                img[(yy - cy) ** 2 + (xx - cx) ** 2 < 12] = 0
            Image.fromarray(img).save(root / cls / f"{i:03d}.png")
    (root / "bars" / "broken.png").write_bytes(b"not a png at all")
    return root


def test_load_folder_and_train_one_epoch(qtbot, window, tmp_path):
    folder = make_folder(tmp_path / "shapes")
    with qtbot.waitSignal(window.dataset_changed, timeout=30000):
        window.load_folder_now(str(folder), image_size=(16, 20), invert=None, test_fraction=0.2)
    ds = window.dataset
    assert ds.image_shape == (16, 20)
    assert len(ds.x_train) + len(ds.x_test) == 60
    assert ds.x_train.mean() < 0.5                        # auto-inverted: bright ink on dark
    status = window.status_text()
    assert "60 images loaded, 1 skipped" in status
    assert window.details_button.isVisible()
    assert window._last_skipped[0][0].endswith("broken.png")
    assert window.panel.dataset_combo.currentText() == "shapes"
    # gallery thumbnails and draw pad at the folder's shape
    assert window.gallery.count() == min(40, len(ds.x_test))
    assert window.draw_pad.image_shape == (16, 20)
    assert window.draw_pad.image().shape == (320,)

    window.panel.epochs_spin.setValue(1)
    window.panel.batch_spin.setValue(16)
    with qtbot.waitSignal(window.training_finished, timeout=30000) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "startButton"), Qt.LeftButton)
    assert blocker.args[0] == "completed"
    assert window.loss_plots.epochs_plotted == 1
    assert window.model.config.image_shape == (16, 20)
    window.explorer.on_clicked(0.0, 0.0)
    assert window.image_panel.decoded.image().shape == (16, 20)
    window.explorer.show_test_image(0)
    assert window.image_panel.reconstruction.image().shape == (16, 20)


def test_unlabelled_folder_scatters_in_one_colour(qtbot, window, tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    rng = np.random.default_rng(1)
    for i in range(12):
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(root / f"{i}.png")
    with qtbot.waitSignal(window.dataset_changed, timeout=30000):
        window.load_folder_now(str(root), image_size=(12, 12), test_fraction=0.25)
    assert not window.dataset.labelled
    assert window.latent_view.n_colours == 1
    assert "12 images loaded" in window.status_text()


def test_failed_load_keeps_the_previous_data(qtbot, window, tmp_path):
    before = window.dataset
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(window.folders.failed, timeout=30000):
        window.load_folder_now(str(empty))
    assert window.dataset is before
    assert "Could not load empty" in window.status_text()
    assert "stays loaded" in window.status_text()



def test_folder_without_readable_images_lists_why_and_keeps_the_data(qtbot, window, tmp_path):
    before = window.dataset
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_text("text, not a PNG")
    (junk / "b.jpg").write_bytes(b"")
    with qtbot.waitSignal(window.folders.failed, timeout=30000) as blocker:
        window.load_folder_now(str(junk))
    assert blocker.args[2] == [("a.png", "not an image"), ("b.jpg", "zero-byte file")]
    assert window.dataset is before
    assert "no readable image" in window.status_text() and "stays loaded" in window.status_text()
    assert window.details_button.isVisible()
    assert window._last_skipped == blocker.args[2]


def test_cancel_keeps_the_previous_data(qtbot, window, tmp_path):
    before = window.dataset
    folder = make_folder(tmp_path / "shapes", n_per_class=5)
    with qtbot.waitSignal(window.folders.failed, timeout=30000) as blocker:
        window.load_folder_now(str(folder))
        window.folders.cancel()
    assert blocker.args[1] == "cancelled"
    assert window.dataset is before


def test_skipped_files_dialog_lists_each_file_and_why(qtbot):
    from vaegui.folder_dialog import SkippedDialog
    dlg = SkippedDialog([("a/broken.png", "not an image"), ("b/empty.jpg", "empty file")])
    qtbot.addWidget(dlg)
    t = dlg.table
    assert t.rowCount() == 2
    assert (t.item(0, 0).text(), t.item(0, 1).text()) == ("a/broken.png", "not an image")


def test_a_model_brings_back_the_folder_it_was_trained_on(qtbot, window, tmp_path):
    from engine import Trainer, TrainConfig, VAE, VAEConfig, load_folder, save_model
    folder = make_folder(tmp_path / "shapes")
    data = load_folder(folder, image_size=(12, 15), test_fraction=0.25).dataset
    trainer = Trainer(VAE(VAEConfig(image_shape=(12, 15), hidden=(16,))), data, TrainConfig(epochs=1))
    for _ in trainer.run():
        pass
    save_model(tmp_path / "shapes.npz", trainer.model, trainer)
    assert window.dataset.image_shape == (28, 28)

    with qtbot.waitSignal(window.model_changed, timeout=30000):
        assert not window.open_model(str(tmp_path / "shapes.npz"))  # scripted: takes "Load shapes"
    assert window.dataset.image_shape == (12, 15)
    assert len(window.dataset.x_test) == 15                          # the recorded 25% split
    assert window.model_file.dataset_source == str(folder.resolve())
    assert window.explorer.dataset is window.dataset

    # Opened again: the folder is already loaded at that size, so the window switches to it.
    window.use_mnist()
    count = window.panel.dataset_combo.count()
    assert window.open_model(str(tmp_path / "shapes.npz"))
    assert window.panel.dataset_combo.count() == count and window.dataset.image_shape == (12, 15)


def test_a_failed_data_switch_leaves_no_model_waiting(qtbot, window, tmp_path):
    from engine import VAE, VAEConfig, load_folder, save_model
    folder = make_folder(tmp_path / "shapes")
    data = load_folder(folder, image_size=(12, 15)).dataset
    save_model(tmp_path / "shapes.npz", VAE(VAEConfig(image_shape=(12, 15), hidden=(8,))), dataset=data)
    for png in folder.rglob("*.png"):
        png.write_bytes(b"")                                          # the folder is now unreadable
    assert not window.open_model(str(tmp_path / "shapes.npz"))      # scripted: takes "Load shapes"
    assert window._pending_model is not None and window.folders.busy
    qtbot.waitUntil(lambda: not window.folders.busy, timeout=30000)
    assert "Could not load shapes" in window.status_text()
    assert window._pending_model is None
    assert window.dataset.image_shape == (28, 28)


def test_save_suggests_a_file_name_without_the_folder_names_slash(qtbot, window, tmp_path, monkeypatch):
    from PyQt5.QtWidgets import QFileDialog
    from engine import VAE, VAEConfig
    window.add_dataset("faces", window.dataset.subset(100, 20), None)
    window.dataset.name = "frey_faces/images"
    window.model = VAE(VAEConfig(hidden=(8,)))
    suggested = []

    def cancelled_dialog(parent, title, start, filt):
        suggested.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled_dialog)
    window.save_model(ask=True)
    assert suggested and suggested[0].endswith("vae_frey_faces_images_z2.npz")
