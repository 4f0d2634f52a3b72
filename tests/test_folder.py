"""Loading the user's own image folders: formats, labels, sizes, bad files, cache, split, cancel.

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import gzip
import io
import os
import sys

import numpy as np
import pytest
from PIL import Image

from engine.data import folder as folder_mod
from engine.data import load_dataset, load_dataset_with_report
from engine.errors import DataError, EngineError
from engine.data.folder import FolderLoad, LoadCancelled, load_folder
from engine.data.scan import scan_folder
from engine.data.splits import split_indices


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array), mode).save(path) if mode else Image.fromarray(np.asarray(array)).save(path)
    return path


def px(value):
    """The float the engine gives an 8-bit value (scaled as load_mnist does)."""
    return np.float32(value) * np.float32(1 / 255)


def flat_image(value, shape=(8, 8)):
    return np.full(shape, value, np.uint8)


def listing(root):
    """Every path under root with its size and mtime: proves nothing was written there."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            st = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), root), st.st_size, st.st_mtime_ns))
    return sorted(out)


def load(root, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("invert", False)
    return load_folder(root, **kw)


def all_x(ds):
    """Every image as the float32 rows the model sees."""
    return np.concatenate([ds.train_float(), ds.test_float()])


def all_y(ds):
    return np.concatenate([ds.y_train, ds.y_test])


# ---- labels and layout ------------------------------------------------------------------------

def test_labelled_folder_uses_subfolders_as_classes(tmp_path):
    for i in range(3):
        save(tmp_path / "d" / "cat" / f"{i}.png", flat_image(50))
        save(tmp_path / "d" / "dog" / f"{i}.png", flat_image(200))
    r = load(tmp_path / "d")
    ds = r.dataset
    assert ds.name == "d" and ds.class_names == ["cat", "dog"] and ds.image_shape == (8, 8, 1)
    assert r.loaded == 6 and r.skipped == [] and r.summary() == "6 images loaded"
    x, y = all_x(ds), all_y(ds)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], np.where(y == 0, px(50), px(200)))


def test_flat_folder_is_unlabelled(tmp_path):
    for i in range(4):
        save(tmp_path / f"{i}.png", flat_image(10 * i))
    ds = load(tmp_path).dataset
    assert ds.class_names is None and ds.y_train is None and ds.y_test is None
    assert len(ds.x_train) + len(ds.x_test) == 4


def test_deeper_folders_count_under_their_top_level_class(tmp_path):
    root = tmp_path / "f"
    save(root / "a" / "x.png", flat_image(0))
    save(root / "a" / "sub" / "deep" / "y.png", flat_image(0))
    save(root / "b" / "z.png", flat_image(255))
    save(root / "stray.png", flat_image(0))          # beside the class folders: a class of its own
    r = load(root)
    assert r.dataset.class_names == ["a", "b", "f"] and r.loaded == 4
    assert sorted(all_y(r.dataset).tolist()) == [0, 0, 1, 2]
    assert r.skipped == []


def test_a_wrapper_folder_and_split_folders_are_seen_through(tmp_path):
    # data/images/{train,test}/<class>/... beside a README: the classes are cat and dog
    for split, n in (("train", 3), ("test", 1)):
        for cls, value in (("cat", 50), ("dog", 200)):
            for i in range(n):
                save(tmp_path / "data" / "images" / split / cls / f"{i}.png", flat_image(value))
    save(tmp_path / "data" / "images" / "train" / "stray.png", flat_image(0))
    (tmp_path / "data" / "README.md").write_text("about these images\n")
    r = load(tmp_path / "data")
    assert r.dataset.class_names == ["cat", "dog"] and r.loaded == 8
    assert r.skipped == [("README.md", "outside the class folders"),
                         ("images/train/stray.png", "outside the class folders")]
    x, y = all_x(r.dataset), all_y(r.dataset)
    np.testing.assert_array_equal(x[:, 0], np.where(y == 0, px(50), px(200)))
    assert "splits merged" in scan_folder(tmp_path / "data").describe()
    assert any("splits merged" in note for note in r.dataset.notes)


def test_split_folders_of_plain_images_are_unlabelled(tmp_path):
    for split in ("train", "test"):
        for i in range(2):
            save(tmp_path / split / f"{i}.png", flat_image(9))
    r = load(tmp_path)
    assert r.loaded == 4 and r.skipped == [] and r.dataset.class_names is None


