"""Colour from the loader through the engine: exact pixel values of generated RGB folders,
grey folders unchanged, uint8 storage with the same float values, colour models (gradients,
mosaics, files, CLI) and old grey model files.  Every folder is generated under tmp_path."""
from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from test_engine_cli import engine
from test_engine_gradients import check

from engine import VAE, ImageShape, TrainConfig, Trainer, VAEConfig, load_folder, load_model, save_model, tile_images
from engine.data import Dataset
from engine.data.dataset import images_to_float, to_float
from engine.data.splits import split_indices
from engine.errors import ConfigError

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def load(root, **kw):
    kw.setdefault("workers", 1)
    return load_folder(root, **kw)


def by_file(result) -> np.ndarray:
    """Every image of an unlabelled folder as uint8 (n, H, W, C), in file-name order (the
    seeded split undone)."""
    ds = result.dataset
    n = len(ds.x_train) + len(ds.x_test)
    train, test = split_indices(n, None, ds.load_options["test_fraction"], ds.load_options["seed"])
    out = np.empty((n, ds.input_dim), np.uint8)
    out[train], out[test] = ds.x_train, ds.x_test
    return out.reshape(-1, *ds.image_shape)


def png16_rgb(path, rgb16: np.ndarray) -> None:
    """A 16-bit-per-channel RGB PNG written by hand (Pillow cannot write one)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def colour_folder(root):
    """Files a-f, each 4x4: pure red, green and blue PNGs, a half-transparent blue RGBA, a
    palette image, a 16-bit RGB PNG and a CMYK TIFF."""
    root.mkdir(parents=True, exist_ok=True)
    for name, c in (("a_red", RED), ("b_green", GREEN), ("c_blue", BLUE)):
        Image.new("RGB", (4, 4), c).save(root / f"{name}.png")
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 2], rgba[..., 3] = 255, 128          # blue at alpha 128/255 everywhere
    rgba[0, 0] = (0, 255, 0, 255)                  # one opaque green pixel
    Image.fromarray(rgba, "RGBA").save(root / "d_rgba.png")
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([200, 100, 50, 10, 20, 30] + [0] * 762)
    pal.putpixel((3, 3), 1)
    pal.save(root / "e_palette.png")
    deep = np.zeros((4, 4, 3), np.uint16)
    deep[...] = (65535, 0x8080, 0x4040)            # -> (255, 128, 64): scaled, never clipped
    png16_rgb(root / "f_deep.png", deep)
    Image.new("CMYK", (4, 4), (0, 255, 255, 0)).save(root / "g_cmyk.tiff")   # CMYK red
    return root


def test_a_colour_folder_loads_as_rgb_with_the_exact_values(tmp_path):
    r = load(colour_folder(tmp_path / "c"), image_size=4, background="#ff0000", test_fraction=0.2)
    assert r.dataset.image_shape == ImageShape(4, 4, 3) and r.dataset.x_train.dtype == np.uint8
    assert not r.inverted and r.skipped == []
    red, green, blue, rgba, pal, deep, cmyk = by_file(r)
    assert np.all(red == RED) and np.all(green == GREEN) and np.all(blue == BLUE)
    a = 128 / 255                                   # blue over the chosen red background
    assert np.all(rgba[1:, 1:] == (round(255 * (1 - a)), 0, round(255 * a)))
    assert tuple(rgba[0, 0]) == GREEN
    assert np.all(pal[:3, :3] == (200, 100, 50)) and tuple(pal[3, 3]) == (10, 20, 30)
    assert np.all(deep == (255, 128, 64))
    assert np.all(cmyk == RED)
    # the model sees exactly value / 255 in float32, as MNIST always did
    np.testing.assert_array_equal(r.dataset.test_float(), images_to_float(r.dataset.x_test))


def test_transparency_goes_onto_white_by_default_and_colour_is_never_inverted_unless_asked(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[1:3, 1:3] = (255, 0, 0, 255)               # a red square on a transparent ground
    for i in range(3):
        Image.fromarray(rgba, "RGBA").save(tmp_path / f"{i}.png")
    r = load(tmp_path, image_size=4, invert=None)
    x = by_file(r)
    assert not r.inverted and np.all(x[:, 0, 0] == 255) and np.all(x[:, 1, 1] == RED)
    asked = by_file(load(tmp_path, image_size=4, invert=True))
    assert np.all(asked[:, 0, 0] == 0) and np.all(asked[:, 1, 1] == (0, 255, 255))
    black = by_file(load(tmp_path, image_size=4, background="black"))
    assert np.all(black[:, 0, 0] == 0) and np.all(black[:, 1, 1] == RED)


def test_a_grey_folder_stays_grey_with_the_values_it_always_had(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        grey = rng.integers(0, 256, (5, 6), dtype=np.uint8)
        Image.fromarray(grey).save(tmp_path / f"g{i}.png")
        Image.fromarray(np.stack([grey] * 3, axis=2)).save(tmp_path / f"rgb{i}.png")   # grey stored as RGB
    auto = load(tmp_path, invert=False)
    grey = load(tmp_path, invert=False, color="grey")
    assert auto.dataset.image_shape == grey.dataset.image_shape == (5, 6, 1)
    np.testing.assert_array_equal(auto.dataset.x_train, grey.dataset.x_train)
    as_rgb = load(tmp_path, invert=False, color="rgb").dataset
    assert as_rgb.image_shape == (5, 6, 3)
    np.testing.assert_array_equal(as_rgb.x_train.reshape(-1, 3)[:, 0], grey.dataset.x_train.reshape(-1))


def test_a_mixed_folder_loads_as_rgb_and_grey_images_repeat_their_value(tmp_path):
    Image.new("L", (4, 4), 77).save(tmp_path / "a_grey.png")
    Image.new("RGB", (4, 4), (10, 200, 30)).save(tmp_path / "b_colour.png")
    x = by_file(load(tmp_path, image_size=4, test_fraction=0.5))
    assert x.shape == (2, 4, 4, 3) and np.all(x[0] == 77) and np.all(x[1] == (10, 200, 30))
    grey = by_file(load(tmp_path, image_size=4, test_fraction=0.5, color="grey"))
    assert grey.shape == (2, 4, 4, 1) and grey[1, 0, 0, 0] == round(0.299 * 10 + 0.587 * 200 + 0.114 * 30)


def test_colour_options_are_checked_recorded_and_cached_apart(tmp_path):
    colour_folder(tmp_path / "c")
    with pytest.raises(ConfigError, match="color"):
        load(tmp_path / "c", color="sepia")
    with pytest.raises(ConfigError, match="background"):
        load(tmp_path / "c", background="mauve")
    first = load(tmp_path / "c", image_size=4, background=(0, 0, 0))
    again = load(tmp_path / "c", image_size=4, background="#000000")
    other = load(tmp_path / "c", image_size=4)
    assert again.from_cache and not other.from_cache
    np.testing.assert_array_equal(first.dataset.x_train, again.dataset.x_train)
    assert first.dataset.load_options["color"] == "auto" and first.dataset.load_options["background"] == [0, 0, 0]


def test_uint8_storage_trains_exactly_as_the_float_data_it_stands_for():
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (50, 2 * 3 * 3), dtype=np.uint8)
    as_u8 = Dataset("u", u8[:40], None, u8[40:], None, (2, 3, 3))
    as_float = Dataset("f", images_to_float(u8[:40]), None, images_to_float(u8[40:]), None, (2, 3, 3))
    runs = []
    for data in (as_u8, as_float):
        trainer = Trainer(VAE(VAEConfig(image_shape=(2, 3, 3), hidden=(8,)), seed=3), data,
                          TrainConfig(epochs=2, batch_size=16, seed=3))
        runs.append(([r for r in trainer.run()][-1], trainer.model.params.copy()))
    assert runs[0][0].test_loss == runs[1][0].test_loss
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    every = np.arange(256, dtype=np.uint8)[None]
    assert np.array_equal(to_float(every).view(np.uint32), images_to_float(every).view(np.uint32))


@pytest.mark.parametrize("likelihood,variance", [("bernoulli", None), ("gaussian", None)])
def test_gradients_of_a_three_channel_model(likelihood, variance):
    check(VAEConfig(image_shape=(2, 1, 3), hidden=(4,), latent_dim=2, likelihood=likelihood,
                    output_variance=variance))


def test_colour_mosaics_keep_each_image_and_its_channels():
    images = np.arange(4 * 2 * 2 * 3, dtype=np.float32).reshape(4, 12)
    mosaic = tile_images(images, (2, 2, 3), 2, 2)
    assert mosaic.shape == (4, 4, 3)
    np.testing.assert_array_equal(mosaic[2:, :2], images[2].reshape(2, 2, 3))   # row 1, column 0
    assert tile_images(images[:, :4], (2, 2), 2, 2).shape == (4, 4)             # grey stays 2-D


def test_a_colour_model_file_round_trips_and_an_old_grey_file_still_opens(tmp_path):
    model = VAE(VAEConfig(image_shape=(3, 2, 3), hidden=(5,)), seed=0)
    path = save_model(tmp_path / "colour.npz", model)
    opened = load_model(path)
    assert opened.image_shape == (3, 2, 3) and opened.model.config.image_shape.is_colour
    np.testing.assert_array_equal(opened.model.decode(np.ones((1, 2))), model.decode(np.ones((1, 2))))

    grey = VAE(VAEConfig(image_shape=(3, 2), hidden=(5,)), seed=0)
    with np.load(save_model(tmp_path / "new.npz", grey)) as z:
        arrays = dict(z)
    meta = json.loads(arrays["meta"].tobytes())
    meta["model"]["image_shape"] = meta["dataset"]["image_shape"] = [3, 2]   # as written before colour
    meta["dataset"].update(source="/somewhere", load_options={"image_size": [3, 2], "invert": False})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = load_model(tmp_path / "old.npz")
    assert old.image_shape == (3, 2, 1) and old.model.config.input_dim == 6
    assert old.folder_options()["color"] == "grey"          # reloading its folder keeps it grey
    np.testing.assert_array_equal(old.model.decode(np.ones((1, 2))), grey.decode(np.ones((1, 2))))


def test_cli_trains_evaluates_and_samples_a_colour_model(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "pics").mkdir()
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)).save(tmp_path / "pics" / f"{i:02d}.png")
    model = tmp_path / "m.npz"
    run = engine("train", "--data", tmp_path / "pics", "--size", "6x5", "--color", "rgb", "--hidden", 8,
                 "--epochs", 1, "--batch", 4, "--threads", 1, "--json", "--save", model, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert load_model(model).image_shape == (6, 5, 3)
    evaluated = engine("evaluate", model, "--iw", 3, "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["images"] == 1
    sampled = engine("sample", model, "--grid", 3, "--out", tmp_path / "g.png", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    with Image.open(tmp_path / "g.png") as im:
        assert im.mode == "RGB" and im.size == (15, 18)
    bad = engine("train", "--data", tmp_path / "pics", "--size", "6x", cwd=tmp_path)
    assert bad.returncode == 2 and "--size" in bad.stderr and "Traceback" not in bad.stderr
