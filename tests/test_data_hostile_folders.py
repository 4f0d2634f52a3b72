"""Hostile folders and caches (issue 8, items 3, 4, 7, 8 and "also seen"): links out of the chosen
folder are never followed, scans are bounded and cancellable, a recorded source is reused only
while it is a readable data set, damaged cache entries are misses, passing failures are not
cached, images beside class folders are a class of their own, and only usable sizes are proposed.
"""
from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest
from PIL import Image

from engine import VAE, TrainConfig, Trainer, VAEConfig, cli, constants, save_model
from engine.data import ScanCancelled, recorded_source_problem
from engine.data import folder as folder_mod
from engine.data import load as load_mod
from engine.data import scan as scan_mod
from engine.data.folder import load_folder
from engine.data.scan import scan_folder
from engine.errors import DataError

needs_links = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def save(path, value=0, shape=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(shape, value, np.uint8)).save(path)
    return path


def load(root, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("invert", False)
    return load_folder(root, **kw)


# ---- item 4: links out of the folder, bounds, cancel -------------------------------------------

@needs_links
def test_links_out_of_the_chosen_folder_are_never_followed(tmp_path):
    save(tmp_path / "outside" / "a" / "o.png")                 # the parent tree holds images too
    root = tmp_path / "outside" / "mine"
    for i in range(3):
        save(root / f"{i}.png", 10 * i)
    os.symlink("..", root / "up")
    os.symlink("/", root / "all")
    os.symlink(tmp_path / "outside" / "a" / "o.png", root / "elsewhere.png")
    os.symlink(root / "0.png", root / "inside.png")           # a link within the folder is fine
    r = load(root)
    assert r.loaded == 4 and r.dataset.class_names is None
    assert r.skipped == [("all", "link to outside the folder (not followed)"),
                         ("elsewhere.png", "link to outside the folder (not followed)"),
                         ("up", "link to outside the folder (not followed)")]


def test_a_folder_with_too_many_entries_is_refused(tmp_path, monkeypatch):
    for i in range(12):
        (tmp_path / f"{i}.txt").write_text("x")
    monkeypatch.setattr(scan_mod, "MAX_SCAN_ENTRIES", 10)
    with pytest.raises(DataError, match="more than 10 files and folders"):
        scan_folder(tmp_path)


def test_folders_too_deep_are_skipped_with_the_reason(tmp_path, monkeypatch):
    save(tmp_path / "a" / "x.png")
    save(tmp_path / "b" / "1" / "2" / "3" / "deep.png")
    save(tmp_path / "b" / "y.png")
    monkeypatch.setattr(scan_mod, "MAX_SCAN_DEPTH", 2)
    scan = scan_folder(tmp_path)
    assert scan.files == ["a/x.png", "b/y.png"] and scan.skipped == [("b/1/2", "more than 2 folders deep")]


def test_a_scan_can_be_cancelled(tmp_path):
    for i in range(3):
        save(tmp_path / "k" / f"{i}.png")
    polls = []
    with pytest.raises(ScanCancelled):
        scan_folder(tmp_path, cancelled=lambda: polls.append(1) or len(polls) > 1)
    with pytest.raises(folder_mod.LoadCancelled):
        load(tmp_path, cancelled=lambda: True)


# ---- item 7: a recorded source is reused only while it is a data set ---------------------------

def trained_model_file(tmp_path):
    root = tmp_path / "shapes"
    for i in range(6):
        save(root / f"{i}.png", 40 * i)
    data = load(root, image_size=(4, 4)).dataset
    trainer = Trainer(VAE(VAEConfig(image_shape=(4, 4), hidden=(8,))), data, TrainConfig(epochs=1, batch_size=4))
    for _ in trainer.run():
        pass
    return root, save_model(tmp_path / "m.npz", trainer.model, trainer)


@needs_links
def test_a_recorded_source_that_is_no_data_set_any_more_is_refused_at_once(tmp_path, capsys):
    root, model = trained_model_file(tmp_path)
    for p in root.iterdir():
        p.unlink()
    (root / "notes.txt").write_text("moved the images away")
    os.symlink("/", root / "all")                               # would pull in the whole disk
    assert recorded_source_problem(str(root)) == "it holds no readable images"
    for argv in (["evaluate", str(model)], ["train", "--resume", str(model), "--epochs", "1"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "cannot be loaded again (it holds no readable images)" in err
        assert "name one with --data" in err


def test_a_recorded_source_is_listed_under_a_time_limit(tmp_path, monkeypatch):
    root, _ = trained_model_file(tmp_path)
    assert recorded_source_problem(str(root)) is None and recorded_source_problem("mnist") is None
    monkeypatch.setattr(load_mod, "SOURCE_SCAN_SECONDS", 0.0)
    assert recorded_source_problem(str(root)) == "listing it took longer than 0 s"
    assert recorded_source_problem(str(tmp_path / "gone")) == "it no longer exists"


# ---- item 8: damaged cache entries and passing failures ---------------------------------------

def one_entry(cache):
    entries = list(cache.glob("*.npz"))
    assert len(entries) == 1
    return entries[0]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong arrays"])
def test_a_damaged_cache_entry_is_a_miss_and_is_rewritten(tmp_path, damage):
    data, cache = tmp_path / "data", tmp_path / "c"
    for i in range(4):
        save(data / f"{i}.png", 50 * i)
    first = load(data, cache_dir=cache)
    entry = one_entry(cache)
    if damage == "truncate":
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == "garbage":
        entry.write_bytes(b"PK\x03\x04" + os.urandom(200))
    else:   # readable, but not what this folder decodes to
        np.savez(entry, images=np.zeros((4, 3, 3), np.uint8), stats=np.zeros((4, 2), np.float32),
                 file_index=np.arange(4), skipped_paths=np.array([], str), skipped_reasons=np.array([], str))
    second = load(data, cache_dir=cache)
    assert not second.from_cache and second.loaded == 4
    np.testing.assert_array_equal(second.dataset.x_train, first.dataset.x_train)
    third = load(data, cache_dir=cache)
    assert third.from_cache and one_entry(cache) == entry


def test_a_load_during_which_files_vanished_is_not_cached(tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "c"
    for i in range(4):
        save(data / f"{i}.png", 50 * i)
    real_scan = folder_mod.scan_folder

    def scan_then_vanish(path, cancelled=None, *more):
        scan = real_scan(path, cancelled, *more)
        os.rename(data / "2.png", tmp_path / "away.png")      # a sync tool rewriting the file
        return scan

    monkeypatch.setattr(folder_mod, "scan_folder", scan_then_vanish)
    r = load(data, cache_dir=cache)
    assert r.loaded == 3 and r.skipped == [("2.png", "file vanished while loading")]
    assert not list(cache.glob("*.npz"))
    monkeypatch.setattr(folder_mod, "scan_folder", real_scan)
    os.rename(tmp_path / "away.png", data / "2.png")          # back, same size and time
    again = load(data, cache_dir=cache)
    assert again.loaded == 4 and again.skipped == [] and not again.from_cache


# ---- item 3 (engine part): nothing of an old data set stays alive -------------------------------

def test_the_constant_array_cache_is_bounded_in_bytes():
    for n in range(1, 40):   # the shapes passes over data sets of many sizes leave behind
        constants.cached_full((n * 100, 1000), 0.0, np.float32)
    assert constants.cached_bytes() <= constants.CACHE_BYTES
    big = constants.cached_full((5000, 5000), 0.0, np.float32)  # 100 MB: made, never kept
    assert big.shape == (5000, 5000) and not big.flags.writeable
    assert constants.cached_bytes() <= constants.CACHE_BYTES


def test_reloading_a_folder_frees_the_previous_copy(tmp_path):
    for i in range(6):
        save(tmp_path / "d" / f"{i}.png", 40 * i)
    first = load(tmp_path / "d").dataset
    model = VAE(VAEConfig(image_shape=(8, 8), hidden=(8,)))
    trainer = Trainer(model, first, TrainConfig(epochs=1, batch_size=4))
    for _ in trainer.run():
        pass
    model.decode(np.zeros((3, 2), np.float32))
    gone = weakref.ref(first.x_train)
    del first, trainer
    second = load(tmp_path / "d").dataset
    gc.collect()
    assert gone() is None and len(second.x_train) == 5


# ---- also seen: images beside class folders; usable suggested sizes ----------------------------

def test_images_beside_class_folders_load_as_a_class_of_their_own(tmp_path):
    root = tmp_path / "f"
    for i in range(5):
        save(root / f"{i}.png", 20)
    save(root / "thumbs" / "t.png", 200, (4, 4))
    r = load(root, image_size=(8, 8))
    assert r.loaded == 6 and r.skipped == [] and r.dataset.class_names == ["f", "thumbs"]
    assert "5 images beside the class folders form class 'f'" in r.summary()
    assert "form class 'f'" in scan_folder(root).describe()


def test_a_loose_class_never_takes_a_class_folders_name(tmp_path):
    root = tmp_path / "f"
    save(root / "a.png")
    save(root / "f" / "b.png")
    assert load(root).dataset.class_names == ["f", "f (top level)"]


@pytest.mark.parametrize("size, suggested", [((1, 1), (4, 4)), ((2, 3), (4, 6)), ((40, 30), (40, 30)),
                                             ((1, 40), (28, 28)), ((100, 100), (28, 28))])
def test_only_usable_sizes_are_suggested(tmp_path, size, suggested):
    for i in range(2):
        save(tmp_path / f"{i}.png", 9, size)
    scan = scan_folder(tmp_path)
    assert scan.most_common_size == size and scan.suggested_size == suggested