def test_hidden_files_and_folders_are_ignored(tmp_path):
    save(tmp_path / "a.png", flat_image(1))
    save(tmp_path / "b.png", flat_image(2))
    save(tmp_path / ".hidden.png", flat_image(3))
    save(tmp_path / ".git" / "c.png", flat_image(4))
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    r = load(tmp_path)
    assert r.loaded == 2 and r.skipped == [] and r.dataset.class_names is None


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_loop_is_walked_once(tmp_path):
    save(tmp_path / "a" / "1.png", flat_image(0))
    save(tmp_path / "b" / "2.png", flat_image(0))
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a", tmp_path / "b" / "back")
    os.symlink(tmp_path / "gone.png", tmp_path / "b" / "dangling.png")
    r = load(tmp_path)
    assert r.loaded == 2 and r.dataset.class_names == ["a", "b"]
    assert r.skipped == [("b/dangling.png", "broken link")]


def test_unicode_file_names(tmp_path):
    save(tmp_path / "chiffres" / "été_数字_ß.png", flat_image(7))
    save(tmp_path / "chiffres" / "ünï.png", flat_image(7))
    r = load(tmp_path)
    assert r.loaded == 2 and r.dataset.class_names == ["chiffres"]


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


# ---- sizes ------------------------------------------------------------------------------------

def test_mixed_sizes_default_to_the_most_common(tmp_path):
    for i in range(3):
        save(tmp_path / f"small{i}.png", flat_image(0, (10, 12)))
    save(tmp_path / "big.png", flat_image(0, (40, 40)))
    scan = scan_folder(tmp_path)
    assert scan.most_common_size == (10, 12) and scan.suggested_size == (10, 12)
    r = load(tmp_path)
    assert r.dataset.image_shape == (10, 12, 1) and r.dataset.input_dim == 120
    assert load(tmp_path, image_size=6).dataset.image_shape == (6, 6, 1)


def test_large_common_size_suggests_28x28(tmp_path):
    for i in range(2):
        save(tmp_path / f"{i}.jpg", np.zeros((100, 80, 3), np.uint8))
    assert scan_folder(tmp_path).suggested_size == (28, 28)
    assert load(tmp_path).dataset.image_shape == (28, 28, 1)


def test_aspect_ratio_is_kept_by_padding_with_the_background(tmp_path):
    a = np.full((4, 8), 10, np.uint8)  # 8 wide, 4 high: border 10, inside 250
    a[1:3, 1:7] = 250
    save(tmp_path / "wide1.png", a)
    save(tmp_path / "wide2.png", a)
    x = all_x(load(tmp_path, image_size=8).dataset).reshape(-1, 8, 8)
    for img in x:
        np.testing.assert_array_equal(img[[0, 1, 6, 7]], px(10))
        np.testing.assert_array_equal(img[2:6], px(a))


def test_big_jpeg_is_reduced_while_decoding(tmp_path):
    a = np.zeros((1200, 1600), np.uint8)
    a[:, 800:] = 255
    save(tmp_path / "big1.jpg", a)
    save(tmp_path / "big2.jpg", a)
    x = all_x(load(tmp_path, image_size=(6, 8)).dataset).reshape(-1, 6, 8)
    assert np.all(x[:, :, :3] < 0.05) and np.all(x[:, :, 5:] > 0.95)



def test_big_pngs_are_reduced_before_the_grey_conversion(tmp_path, monkeypatch):
    # PNG has no draft(): the image must shrink before to_grey makes its full-size copies
    from engine.data import decode as image_decode
    left_dark = np.zeros((800, 1000), np.uint16)
    left_dark[:, 500:] = 65535
    rgba = np.zeros((800, 1000, 4), np.uint8)
    rgba[:, 500:, 3] = 255                       # transparent left half, opaque black right
    pal = Image.fromarray((left_dark > 0).astype(np.uint8), "P")
    pal.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    save(tmp_path / "deep.png", left_dark)
    save(tmp_path / "glass.png", rgba)
    pal.save(tmp_path / "pal.png", transparency=0)  # transparent left half, opaque white right
    seen = []
    real = image_decode.to_grey
    monkeypatch.setattr(image_decode, "to_grey", lambda im, *a: seen.append(im.size) or real(im, *a))
    x = all_x(load(tmp_path, image_size=(8, 10)).dataset).reshape(-1, 8, 10)
    assert len(seen) == 3 and all(w <= 40 and h <= 32 for w, h in seen)
    deep, glass, pal = x  # sorted by file name
    assert np.all(deep[:, :5] == 0) and np.all(deep[:, 5:] == 1)
    assert np.all(glass[:, :5] == 1) and np.all(glass[:, 5:] == 0)  # dark ink goes onto white
    assert np.all(pal[:, :5] == 0) and np.all(pal[:, 5:] == 1)      # light ink goes onto black


