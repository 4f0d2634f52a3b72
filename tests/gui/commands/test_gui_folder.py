"""A folder of the user's images through the app's own code path: load, report skips, train."""
import numpy as np
import pytest
from PIL import Image
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QListWidget, QPushButton


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


def _load(qtbot, win, path, **options):
    """Load a folder through the window's commands and wait until it is a data set."""
    with qtbot.waitSignal(win.commands.folder_loaded, timeout=60000):
        assert win.commands.load_folder(str(path), **options)


def _fail(qtbot, win, path, **options):
    with qtbot.waitSignal(win.commands.folder_failed, timeout=60000) as blocker:
        win.commands.load_folder(str(path), **options)
    return blocker.args


def test_load_folder_and_train_one_epoch(qtbot, window, tmp_path, train):
    s = window.session
    folder = make_folder(tmp_path / "shapes")
    _load(qtbot, window, folder, image_size=(16, 20), invert=None, test_fraction=0.2)
    ds = s.dataset
    assert ds.image_shape == (16, 20, 1)
    assert len(ds.x_train) + len(ds.x_test) == 60
    assert ds.train_float().mean() < 0.5                  # auto-inverted: bright ink on dark
    assert "60 images loaded, 1 skipped" in window.status_text()
    assert window.details_button.isVisible()
    assert window.commands.last_skipped[0][0].endswith("broken.png")
    assert window.panels["training"].dataset_combo.currentText() == "shapes"
    # gallery thumbnails and draw pad at the folder's shape
    assert window.findChild(QListWidget, "gallery").count() == min(40, len(ds.x_test))
    pad = window.panels["draw"].canvas
    assert pad.image_shape == (16, 20) and pad.image().shape == (320,)

    window.panels["training"].epochs_spin.setValue(1)
    window.panels["training"].batch_spin.setValue(16)
    assert train(window, lambda: qtbot.mouseClick(window.findChild(QPushButton, "startButton"),
                                                  Qt.LeftButton)).outcome == "completed"
    assert window.panels["loss"].epochs_plotted == 1
    assert s.model.config.image_shape == (16, 20, 1)
    window.map_panel.click_at(0.0, 0.0)
    assert window.panels["inspector"].decoded.image().shape == (16, 20)
    s.drop_test_image(0)
    assert window.panels["inspector"].reconstruction.image().shape == (16, 20)


