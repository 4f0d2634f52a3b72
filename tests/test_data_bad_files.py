"""Folders with bad, unreadable or too few images, and the seeded test split.

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from test_folder import flat_image, load, png_bytes, save

from engine.data.folder import FolderLoad
from engine.data.splits import split_indices
from engine.errors import DataError


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


# ---- bad input --------------------------------------------------------------------------------

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
