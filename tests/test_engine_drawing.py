"""A drawing is framed as MNIST framed its digits: a 20x20 box, centred by mass in 28x28."""
import numpy as np

from engine.drawing import frame_drawing


def _mass_centre(img):
    w = img if img.ndim == 2 else img.max(axis=2)
    ys, xs = np.indices(w.shape)
    return (ys * w).sum() / w.sum(), (xs * w).sum() / w.sum()


def test_a_drawing_that_fills_the_pad_is_brought_into_a_20_pixel_box_at_the_centre():
    img = np.zeros((28, 28), np.float32)
    img[0:28, 2:26] = 1.0                   # a fat stroke filling the pad, off-centre
    img[0:10, 0:28] = 1.0
    out = frame_drawing(img)
    rows, cols = np.nonzero(out > 0.05)
    assert rows.max() - rows.min() + 1 <= 21 and cols.max() - cols.min() + 1 <= 21
    cy, cx = _mass_centre(out)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    assert out.shape == img.shape and out.dtype == np.float32 and 0.0 <= out.min() and out.max() <= 1.0


def test_a_small_corner_drawing_is_enlarged_and_centred():
    img = np.zeros((28, 28), np.float32)
    img[1:6, 1:3] = 1.0                     # a short upright stroke in the corner
    out = frame_drawing(img)
    rows, _ = np.nonzero(out > 0.05)
    assert rows.max() - rows.min() + 1 >= 18  # its height now fills the box
    cy, cx = _mass_centre(out)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_colour_drawings_are_framed_against_their_background_and_empty_ones_kept():
    ground = np.array([1.0, 1.0, 1.0], np.float32)
    img = np.ones((32, 32, 3), np.float32)
    img[0:32, 0:8] = (0.9, 0.6, 0.1)        # a yellow band down the left edge
    out = frame_drawing(img, ground)
    ink = np.abs(out - ground).max(axis=2)
    cy, cx = _mass_centre(ink)
    assert abs(cx - 15.5) <= 1.0 and abs(cy - 15.5) <= 1.0
    assert np.allclose(out[0, 0], ground)   # the corner is background again
    blank = np.ones((32, 32, 3), np.float32)
    assert np.array_equal(frame_drawing(blank, ground), blank)
