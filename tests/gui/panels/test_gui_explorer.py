"""The explorer on a model: clicks decode, drops encode, interpolation, draw pad, dims, files."""
import csv

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QMimeData, QPointF, Qt
from PyQt5.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PyQt5.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QMenu,
)

from vaegui.widgets.latent_view import MIME_TEST_INDEX


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
    assert window.commands.open_model(str(path))
    return window


def test_click_shows_exactly_the_engines_decode(qtbot, model_window, view_pos):
    win = model_window
    view = win.map_panel.view
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view_pos(view, 1.0, -0.5))
    z = win.session.selected
    px = view.vb.viewPixelSize()
    assert abs(z[0] - 1.0) <= 1.5 * px[0] and abs(z[1] + 0.5) <= 1.5 * px[1]
    expected = win.session.model.decode(z[None, :])[0].reshape(28, 28)
    assert np.array_equal(win.panels["inspector"].decoded.image(), expected)
    mx, my = view.marker.pos().x(), view.marker.pos().y()
    assert view.marker.isVisible() and np.allclose([mx, my], z)
    assert win.status_text().startswith(f"Decoded the point z = ({z[0]:+.2f}, {z[1]:+.2f})")


def _mouse(widget, kind, pos, button, buttons) -> None:
    """A raw mouse event: unlike QTest's mouseMove, it can carry a held button (a drag)."""
    QApplication.sendEvent(widget, QMouseEvent(kind, QPointF(pos), button, buttons, Qt.NoModifier))


def test_hover_and_marker_drag_decode(qtbot, model_window, view_pos, settled):
    win = model_window
    view, vp = win.map_panel.view, win.map_panel.view.viewport()
    model, inspector = win.session.model, win.panels["inspector"]
    settled(lambda: (tuple(map(tuple, view.viewRange())), vp.size()))   # the layout has settled: the range is final
    pos = view_pos(view, 0.3, 0.2)
    qtbot.mouseMove(vp, pos)                         # hovering previews the point under the cursor
    under = view.vb.mapSceneToView(view.mapToScene(pos))
    assert np.array_equal(inspector.hover.image(),
                          model.decode(np.array([[under.x(), under.y()]]))[0].reshape(28, 28))
    qtbot.mouseClick(vp, Qt.LeftButton, pos=view_pos(view, 0.0, 0.0))
    start = win.session.selected
    _mouse(vp, QEvent.MouseButtonPress, view_pos(view, *start), Qt.LeftButton, Qt.LeftButton)
    path = []
    px = view.vb.viewPixelSize()

    def moved_to(x, y):
        """Move the held mouse to (x, y) until the marker is there (pyqtgraph drops mouse moves
        that come faster than it redraws, so a move is repeated until it lands, never slept on)."""
        _mouse(vp, QEvent.MouseMove, view_pos(view, x, y), Qt.NoButton, Qt.LeftButton)
        z = win.session.selected
        return abs(z[0] - x) <= 3 * px[0] and abs(z[1] - y) <= 3 * px[1]

    for t in np.linspace(0.2, 1.0, 5):              # decodes continuously while the marker moves
        qtbot.waitUntil(lambda: moved_to(-t, t), timeout=5000)
        z = win.session.selected
        assert np.allclose(z, [view.marker.pos().x(), view.marker.pos().y()])
        assert np.array_equal(inspector.decoded.image(), model.decode(z[None, :])[0].reshape(28, 28))
        path.append(z)
    _mouse(vp, QEvent.MouseButtonRelease, view_pos(view, -1.0, 1.0), Qt.LeftButton, Qt.NoButton)
    assert np.all(np.diff(np.array(path)[:, 0]) < 0) and np.all(np.diff(np.array(path)[:, 1]) > 0)
    assert abs(path[-1][0] + 1.0) <= 3 * px[0] and abs(path[-1][1] - 1.0) <= 3 * px[1]


