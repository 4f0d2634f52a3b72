"""Folder images to pixels: colour, bit depth, palettes, transparency, formats, orientation, polarity.

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_folder import all_x, flat_image, load, px, save


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


# ---- pixel conversion -------------------------------------------------------------------------

def test_colour_is_converted_with_itu_601_luma(tmp_path):
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    save(tmp_path / "red.png", rgb)
    save(tmp_path / "red.jpg", rgb)
    save(tmp_path / "red.bmp", rgb)
    r = load(tmp_path, image_size=4, color="grey")
    assert r.loaded == 3
    luma = Image.new("RGB", (1, 1), (255, 0, 0)).convert("L").getpixel((0, 0))
    assert luma == 76  # 0.299 * 255
    x = all_x(r.dataset)
    np.testing.assert_allclose(x, 76 / 255, atol=3 / 255)  # JPEG is lossy, PNG/BMP are exact
    assert np.sum(np.isclose(x[:, 0], px(76))) >= 2


def test_sixteen_bit_is_scaled_not_clipped(tmp_path):
    a = np.array([[0, 65535], [32768, 257]], np.uint16)
    save(tmp_path / "deep.png", a)
    save(tmp_path / "other.png", a)
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    x = all_x(load(tmp_path, image_size=(2, 2)).dataset)
    np.testing.assert_array_equal(x[0], px(np.array([0, 255, 128, 1])))
    assert x[0, 1] == 1.0


def test_palette_image_goes_through_rgb(tmp_path):
    im = Image.new("P", (4, 4))
    im.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)  # index 1 = pure green
    im.putpixel((0, 0), 1)
    for i in range(2):
        im.save(tmp_path / f"p{i}.png")
        im.save(tmp_path / f"p{i}.gif")
    x = all_x(load(tmp_path, image_size=4, color="grey").dataset).reshape(-1, 4, 4)
    green = Image.new("RGB", (1, 1), (0, 255, 0)).convert("L").getpixel((0, 0))
    assert green == 150
    np.testing.assert_array_equal(x[:, 0, 0], px(green))
    assert np.all(x[:, 1:, 1:] == 0)


def test_rgba_transparency_becomes_background(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)  # black, fully transparent ...
    rgba[1:3, 1:3, 3] = 255                # ... except an opaque black square
    save(tmp_path / "a.png", rgba)
    save(tmp_path / "b.png", rgba)
    r = load(tmp_path, image_size=4, invert=False)
    x = all_x(r.dataset).reshape(-1, 4, 4)
    # dark ink on a transparent ground goes onto white
    assert np.all(x[:, 0, :] == 1.0) and np.all(x[:, 1:3, 1:3] == 0.0)
    r = load(tmp_path, image_size=4, invert=None)
    x = all_x(r.dataset).reshape(-1, 4, 4)
    assert r.inverted and np.all(x[:, 0, :] == 0.0) and np.all(x[:, 1:3, 1:3] == 1.0)


def test_half_transparent_light_ink_goes_onto_black(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[0, 0, 3] = 255
    rgba[1, 1, 3] = 128
    save(tmp_path / "a.png", rgba)
    save(tmp_path / "b.png", rgba)
    x = all_x(load(tmp_path, image_size=2).dataset).reshape(-1, 2, 2)
    np.testing.assert_array_equal(x[:, 0, 0], 1.0)
    np.testing.assert_array_equal(x[:, 0, 1], 0.0)
    np.testing.assert_array_equal(x[:, 1, 1], px(128))


def test_every_common_format_decodes_to_the_same_pixels(tmp_path):
    a = (np.arange(64).reshape(8, 8) * 4).astype(np.uint8)
    im = Image.fromarray(a)
    for fmt in ("png", "bmp", "gif", "tiff", "webp"):
        im.save(tmp_path / f"g.{fmt}", **({"lossless": True} if fmt == "webp" else {}))
    Image.fromarray(a.astype(np.uint16) * 257).save(tmp_path / "g16.tiff")
    r = load(tmp_path)
    assert r.loaded == 6 and r.skipped == []
    np.testing.assert_array_equal(all_x(r.dataset), np.tile(px(a.reshape(-1)), (6, 1)))


def test_palette_transparency_is_composited(tmp_path):
    im = Image.new("P", (4, 4), 0)
    im.putpalette([0, 0, 0, 30, 30, 30] + [0] * 762)
    im.putpixel((1, 1), 1)
    im.info["transparency"] = 0
    for i in range(2):
        im.save(tmp_path / f"t{i}.gif", transparency=0)
    x = all_x(load(tmp_path, image_size=4).dataset).reshape(-1, 4, 4)
    assert np.all(x[:, 0, 0] == 1.0) and np.all(x[:, 1, 1] == px(30))


def test_permission_denied_reason(tmp_path, monkeypatch):
    from engine.data import decode as image_decode
    for name in "abc":
        save(tmp_path / f"{name}.png", flat_image(0))
    real_open = image_decode.Image.open

    def fake_open(path, *a, **k):
        if str(path).endswith("c.png"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr(image_decode.Image, "open", fake_open)
    assert load(tmp_path).skipped == [("c.png", "cannot read: permission denied")]


# ---- inversion --------------------------------------------------------------------------------

def ink_on_paper(tmp_path, n=4):
    for i in range(n):
        a = np.full((8, 8), 255, np.uint8)
        a[2:6, 3] = 0
        save(tmp_path / f"{i}.png", a)


def test_dark_ink_on_light_ground_is_inverted_automatically(tmp_path):
    ink_on_paper(tmp_path)
    r = load(tmp_path, invert=None)
    x = all_x(r.dataset).reshape(-1, 8, 8)
    assert r.inverted and np.all(x[:, 0] == 0.0) and np.all(x[:, 2:6, 3] == 1.0)
    assert any("inverted" in note for note in r.dataset.notes)


def test_inversion_can_be_overridden(tmp_path):
    ink_on_paper(tmp_path)
    r = load(tmp_path, invert=False)
    assert not r.inverted and np.all(all_x(r.dataset).reshape(-1, 8, 8)[:, 0] == 1.0)
    r = load(tmp_path, invert=True)
    assert r.inverted


def test_light_ink_on_dark_ground_is_left_alone(tmp_path):
    for i in range(3):
        a = np.zeros((8, 8), np.uint8)
        a[3, 2:6] = 255
        save(tmp_path / f"{i}.png", a)
    r = load(tmp_path, invert=None)
    assert not r.inverted and all_x(r.dataset).reshape(-1, 8, 8)[0, 3, 3] == 1.0