def test_exif_orientation_turns_the_picture_upright(tmp_path):
    a = np.zeros((40, 80), np.uint8)  # stored 80 wide x 40 high: left half black, right white
    a[:, 40:] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": upright it is 40 wide x 80 high
    for i in range(2):
        Image.fromarray(a).save(tmp_path / f"{i}.jpg", exif=exif, quality=95)
    x = all_x(load(tmp_path, image_size=(8, 4)).dataset).reshape(-1, 8, 4)
    assert np.all(x[:, :3] < 0.1) and np.all(x[:, 5:] > 0.9)  # the left half is now on top


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


# ---- bad input --------------------------------------------------------------------------------

def png_bytes(shape=(16, 16)):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_bad_files_are_skipped_with_reasons(tmp_path):
    save(tmp_path / "good1.png", flat_image(0))
    save(tmp_path / "good2.png", flat_image(0))
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("this is text, not a PNG\n")
    (tmp_path / "noise.jpg").write_bytes(np.random.default_rng(1).bytes(500))
    (tmp_path / "readme.md").write_text("# my images\n")
    data = png_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    r = load(tmp_path, image_size=8)
    assert r.loaded == 2
    assert dict(r.skipped) == {"cut.png": "truncated image", "empty.png": "zero-byte file",
                               "noise.jpg": "not an image", "notes.png": "not an image",
                               "readme.md": "not an image"}
    assert r.summary() == "2 images loaded, 5 skipped"
    assert r.details().splitlines()[0] == "cut.png: truncated image"
    assert "... and 3 more" in r.details(limit=2)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_skipped(tmp_path):
    save(tmp_path / "a.png", flat_image(0))
    save(tmp_path / "b.png", flat_image(0))
    locked = save(tmp_path / "c.png", flat_image(0))
    locked.chmod(0)
    try:
        r = load(tmp_path)
    finally:
        locked.chmod(0o644)
    assert r.skipped == [("c.png", "cannot read: permission denied")]


def test_no_such_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load(tmp_path / "missing")


def test_empty_folder(tmp_path):
    (tmp_path / ".hidden").write_text("x")
    with pytest.raises(DataError, match="empty"):
        load(tmp_path)