def test_unlabelled_folder_scatters_in_one_colour(qtbot, window, tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    rng = np.random.default_rng(1)
    for i in range(12):
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(root / f"{i}.png")
    _load(qtbot, window, root, image_size=(12, 12), test_fraction=0.25)
    assert not window.session.dataset.labelled
    assert window.map_panel.view.n_colours == 1
    assert "12 images loaded" in window.status_text()


def test_failed_load_keeps_the_previous_data(qtbot, window, tmp_path):
    before = window.session.dataset
    empty = tmp_path / "empty"
    empty.mkdir()
    _fail(qtbot, window, empty)
    assert window.session.dataset is before
    assert "Could not load empty" in window.status_text()
    assert "stays loaded" in window.status_text()


def test_folder_without_readable_images_lists_why_and_keeps_the_data(qtbot, window, tmp_path):
    before = window.session.dataset
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_text("text, not a PNG")
    (junk / "b.jpg").write_bytes(b"")
    _, message, skipped = _fail(qtbot, window, junk)
    assert skipped == [("a.png", "not an image"), ("b.jpg", "zero-byte file")]
    assert window.session.dataset is before
    assert "no readable image" in window.status_text() and "stays loaded" in window.status_text()
    assert window.details_button.isVisible()
    assert window.commands.last_skipped == skipped


def test_cancel_keeps_the_previous_data(qtbot, window, tmp_path, monkeypatch):
    import threading

    import engine
    before = window.session.dataset
    folder = make_folder(tmp_path / "shapes", n_per_class=5)
    cancelled_first, real_load = threading.Event(), engine.load_folder

    def load_after_the_cancel(*args, **kwargs):   # a 10-image load could finish before the click
        assert cancelled_first.wait(30)
        return real_load(*args, **kwargs)
    monkeypatch.setattr(engine, "load_folder", load_after_the_cancel)
    with qtbot.waitSignal(window.commands.folder_failed, timeout=60000) as blocker:
        window.commands.load_folder(str(folder))
        window.commands.cancel_load()
        cancelled_first.set()
    assert blocker.args[1] == "cancelled"
    assert window.session.dataset is before


def test_skipped_files_dialog_lists_each_file_and_why(qtbot):
    from vaegui.commands.folder_dialog import SkippedDialog
    dlg = SkippedDialog([("a/broken.png", "not an image"), ("b/empty.jpg", "empty file")])
    qtbot.addWidget(dlg)
    t = dlg.table
    assert t.rowCount() == 2
    assert (t.item(0, 0).text(), t.item(0, 1).text()) == ("a/broken.png", "not an image")


def test_a_model_brings_back_the_folder_it_was_trained_on(qtbot, window, tmp_path, encoded):
    from engine import VAE, TrainConfig, Trainer, VAEConfig, load_folder, save_model
    s = window.session
    folder = make_folder(tmp_path / "shapes")
    data = load_folder(folder, image_size=(12, 15), test_fraction=0.25).dataset
    trainer = Trainer(VAE(VAEConfig(image_shape=(12, 15), hidden=(16,))), data, TrainConfig(epochs=1))
    for _ in trainer.run():
        pass
    save_model(tmp_path / "shapes.npz", trainer.model, trainer)
    assert s.dataset.image_shape == (28, 28, 1)

    with qtbot.waitSignal(s.model_changed, timeout=60000):
        assert not window.commands.open_model(str(tmp_path / "shapes.npz"))  # scripted: takes "Load shapes"
    assert s.dataset.image_shape == (12, 15, 1)
    assert len(s.dataset.x_test) == 15                          # the recorded 25% split
    assert s.model_file.dataset_source == str(folder.resolve())
    encoded(s)
    assert s.snapshot.codes is not None and len(s.snapshot.codes) == 15

    # Opened again: the folder is already loaded at that size, so the window switches to it.
    window.commands.use_mnist()
    count = len(s.datasets)
    assert window.commands.open_model(str(tmp_path / "shapes.npz"))
    assert len(s.datasets) == count and s.dataset.image_shape == (12, 15, 1)


def test_a_failed_data_switch_leaves_no_model_waiting(qtbot, window, tmp_path):
    from engine import VAE, VAEConfig, load_folder, save_model
    folder = make_folder(tmp_path / "shapes")
    data = load_folder(folder, image_size=(12, 15)).dataset
    save_model(tmp_path / "shapes.npz", VAE(VAEConfig(image_shape=(12, 15), hidden=(8,))), dataset=data)
    for png in folder.rglob("*.png"):
        png.write_bytes(b"")                                          # the folder is now unreadable
    with qtbot.waitSignal(window.commands.folder_failed, timeout=60000):
        assert not window.commands.open_model(str(tmp_path / "shapes.npz"))   # scripted: takes "Load shapes"
        assert window.commands.busy
    assert "Could not load shapes" in window.status_text()
    _load(qtbot, window, make_folder(tmp_path / "other", size=(15, 12)), image_size=(12, 15))
    assert window.session.model is None                              # the model did not wait for this one


def test_save_suggests_the_name_of_the_data_the_model_was_trained_on(qtbot, window, monkeypatch):
    from PyQt5.QtWidgets import QFileDialog

    from engine import VAE, TrainConfig, Trainer, VAEConfig
    s = window.session
    faces = s.dataset.subset(100, 20)
    faces.name = "frey_faces/images"             # a folder-derived name: its slash is no path here
    model = VAE(VAEConfig(hidden=(8,)))
    s.set_model(model, trainer=Trainer(model, faces, TrainConfig(epochs=1)))
    s.add_dataset("other", s.dataset.subset(50, 10), None)     # the data loaded now is another one
    suggested = []

    def cancelled_dialog(parent, title, start, filt):
        suggested.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled_dialog)
    window.commands.save_model(ask=True)
    assert suggested and suggested[0].endswith("vae_frey_faces_images_z2.npz")


def test_opening_the_same_folder_again_replaces_its_entry(qtbot, window, tmp_path):
    """Issue 8, item 3: one entry per folder in the chooser; a reload replaces the old copy."""
    import gc
    import weakref
    folder = make_folder(tmp_path / "shapes", n_per_class=6)
    _load(qtbot, window, folder, image_size=(16, 20))
    count = window.panels["training"].dataset_combo.count()
    first = weakref.ref(window.session.dataset)
    _load(qtbot, window, folder, image_size=(8, 10))             # the same folder, other options
    gc.collect()
    assert window.panels["training"].dataset_combo.count() == count
    assert window.session.dataset.image_shape == (8, 10, 1)
    assert first() is None
