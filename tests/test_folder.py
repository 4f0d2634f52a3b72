"""Loading the user's own image folders: labels and layout, and image sizes (the helpers here are
shared by the other folder tests: test_data_pixels, _bad_files, _folder_cache, _folder_arrays).

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from engine.data.folder import load_folder
from engine.data.scan import scan_folder


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


def png_bytes(shape=(16, 16)):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


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
