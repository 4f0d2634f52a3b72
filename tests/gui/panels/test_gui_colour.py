"""A colour model in the window: every picture it shows is in colour, pixel for pixel the
engine's; the draw pad draws with a pen colour on a background colour; exports are RGB."""
import numpy as np
import pytest
from PIL import Image
from PyQt5.QtWidgets import QListWidget

SHAPE = (6, 5, 3)


def levels(values: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] -> the 8-bit levels a screen shows (round half up)."""
    return np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8)


@pytest.fixture
def colour_window(window, tmp_path):
    """The window on a small colour data set (stored uint8) with an untrained colour model opened
    from a file."""
    from engine import VAE, Dataset, VAEConfig, save_model
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, int(np.prod(SHAPE))), dtype=np.uint8)
    data = Dataset("swatches", x[:30], None, x[30:], None, SHAPE)
    window.session.add_dataset("swatches", data)
    path = tmp_path / "colour.npz"
    save_model(path, VAE(VAEConfig(image_shape=SHAPE, hidden=(8,), latent_dim=2), seed=2), dataset=data)
    assert window.commands.open_model(str(path))
    assert window.session.compatible
    return window


def test_the_inspector_shows_the_engines_colour_decode_pixel_for_pixel(qtbot, colour_window):
    win = colour_window
    win.map_panel.click_at(0.8, -0.4)
    z = win.session.selected
    expected = win.session.model.decode(z[None, :])[0].reshape(SHAPE)
    decoded = win.panels["inspector"].decoded
    assert np.array_equal(decoded.image(), expected)
    shown = decoded.pixels()                                   # read back from the painted QImage
    assert shown.shape == SHAPE and np.array_equal(shown, levels(expected))
    assert len(np.unique(shown.reshape(-1, 3), axis=0)) > 1 and not np.all(shown[..., 0] == shown[..., 1])


def test_a_dropped_colour_image_its_reconstruction_strip_manifold_and_gallery(qtbot, colour_window, tmp_path):
    win = colour_window
    s, inspector = win.session, win.panels["inspector"]
    s.drop_test_image(3)
    stored = s.dataset.x_test[3].reshape(SHAPE)
    assert np.array_equal(inspector.original.pixels(), stored)           # the very bytes loaded
    mu, _ = s.model.encode(s.dataset.test_float(3)[None, :])
    assert np.array_equal(inspector.reconstruction.pixels(), levels(s.model.decode(mu)[0].reshape(SHAPE)))
    z = np.array([0.3, -0.2])
    s.set_hover(z)
    assert np.array_equal(inspector.hover.pixels(), levels(s.model.decode(z[None, :])[0].reshape(SHAPE)))
    s.path_between_test_images(0, 1)
    strip = win.panels["interp"].strip.pixels()
    assert strip.shape == (SHAPE[0], SHAPE[1] * s.path_steps, 3)
    qtbot.waitUntil(lambda: win.map_panel.mosaic is not None, timeout=5000)
    mosaic = win.map_panel.mosaic
    assert mosaic.ndim == 3 and mosaic.shape[2] == 3
    icon = win.findChild(QListWidget, "gallery").item(0).icon().pixmap(32, 32).toImage()
    assert not icon.isGrayscale()
    out = tmp_path / "manifold.png"
    assert win.commands.export_manifold(mosaic, str(out))
    with Image.open(out) as im:
        assert im.mode in ("RGB", "RGBA") and np.array_equal(np.asarray(im.convert("RGB")), levels(mosaic))


def test_the_draw_pad_draws_a_pen_colour_on_a_background_colour(qtbot, colour_window):
    win = colour_window
    panel, s = win.panels["draw"], win.session
    pad = panel.canvas
    assert pad.image_shape == SHAPE and panel.pen_button.isVisible() and panel.ground_button.isVisible()
    panel.ground_button.setColor((0, 0, 255))
    panel.pen_button.setColor((255, 0, 0))
    blank = pad.image().reshape(SHAPE)
    assert np.all(blank == (0.0, 0.0, 1.0)) and s.drawing is None     # a blank pad encodes nothing
    pad.stroke([(0.5, 0.0), (0.5, 1.0)])
    drawn = pad.image().reshape(SHAPE)
    assert np.allclose(drawn[:, 2], (1.0, 0.0, 0.0)) and np.allclose(drawn[:, 0], (0.0, 0.0, 1.0))
    assert np.array_equal(s.drawing.image, pad.image())
    assert win.panels["inspector"].original.pixels().shape == SHAPE
    pad.clear()
    assert s.drawing is None


def test_a_grey_model_keeps_a_grey_pad_without_colour_buttons(qtbot, window):
    panel = window.panels["draw"]
    assert panel.canvas.image_shape == (28, 28) and not panel.pen_button.isVisible()
    panel.canvas.stroke([(0.5, 0.2), (0.5, 0.8)])
    assert panel.canvas.image().shape == (784,) and panel.canvas.image().max() == 1.0
