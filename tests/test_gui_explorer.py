"""The explorer on a model: clicks decode, drops encode, interpolation, draw pad, dims, files."""
import csv

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PyQt5.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PyQt5.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox,
                             QFormLayout, QLineEdit, QListWidget, QMenu)

from vaegui.latent_view import MIME_TEST_INDEX


@pytest.fixture
def model_window(window, tmp_path, small_mnist):
    """The window with a (briefly trained) 2-D model opened from a file."""
    from engine import VAE, TrainConfig, Trainer, VAEConfig, save_model
    model = VAE(VAEConfig(hidden=(64,), latent_dim=2), seed=1)
    trainer = Trainer(model, small_mnist, TrainConfig(epochs=1, batch_size=100, lr=3e-3))
    for _ in trainer.run():
        pass
    path = tmp_path / "m.npz"
    save_model(path, model, trainer, small_mnist)
    assert window.open_model(str(path))
    return window


def _view_pos(view, x, y) -> QPoint:
    return view.mapFromScene(view.vb.mapViewToScene(QPointF(x, y)))


def test_click_shows_exactly_the_engines_decode(qtbot, model_window):
    win = model_window
    view = win.latent_view
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=_view_pos(view, 1.0, -0.5))
    z = win.explorer._selected
    px = view.vb.viewPixelSize()
    assert abs(z[0] - 1.0) <= 1.5 * px[0] and abs(z[1] + 0.5) <= 1.5 * px[1]
    expected = win.model.decode(z[None, :])[0].reshape(28, 28)
    assert np.array_equal(win.image_panel.decoded.image(), expected)
    mx, my = view.marker.pos().x(), view.marker.pos().y()
    assert view.marker.isVisible() and np.allclose([mx, my], z)
    assert win.status_text().startswith(f"Decoded the point z = ({z[0]:+.2f}, {z[1]:+.2f})")


def _mouse(widget, kind, pos, button, buttons) -> None:
    """A raw mouse event: unlike QTest's mouseMove, it can carry a held button (a drag)."""
    QApplication.sendEvent(widget, QMouseEvent(kind, QPointF(pos), button, buttons, Qt.NoModifier))


def test_hover_and_marker_drag_decode(qtbot, model_window):
    win = model_window
    view, vp = win.latent_view, win.latent_view.viewport()
    qtbot.wait(50)                                   # let the layout settle: the view's range is final
    pos = _view_pos(view, 0.3, 0.2)
    qtbot.mouseMove(vp, pos)                         # hovering previews the point under the cursor
    under = view.vb.mapSceneToView(view.mapToScene(pos))
    assert np.array_equal(win.image_panel.hover.image(),
                          win.model.decode(np.array([[under.x(), under.y()]]))[0].reshape(28, 28))
    qtbot.mouseClick(vp, Qt.LeftButton, pos=_view_pos(view, 0.0, 0.0))
    start = win.explorer._selected.copy()
    _mouse(vp, QEvent.MouseButtonPress, _view_pos(view, *start), Qt.LeftButton, Qt.LeftButton)
    path = []
    for t in np.linspace(0.2, 1.0, 5):              # decodes continuously while the marker moves
        qtbot.wait(20)
        _mouse(vp, QEvent.MouseMove, _view_pos(view, -t, t), Qt.NoButton, Qt.LeftButton)
        z = win.explorer._selected.copy()
        assert np.allclose(z, [view.marker.pos().x(), view.marker.pos().y()])
        assert np.array_equal(win.image_panel.decoded.image(), win.model.decode(z[None, :])[0].reshape(28, 28))
        path.append(z)
    _mouse(vp, QEvent.MouseButtonRelease, _view_pos(view, -1.0, 1.0), Qt.LeftButton, Qt.NoButton)
    assert np.all(np.diff(np.array(path)[:, 0]) < 0) and np.all(np.diff(np.array(path)[:, 1]) > 0)
    px = view.vb.viewPixelSize()
    assert abs(path[-1][0] + 1.0) <= 3 * px[0] and abs(path[-1][1] - 1.0) <= 3 * px[1]