def test_folder_without_readable_images(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "b.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"no readable image \(2 skipped: .*zero-byte file \(1\)") as err:
        load(tmp_path)
    assert err.value.skipped == [("a.txt", "not an image"), ("b.png", "zero-byte file")]


def test_single_image_is_not_enough(tmp_path):
    save(tmp_path / "only.png", flat_image(0))
    with pytest.raises(DataError, match="only one readable image"):
        load(tmp_path)


def test_summary_formats_thousands():
    ds = load_dataset_like()
    assert FolderLoad(ds, 1203, [("a", "b")] * 3).summary() == "1,203 images loaded, 3 skipped"


def load_dataset_like():
    from engine.data import Dataset
    x = np.zeros((1, 4), np.float32)
    return Dataset("t", x, None, x, None, (2, 2))


# ---- split ------------------------------------------------------------------------------------

def test_split_is_stratified_seeded_and_never_empty(tmp_path):
    for i in range(20):
        save(tmp_path / "many" / f"{i}.png", flat_image(0))
    for i in range(10):
        save(tmp_path / "few" / f"{i}.png", flat_image(255))
    ds = load(tmp_path, test_fraction=0.1, seed=3).dataset
    assert ds.class_names == ["few", "many"]
    assert np.bincount(ds.y_test).tolist() == [1, 2] and np.bincount(ds.y_train).tolist() == [9, 18]
    again = load(tmp_path, test_fraction=0.1, seed=3).dataset
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    assert len(load(tmp_path, test_fraction=0.0).dataset.x_test) == 1


def test_split_indices_properties():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    train, test = split_indices(100, labels, 0.2, seed=1)
    assert np.bincount(labels[test]).tolist() == [10, 6, 4]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    other = split_indices(100, labels, 0.2, seed=2)[1]
    assert not np.array_equal(test, other)
    assert [len(p) for p in split_indices(2, None, 0.9)] == [1, 1]


# ---- cache ------------------------------------------------------------------------------------

def test_second_load_comes_from_the_cache_and_the_folder_is_untouched(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "mycache"
    for i in range(5):
        save(data / "k" / f"{i}.png", flat_image(40 * i))
    (data / "k" / "bad.png").write_text("nope")
    before = listing(data)
    first = load(data, cache_dir=cache)
    second = load(data, cache_dir=cache)
    assert not first.from_cache and second.from_cache
    assert second.summary() == first.summary() == "5 images loaded, 1 skipped"
    assert second.skipped == first.skipped
    for a, b in ((first.dataset.x_train, second.dataset.x_train), (first.dataset.y_test, second.dataset.y_test)):
        np.testing.assert_array_equal(a, b)
    assert listing(data) == before
    assert len(list(cache.glob("*.npz"))) == 1
    # A changed file is a different folder: decoded again.
    os.utime(data / "k" / "0.png", ns=(1, 1))
    assert not load(data, cache_dir=cache).from_cache
    # So is one rewritten with a new size but its old modification time.
    st = os.stat(data / "k" / "1.png")
    (data / "k" / "1.png").write_bytes(png_bytes((8, 8)))
    os.utime(data / "k" / "1.png", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(data / "k" / "1.png").st_size != st.st_size
    assert not load(data, cache_dir=cache).from_cache


def test_cache_defaults_to_the_environment_setting(tmp_path):
    save(tmp_path / "d" / "a.png", flat_image(0))
    save(tmp_path / "d" / "b.png", flat_image(0))
    load(tmp_path / "d")
    assert load(tmp_path / "d").from_cache
    assert list((tmp_path / "cache").glob("d-*.npz"))


def test_cache_inside_the_data_folder_is_never_written(tmp_path):
    save(tmp_path / "a.png", flat_image(0))
    save(tmp_path / "b.png", flat_image(0))
    before = listing(tmp_path)
    r = load(tmp_path, cache_dir=tmp_path / "inside")
    assert r.loaded == 2 and listing(tmp_path) == before


# ---- progress, cancel, worker processes -------------------------------------------------------

def test_progress_reaches_the_total(tmp_path):
    for i in range(6):
        save(tmp_path / f"{i}.png", flat_image(i))
    calls = []
    load(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (6, 6) and all(t == 6 for _, t in calls)


def test_cancel_raises_load_cancelled(tmp_path):
    for i in range(6):
        save(tmp_path / f"{i}.png", flat_image(i))
    with pytest.raises(LoadCancelled):
        load(tmp_path, cancelled=lambda: True)
    assert issubclass(LoadCancelled, EngineError)
    assert not list((tmp_path / "cache").glob("*.npz")) if (tmp_path / "cache").exists() else True


def test_worker_processes_match_in_thread_decoding(tmp_path, monkeypatch):
    for i in range(40):
        save(tmp_path / ("odd" if i % 2 else "even") / f"{i}.png", flat_image(i, (6, 5)))
    (tmp_path / "even" / "bad.png").write_bytes(b"junk")
    monkeypatch.setattr(folder_mod, "POOL_MIN_SECONDS", 0)
    leftovers = []
    real = folder_mod._decode_in_pool
    monkeypatch.setattr(folder_mod, "_decode_in_pool", lambda *a: leftovers.append(real(*a)) or leftovers[-1])
    pooled = load(tmp_path, workers=2, cache_dir=tmp_path / "c1")
    assert leftovers == [[]]  # the pool did all the work, nothing fell back to this thread
    serial = load(tmp_path, workers=1, cache_dir=tmp_path / "c2")
    assert pooled.skipped == serial.skipped == [("even/bad.png", "not an image")]
    np.testing.assert_array_equal(pooled.dataset.x_train, serial.dataset.x_train)
    np.testing.assert_array_equal(pooled.dataset.y_test, serial.dataset.y_test)


def test_worker_processes_start_from_a_background_thread(tmp_path, monkeypatch):
    # The GUI calls load_folder from a worker thread; forkserver must cope with a threaded parent.
    import threading
    for i in range(12):
        save(tmp_path / f"{i}.png", flat_image(i))
    monkeypatch.setattr(folder_mod, "POOL_MIN_SECONDS", 0)
    leftovers = []
    real = folder_mod._decode_in_pool
    monkeypatch.setattr(folder_mod, "_decode_in_pool", lambda *a: leftovers.append(real(*a)) or leftovers[-1])
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("r", load(tmp_path, workers=2)))
    worker.start()
    worker.join(timeout=60)
    assert out["r"].loaded == 12
    assert leftovers == [[]]   # the processes did the work: in-thread decoding would also load 12


def test_cancel_stops_worker_processes(tmp_path, monkeypatch):
    for i in range(40):
        save(tmp_path / f"{i}.png", flat_image(i))
    monkeypatch.setattr(folder_mod, "POOL_MIN_SECONDS", 0)
    monkeypatch.setattr(folder_mod, "CHUNK_MAX_FILES", 2)
    outcome = []
    real = folder_mod._decode_in_pool

    def watched(*a):
        try:
            outcome.append(real(*a))
        except LoadCancelled:
            outcome.append("cancelled in the pool")
            raise
        return outcome[-1]
    monkeypatch.setattr(folder_mod, "_decode_in_pool", watched)
    seen = []
    with pytest.raises(LoadCancelled):
        load(tmp_path, workers=2, progress=lambda d, t: seen.append(d), cancelled=lambda: bool(seen))
    assert outcome == ["cancelled in the pool"]   # not the in-thread fallback after a pool that never ran


# ---- IDX and arrays ---------------------------------------------------------------------------

def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)


def test_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (5, 4, 3)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 2, 1, 0]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (2, 4, 3)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([2, 2]))
    assert scan_folder(tmp_path).kind == "idx" and scan_folder(tmp_path).most_common_size == (4, 3)
    r = load_folder(tmp_path)
    assert r.kind == "idx" and r.loaded == 7 and r.dataset.image_shape == (4, 3, 1)
    assert load_dataset(tmp_path).y_test.tolist() == [2, 2]


def test_npy_folder(tmp_path):
    faces = np.random.default_rng(0).integers(0, 256, (30, 7, 5), dtype=np.uint8)
    np.save(tmp_path / "faces.npy", faces)
    (tmp_path / "README.md").write_text("faces")
    scan = scan_folder(tmp_path)
    assert scan.kind == "arrays" and scan.most_common_size == (7, 5)
    r = load_folder(tmp_path, test_fraction=0.2)
    ds = r.dataset
    assert r.kind == "arrays" and ds.image_shape == (7, 5, 1) and ds.class_names is None
    assert (len(ds.x_train), len(ds.x_test)) == (24, 6)
    got = np.sort(all_x(ds).sum(1))
    np.testing.assert_allclose(got, np.sort(faces.reshape(30, -1).astype(np.float32).sum(1) / 255), rtol=1e-5)


def test_several_npy_files_are_classes(tmp_path):
    np.save(tmp_path / "cat.npy", np.zeros((6, 16), np.uint8))        # flat 4x4
    np.save(tmp_path / "dog.npy", np.full((4, 4, 4), 1.0, np.float32))
    ds = load_folder(tmp_path).dataset
    assert ds.class_names == ["cat", "dog"] and ds.image_shape == (4, 4, 1)
    assert np.all(all_x(ds)[all_y(ds) == 1] == 1.0)


def test_npz_with_its_own_split(tmp_path):
    path = tmp_path / "set.npz"
    np.savez(path, x_train=np.zeros((5, 3, 3), np.uint8), y_train=np.arange(5) % 2,
             x_test=np.full((2, 3, 3), 255, np.uint8), y_test=np.array([0, 1]))
    ds, text = load_dataset_with_report(path)
    assert ds.name == "set" and len(ds.x_test) == 2 and np.all(ds.test_float() == 1.0)
    assert ds.class_names == ["0", "1"] and text == "7 images loaded"


def test_pickled_arrays_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="Python objects"):
        load_folder(tmp_path)


def test_load_dataset_reports_skipped_files(tmp_path):
    save(tmp_path / "a.png", flat_image(0))
    save(tmp_path / "b.png", flat_image(0))
    (tmp_path / "c.png").write_bytes(b"")
    ds, text = load_dataset_with_report(tmp_path, workers=1)
    assert text.splitlines() == ["2 images loaded, 1 skipped", "  c.png: zero-byte file"]
    assert load_dataset("MNIST").name == "mnist"
    with pytest.raises(DataError, match="no such file or folder"):
        load_dataset(tmp_path / "nothing")


def test_a_data_set_is_named_by_its_folder_with_generic_parents_kept(tmp_path):
    from engine import folder_name
    (tmp_path / "frey_faces" / "images").mkdir(parents=True)
    (tmp_path / "frey_faces" / "faces.npy").write_bytes(b"")
    assert folder_name(tmp_path / "frey_faces" / "images") == "frey_faces/images"
    assert folder_name(tmp_path / "frey_faces") == "frey_faces"
    assert folder_name(tmp_path / "frey_faces" / "faces.npy") == "faces"
    assert folder_name("/data/caltech/images/train") == "caltech/images/train"