def test_drop_gallery_image_shows_reconstruction_and_posterior(qtbot, model_window, small_mnist, view_pos):
    from engine import posterior_ellipse
    win = model_window
    gallery = win.findChild(QListWidget, "gallery")
    assert gallery.count() > 0
    index = gallery.item(3).data(Qt.UserRole)
    view = win.map_panel.view
    md = QMimeData()
    md.setData(MIME_TEST_INDEX, str(index).encode())
    assert gallery.mimeData([gallery.item(3)]).data(MIME_TEST_INDEX) == md.data(MIME_TEST_INDEX)
    pos = view_pos(view, 0.0, 0.0)
    # what Qt delivers during a drag and drop: enter, move, drop
    enter = QDragEnterEvent(pos, Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(view.viewport(), QDragMoveEvent(pos, Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
    with qtbot.waitSignal(view.image_dropped, timeout=1000):
        QApplication.sendEvent(view.viewport(),
                               QDropEvent(QPointF(pos), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
    x = small_mnist.test_float(index)
    mu, logvar = win.session.model.encode(x[None, :])
    recon = win.session.model.decode(mu)[0].reshape(28, 28)
    inspector = win.panels["inspector"]
    assert np.array_equal(inspector.reconstruction.image(), recon)
    assert np.array_equal(inspector.original.image(), x.reshape(28, 28))
    assert win.session.dropped.index == index
    mean, xs, ys = view.posterior()
    assert np.allclose(mean, mu[0], atol=1e-6)
    outline = posterior_ellipse(mu[0], logvar[0], (0, 1), 1.0)
    assert np.allclose(xs, outline[:, 0]) and np.allclose(ys, outline[:, 1])


def test_another_model_leaves_no_stale_inspector(qtbot, model_window, tmp_path):
    from engine import VAE, VAEConfig, save_model
    win = model_window
    win.map_panel.click_at(0.5, 0.5)
    win.session.drop_test_image(0)
    panel = win.panels["inspector"]
    assert panel.decoded.image() is not None and panel.post_label.text()
    save_model(tmp_path / "other.npz", VAE(VAEConfig(hidden=(16,), latent_dim=2), seed=3))
    assert win.commands.open_model(str(tmp_path / "other.npz"))
    # nothing of the previous model's point or input is left on show
    assert panel.decoded.image() is None and panel.z_label.text() == ""
    assert panel.original.image() is None and panel.reconstruction.image() is None
    assert panel.post_label.text() == "" and "Test #" not in panel.original.caption()
    assert win.session.selected is None and win.session.input is None


def test_drawing_and_dropped_image_share_the_inspector(qtbot, model_window):
    win = model_window
    s, inspector = win.session, win.panels["inspector"]
    s.drop_test_image(4)
    pad = win.panels["draw"].canvas
    pad.stroke([(0.5, 0.2), (0.5, 0.8)])
    assert inspector.original.caption() == "Your drawing"
    s.set_snapshot(s.snapshot.__class__(s.model.copy(), None, None, 1.0))   # what a training snapshot does
    assert inspector.original.caption() == "Your drawing"    # the drawing stays on show
    pad.clear()                                              # the dropped image comes back
    assert inspector.original.caption().startswith("Test #4")
    assert win.status_text().startswith("Cleared the drawing")            # not "Encoded your drawing"
    assert np.array_equal(inspector.original.image(), s.dataset.test_float(4).reshape(28, 28))


def test_interpolation_between_two_points(qtbot, model_window):
    win = model_window
    interp, view, mp = win.panels["interp"], win.map_panel.view, win.map_panel
    qtbot.mouseClick(interp.pick_button, Qt.LeftButton)
    mp.click_at(-2.0, 0.0)
    mp.click_at(2.0, 1.0)
    strip = interp.strip.image()
    assert strip.shape == (28, 28 * 10)
    xs, ys = view.interp_item.getData()
    assert len(xs) == 10 and np.isclose(xs[0], -2.0) and np.isclose(ys[-1], 1.0)
    codes = np.stack([np.linspace(-2, 2, 10), np.linspace(0, 1, 10)], axis=1)
    assert np.allclose(strip[:, :28], win.session.model.decode(codes[:1])[0].reshape(28, 28))
    assert not interp.pick_button.isChecked()
    # picking again but giving up after one point keeps the path that was there
    qtbot.mouseClick(interp.pick_button, Qt.LeftButton)
    mp.click_at(0.5, 0.5)
    assert len(view.interp_item.getData()[0]) == 1
    qtbot.mouseClick(interp.pick_button, Qt.LeftButton)
    xs2, ys2 = view.interp_item.getData()
    assert np.allclose(xs2, xs) and np.allclose(ys2, ys)
    interp.steps_spin.setValue(5)                 # and it still answers to the steps
    assert interp.strip.image().shape == (28, 28 * 5)


def test_interpolation_between_gallery_images(qtbot, model_window, small_mnist):
    win = model_window
    g = win.panels["gallery"].list
    g.item(0).setSelected(True)
    g.item(5).setSelected(True)
    qtbot.mouseClick(win.panels["gallery"].interp_button, Qt.LeftButton)
    i, j = g.item(0).data(Qt.UserRole), g.item(5).data(Qt.UserRole)
    mu, _ = win.session.model.encode(small_mnist.x_test[[i, j]])
    xs, ys = win.map_panel.view.interp_item.getData()
    assert np.allclose([xs[0], ys[0]], mu[0], atol=1e-5) and np.allclose([xs[-1], ys[-1]], mu[1], atol=1e-5)


def test_draw_pad_encodes_live(qtbot, model_window):
    win = model_window
    pad = win.panels["draw"].canvas
    assert pad.objectName() == "drawPad"
    pad.stroke([(0.5, 0.2), (0.5, 0.8)])           # a vertical bar: a "1"
    img = pad.image()
    assert img.shape == (784,) and img.max() > 0.9
    mu, _ = win.session.model.encode(img[None, :])
    assert np.allclose(win.map_panel.view.posterior("draw")[0], mu[0], atol=1e-6)
    assert np.array_equal(win.panels["inspector"].reconstruction.image(),
                          win.session.model.decode(mu)[0].reshape(28, 28))
    assert "Encoded your drawing" in win.status_text()
    # real mouse gestures draw too
    pad.clear()
    qtbot.mousePress(pad, Qt.LeftButton, pos=pad.rect().center())
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=pad.rect().center())
    assert pad.image().max() > 0.5
    pad.clear()
    assert win.map_panel.view.posterior("draw") is None and win.session.drawing is None


def test_manifold_follows_the_view_and_toggles(qtbot, model_window):
    win = model_window
    mp = win.map_panel
    assert mp.mosaic.shape == (20 * 28, 20 * 28)
    mp.grid_spin.setValue(10)
    qtbot.waitUntil(lambda: mp.mosaic.shape == (280, 280), timeout=10000)
    mp.view.vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def covers_the_view():              # the debounced decode spans exactly what is shown
        (x0, x1), (y0, y1) = mp.view.vb.viewRange()
        side = max(x1 - x0, y1 - y0)
        e = mp.extent
        return side < 4 and np.isclose(e[1] - e[0], side, rtol=0.05) and e[0] <= x0 + 1e-6 and e[3] >= y1 - 1e-6
    qtbot.waitUntil(covers_the_view, timeout=10000)
    mp.manifold_check.setChecked(False)
    assert not mp.view.manifold_item.isVisible()
    mp.scatter_check.setChecked(False)
    assert not mp.view.scatter_visible()


def test_latent_above_two_uses_chosen_dims_and_sliders(qtbot, window, small_mnist):
    from engine import VAE, VAEConfig
    win, s = window, window.session
    model = VAE(VAEConfig(hidden=(32,), latent_dim=4), seed=0)
    s.set_model(model)
    dims = win.panels["dims"]
    dims.x_combo.setCurrentIndex(2)
    dims.y_combo.setCurrentIndex(3)
    assert s.dims == (2, 3)
    assert sorted(dims.slider_values()) == [0, 1]
    win.findChild(QAbstractSlider, "dimSlider0").setValue(100)     # z[0] = +2
    win.map_panel.click_at(0.5, -0.5)
    z = s.selected
    assert np.allclose(z, [2.0, 0.0, 0.5, -0.5])
    assert np.array_equal(win.panels["inspector"].decoded.image(), model.decode(z[None, :])[0].reshape(28, 28))
    dims.hold_combo.setCurrentIndex(1)
    s.drop_test_image(0)
    mu, _ = model.encode(small_mnist.x_test[:1])
    assert np.allclose(s.base[[0, 1]], mu[0, [0, 1]], atol=1e-6)
    assert np.allclose(list(dims.slider_values().values()), mu[0, [0, 1]], atol=0.02)


def test_save_open_and_exports(qtbot, model_window, tmp_path):
    win, c = model_window, model_window.commands
    path = tmp_path / "again.npz"
    assert c.save_model(path=str(path))
    assert not win.session.dirty and path.exists()
    assert c.open_model(str(path))
    assert c.export_view(win.map_panel.view, str(tmp_path / "view.png"))
    assert c.export_manifold(win.map_panel.mosaic, str(tmp_path / "manifold.png"))
    assert c.export_history(str(tmp_path / "h.csv"))
    rows = list(csv.reader(open(tmp_path / "h.csv")))
    assert rows[0][:5] == ["epoch", "batches", "epochs_trained", "train_loss", "test_loss"] and len(rows) == 2
    from PIL import Image
    assert Image.open(tmp_path / "manifold.png").size == (560, 560)


def test_opened_history_fits_the_loss_plot(qtbot, model_window):
    hist = model_window.session.history()
    (_, _), (y0, y1) = model_window.panels["loss"].loss_plot.getViewBox().viewRange()
    losses = [v for r in hist for v in (r.train_loss, r.test_loss, r.recon)]
    assert y0 <= min(losses) and max(losses) <= y1        # every epoch point is on the plot


def test_open_model_with_other_image_size_offers_a_switch(qtbot, window, tmp_path, small_mnist, encoded):
    from engine import VAE, Dataset, VAEConfig, save_model
    s = window.session
    small = Dataset("tiny", small_mnist.x_train[:, :100], None, small_mnist.x_test[:, :100], None, (10, 10))
    s.add_dataset("tiny", small, None)
    model = VAE(VAEConfig(image_shape=(28, 28), hidden=(16,)), seed=0)
    save_model(tmp_path / "m28.npz", model)
    assert window.commands.open_model(str(tmp_path / "m28.npz"))      # scripted: takes "Switch to MNIST"
    encoded(s)
    assert s.dataset.image_shape == (28, 28, 1) and s.dataset_label == "MNIST"
    assert s.snapshot.codes is not None                                 # the scatter of the MNIST test set


def test_every_control_has_a_tooltip(window):
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QAbstractSlider, QLineEdit, QListWidget)
    missing = [f"{type(w).__name__}:{w.objectName() or getattr(w, 'text', lambda: '')()}"
               for k in kinds for w in window.findChildren(k)
               if w.isVisibleTo(window) and not w.toolTip() and not w.objectName().startswith("qt_")
               and type(w).__name__ not in ("QToolButton", "QScrollBar")]
    assert not missing, missing
    # the names in the settings forms and the View menu's panel toggles explain themselves too
    for form in window.panels["training"].findChildren(QFormLayout) + window.panels["dims"].findChildren(QFormLayout):
        for row in range(form.rowCount()):
            assert form.itemAt(row, QFormLayout.LabelRole).widget().toolTip()
    view_menu = [m for m in window.menuBar().findChildren(QMenu) if m.title() == "&View"][0]
    for a in view_menu.actions():
        assert a.isSeparator() or a.toolTip() != a.text().replace("&", ""), a.text()


def test_bad_settings_report_instead_of_crashing(qtbot, window):
    window.panels["training"].hidden_edit.setText("12,abc")
    window.panels["training"].start()
    assert "Cannot start" in window.status_text()
    assert not window.session.training.running