def test_drop_gallery_image_shows_reconstruction_and_posterior(qtbot, model_window, small_mnist):
    from engine import posterior_ellipse
    win = model_window
    gallery = win.findChild(QListWidget, "gallery")
    assert gallery.count() > 0
    index = gallery.item(3).data(Qt.UserRole)
    view = win.latent_view
    md = QMimeData()
    md.setData(MIME_TEST_INDEX, str(index).encode())
    assert gallery.mimeData([gallery.item(3)]).data(MIME_TEST_INDEX) == md.data(MIME_TEST_INDEX)
    pos = _view_pos(view, 0.0, 0.0)
    # what Qt delivers during a drag and drop: enter, move, drop
    enter = QDragEnterEvent(pos, Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(view.viewport(), QDragMoveEvent(pos, Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
    with qtbot.waitSignal(view.image_dropped, timeout=1000):
        QApplication.sendEvent(view.viewport(),
                               QDropEvent(QPointF(pos), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
    x = small_mnist.x_test[index]
    mu, logvar = win.model.encode(x[None, :])
    recon = win.model.decode(mu)[0].reshape(28, 28)
    assert np.array_equal(win.image_panel.reconstruction.image(), recon)
    assert np.array_equal(win.image_panel.original.image(), x.reshape(28, 28))
    mean, xs, ys = view.posterior()
    assert np.allclose(mean, mu[0], atol=1e-6)
    outline = posterior_ellipse(mu[0], logvar[0], (0, 1), 1.0)
    assert np.allclose(xs, outline[:, 0]) and np.allclose(ys, outline[:, 1])
    assert len(view._posterior_items("drop")[2].getData()[0]) > 0


def test_another_model_leaves_no_stale_inspector(qtbot, model_window, tmp_path):
    from engine import VAE, VAEConfig, save_model
    win = model_window
    win.explorer.on_clicked(0.5, 0.5)
    win.explorer.show_test_image(0)
    panel = win.image_panel
    assert panel.decoded.image() is not None and panel.post_label.text()
    save_model(tmp_path / "other.npz", VAE(VAEConfig(hidden=(16,), latent_dim=2), seed=3))
    assert win.open_model(str(tmp_path / "other.npz"))
    # nothing of the previous model's point or input is left on show
    assert panel.decoded.image() is None and panel.z_label.text() == ""
    assert panel.original.image() is None and panel.reconstruction.image() is None
    assert panel.post_label.text() == "" and "Test #" not in panel.original._caption


def test_drawing_and_dropped_image_share_the_inspector(qtbot, model_window):
    win = model_window
    win.explorer.show_test_image(4)
    win.draw_pad.stroke([(0.5, 0.2), (0.5, 0.8)])
    assert win.image_panel.original._caption == "Your drawing"
    win.explorer.set_model(win.model)                # what every scatter refresh does while training
    assert win.image_panel.original._caption == "Your drawing"    # the drawing stays on show
    win.draw_pad.clear()                             # the dropped image comes back
    assert win.image_panel.original._caption.startswith("Test #4")
    assert np.array_equal(win.image_panel.original.image(), win.dataset.x_test[4].reshape(28, 28))


def test_interpolation_between_two_points(qtbot, model_window):
    win = model_window
    qtbot.mouseClick(win.interp_panel.pick_button, Qt.LeftButton)
    win.explorer.on_clicked(-2.0, 0.0)
    win.explorer.on_clicked(2.0, 1.0)
    strip = win.interp_panel.strip.image()
    assert strip.shape == (28, 28 * 10)
    xs, ys = win.latent_view.interp_item.getData()
    assert len(xs) == 10 and np.isclose(xs[0], -2.0) and np.isclose(ys[-1], 1.0)
    codes = np.stack([np.linspace(-2, 2, 10), np.linspace(0, 1, 10)], axis=1)
    assert np.allclose(strip[:, :28], win.model.decode(codes[:1])[0].reshape(28, 28))
    assert not win.interp_panel.pick_button.isChecked()
    # picking again but giving up after one point keeps the path that was there
    qtbot.mouseClick(win.interp_panel.pick_button, Qt.LeftButton)
    win.explorer.on_clicked(0.5, 0.5)
    assert len(win.latent_view.interp_item.getData()[0]) == 1
    qtbot.mouseClick(win.interp_panel.pick_button, Qt.LeftButton)
    xs2, ys2 = win.latent_view.interp_item.getData()
    assert np.allclose(xs2, xs) and np.allclose(ys2, ys)
    win.interp_panel.steps_spin.setValue(5)                 # and it still answers to the steps
    assert win.interp_panel.strip.image().shape == (28, 28 * 5)


def test_interpolation_between_gallery_images(qtbot, model_window, small_mnist):
    win = model_window
    g = win.gallery
    g.item(0).setSelected(True)
    g.item(5).setSelected(True)
    qtbot.mouseClick(win.gallery_panel.interp_button, Qt.LeftButton)
    i, j = g.item(0).data(Qt.UserRole), g.item(5).data(Qt.UserRole)
    mu, _ = win.model.encode(small_mnist.x_test[[i, j]])
    xs, ys = win.latent_view.interp_item.getData()
    assert np.allclose([xs[0], ys[0]], mu[0], atol=1e-5) and np.allclose([xs[-1], ys[-1]], mu[1], atol=1e-5)


def test_draw_pad_encodes_live(qtbot, model_window):
    win = model_window
    pad = win.draw_pad
    assert pad.objectName() == "drawPad"
    pad.stroke([(0.5, 0.2), (0.5, 0.8)])           # a vertical bar: a "1"
    img = pad.image()
    assert img.shape == (784,) and img.max() > 0.9
    mu, _ = win.model.encode(img[None, :])
    assert np.allclose(win.latent_view.posterior("draw")[0], mu[0], atol=1e-6)
    assert np.array_equal(win.image_panel.reconstruction.image(), win.model.decode(mu)[0].reshape(28, 28))
    assert "Encoded your drawing" in win.status_text()
    # real mouse gestures draw too
    pad.clear()
    qtbot.mousePress(pad, Qt.LeftButton, pos=pad.rect().center())
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=pad.rect().center())
    assert pad.image().max() > 0.5
    pad.clear()
    assert win.latent_view.posterior("draw") is None


def test_manifold_follows_the_view_and_toggles(qtbot, model_window):
    win = model_window
    ex = win.explorer
    assert ex.mosaic.shape == (20 * 28, 20 * 28)
    win.map.grid_spin.setValue(10)
    assert ex.mosaic.shape == (280, 280)
    win.latent_view.vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    (x0, x1), (y0, y1) = win.latent_view.vb.viewRange()
    side = max(x1 - x0, y1 - y0)
    assert side < 4
    qtbot.waitUntil(lambda: np.isclose(ex.extent[1] - ex.extent[0], side, rtol=0.05), timeout=2000)
    assert ex.extent[0] <= x0 + 1e-6 and ex.extent[3] >= y1 - 1e-6
    win.map.manifold_check.setChecked(False)
    assert not win.latent_view.manifold_item.isVisible()
    win.map.scatter_check.setChecked(False)
    assert not win.latent_view.scatter_visible()
    assert not any(it.isVisible() for it in win.latent_view._class_items)


def test_latent_above_two_uses_chosen_dims_and_sliders(qtbot, window, small_mnist):
    from engine import VAE, VAEConfig
    win = window
    model = VAE(VAEConfig(hidden=(32,), latent_dim=4), seed=0)
    win.model = model
    win.explorer.set_dataset(small_mnist)
    win.explorer.set_model(model, reset=True)
    dims = win.dims_panel
    dims.x_combo.setCurrentIndex(2)
    dims.y_combo.setCurrentIndex(3)
    assert dims.dims() == (2, 3)
    assert sorted(dims._sliders) == [0, 1]
    dims._sliders[0].setValue(100)                  # z[0] = +2
    win.explorer.on_clicked(0.5, -0.5)
    z = win.explorer._selected
    assert np.allclose(z, [2.0, 0.0, 0.5, -0.5])
    assert np.array_equal(win.image_panel.decoded.image(), model.decode(z[None, :])[0].reshape(28, 28))
    dims.hold_combo.setCurrentIndex(1)
    win.explorer.show_test_image(0)
    mu, _ = model.encode(small_mnist.x_test[:1])
    assert np.allclose(dims.base()[[0, 1]], mu[0, [0, 1]], atol=0.02)


def test_save_open_and_exports(qtbot, model_window, tmp_path):
    win = model_window
    path = tmp_path / "again.npz"
    assert win.save_model(path=str(path))
    assert not win.dirty and path.exists()
    assert win.open_model(str(path))
    assert win.export_view(str(tmp_path / "view.png"))
    assert win.export_manifold(str(tmp_path / "manifold.png"))
    assert win.export_history(str(tmp_path / "h.csv"))
    rows = list(csv.reader(open(tmp_path / "h.csv")))
    assert rows[0][:3] == ["epoch", "train_loss", "test_loss"] and len(rows) == 2
    from PIL import Image
    assert Image.open(tmp_path / "manifold.png").size == (560, 560)


def test_opened_history_fits_the_loss_plot(qtbot, model_window):
    hist = model_window.model_file.history
    (_, _), (y0, y1) = model_window.loss_plots.loss_plot.getViewBox().viewRange()
    losses = [v for r in hist for v in (r.train_loss, r.test_loss, r.recon)]
    assert y0 <= min(losses) and max(losses) <= y1        # every epoch point is on the plot


def test_open_model_with_other_image_size_offers_a_switch(qtbot, window, tmp_path, small_mnist):
    from engine import Dataset, VAE, VAEConfig, save_model
    small = Dataset("tiny", small_mnist.x_train[:, :100], None, small_mnist.x_test[:, :100], None, (10, 10))
    window.add_dataset("tiny", small, None)
    model = VAE(VAEConfig(image_shape=(28, 28), hidden=(16,)), seed=0)
    save_model(tmp_path / "m28.npz", model)
    assert window.open_model(str(tmp_path / "m28.npz"))      # scripted: takes "Switch to MNIST"
    assert window.dataset.image_shape == (28, 28)
    assert window.explorer.dataset is window.dataset


def test_every_control_has_a_tooltip(window):
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QAbstractSlider, QLineEdit, QListWidget)
    missing = [f"{type(w).__name__}:{w.objectName() or getattr(w, 'text', lambda: '')()}"
               for k in kinds for w in window.findChildren(k)
               if w.isVisibleTo(window) and not w.toolTip() and not w.objectName().startswith("qt_")
               and type(w).__name__ not in ("QToolButton", "QScrollBar")]
    assert not missing, missing
    # the names in the settings forms and the View menu's panel toggles explain themselves too
    for form in window.panel.findChildren(QFormLayout) + window.dims_panel.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            assert form.itemAt(row, QFormLayout.LabelRole).widget().toolTip()
    view_menu = [m for m in window.menuBar().findChildren(QMenu) if m.title() == "&View"][0]
    for a in view_menu.actions():
        assert a.isSeparator() or a.toolTip() != a.text().replace("&", ""), a.text()


def test_bad_settings_report_instead_of_crashing(qtbot, window):
    window.panel.hidden_edit.setText("12,abc")
    window.start_training()
    assert "Cannot start" in window.status_text()
    assert not window.training.running
