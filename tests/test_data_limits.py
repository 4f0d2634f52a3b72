"""Hostile arrays and IDX files: image sizes and memory are checked from the headers before any
data is read, and integer pixels are read by their range convention (issue 8, items 1 and 9)."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from engine import VAE, ConfigError, DataError, TrainConfig, Trainer, VAEConfig, limits
from engine.data import Dataset, load_dataset_with_report, load_idx_folder
from engine.data.folder import load_folder

GB = 1024 ** 3


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


def idx_header(shape, code=0x08):
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + b"".join(struct.pack(">I", s) for s in shape)


def write_idx_folder(folder, train_shape, test_shape, gz=True):
    """An IDX folder whose image headers claim these shapes but whose payloads are tiny."""
    folder.mkdir(exist_ok=True)
    for name, shape in (("train-images-idx3-ubyte", train_shape), ("t10k-images-idx3-ubyte", test_shape)):
        raw = idx_header(shape) + bytes(64)
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    return folder


# ---- item 1: image sizes the models cannot train ---------------------------------------------

def test_a_long_thin_npy_is_refused_from_its_header_naming_the_limit(tmp_path, monkeypatch):
    np.save(tmp_path / "thin.npy", np.zeros((2, 1, 3_000_000), np.uint8))
    read = []
    monkeypatch.setattr(np, "load", lambda *a, **k: read.append(a) or pytest.fail("data was read"))
    with pytest.raises(DataError, match=f"3000000x1 pixels cannot be trained.*at most {limits.MAX_SIDE}"):
        load_folder(tmp_path / "thin.npy")
    assert not read


def test_an_npz_member_too_large_to_train_is_refused(tmp_path):
    np.savez_compressed(tmp_path / "set.npz", x=np.zeros((3, 600, 8), np.uint8))
    with pytest.raises(DataError, match="8x600 pixels cannot be trained"):
        load_dataset_with_report(tmp_path / "set.npz")


def test_an_idx_folder_of_oversized_images_is_refused_before_reading(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", (2, 1, 3_000_000), (2, 1, 3_000_000))
    with pytest.raises(DataError, match="at most 512 pixels"):
        load_idx_folder(folder)


# ---- item 1: memory estimated before allocating ---------------------------------------------

def test_arrays_larger_than_the_memory_available_are_refused_with_the_numbers(tmp_path, monkeypatch):
    np.save(tmp_path / "faces.npy", np.zeros((400, 28, 28), np.uint8))
    monkeypatch.setattr(limits, "available_memory", lambda: 1024 ** 2)      # 1 MB free
    with pytest.raises(DataError, match=r"loading faces \(400 images\) needs about \d+ MB of memory, "
                                        r"but this machine has 1 MB available"):
        load_folder(tmp_path / "faces.npy")
    monkeypatch.setattr(limits, "available_memory", lambda: 8 * GB)
    assert load_folder(tmp_path / "faces.npy").loaded == 400


def test_an_idx_header_promising_billions_of_images_is_refused_not_read(tmp_path, monkeypatch):
    folder = write_idx_folder(tmp_path / "bomb", (4_000_000_000, 28, 28), (10, 28, 28))
    monkeypatch.setattr(limits, "available_memory", lambda: 16 * GB)
    with pytest.raises(DataError, match=r"4,000,000,010 images\) needs about [\d.]+ GB .* 16.0 GB available"):
        load_idx_folder(folder)


def test_a_truncated_npy_is_refused_from_its_header(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((50, 8, 8), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated"):
        load_folder(path)


def test_a_model_too_large_for_memory_is_refused_before_its_weights_exist(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 2 * GB)
    with pytest.raises(ConfigError, match=r"a model of [\d,]+ weights needs about [\d.]+ GB .* 2.0 GB available"):
        VAE(VAEConfig(image_shape=(512, 512), hidden=(2000,)))


def test_training_that_would_exhaust_memory_is_refused_before_the_optimizer(monkeypatch):
    model = VAE(VAEConfig(image_shape=(64, 64), hidden=(512,), latent_dim=2))   # 4.2M weights
    x = np.zeros((4, 64 * 64), np.float32)
    data = Dataset("d", x, None, x, None, (64, 64))
    monkeypatch.setattr(limits, "available_memory", lambda: 200 * 1024 ** 2)   # room for the model only
    with pytest.raises(ConfigError, match=r"training this model needs about 3[01]\d MB of memory, "
                                          r"but this machine has 200 MB available"):
        Trainer(model, data, TrainConfig(epochs=1))
    monkeypatch.setattr(limits, "available_memory", lambda: 8 * GB)
    assert Trainer(model, data, TrainConfig(epochs=1)).model is model


def test_available_memory_is_read_and_positive():
    have = limits.available_memory()
    assert have is None or 0 < have < 1 << 50


# ---- item 9: integer arrays by their range ----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint16])
def test_sixteen_bit_values_in_wide_integers_are_scaled_by_65535_and_said(tmp_path, dtype):
    x = np.zeros((10, 4, 4), dtype)
    x[:, 0, 0] = 65535
    x[:, 1, 1] = 32768
    np.save(tmp_path / "deep.npy", x)
    r = load_folder(tmp_path / "deep.npy")
    pixels = np.concatenate([r.dataset.train_float(), r.dataset.test_float()])
    assert np.all(pixels[:, 0] == 1.0) and np.allclose(pixels[:, 5], 128 / 255)
    assert f"{np.dtype(dtype)} values up to 65,535 read as 16-bit (65535 is white)" in r.summary()


def test_eight_bit_values_in_a_wide_integer_type_are_read_as_8_bit_and_said(tmp_path):
    x = np.full((6, 4, 4), 200, np.int64)
    np.save(tmp_path / "wide.npy", x)
    r = load_folder(tmp_path / "wide.npy")
    assert np.allclose(r.dataset.train_float(), 200 / 255)
    assert "int64 values 0-200 read as 8-bit" in r.summary()
    _, text = load_dataset_with_report(tmp_path / "wide.npy")
    assert "read as 8-bit" in text


def test_plain_uint8_arrays_need_no_note(tmp_path):
    np.save(tmp_path / "plain.npy", np.full((6, 4, 4), 255, np.uint8))
    assert load_folder(tmp_path / "plain.npy").summary() == "6 images loaded"


@pytest.mark.parametrize("value, message", [(-1, "negative pixel values"),
                                            (70000, "neither 8-bit .* nor 16-bit")])
def test_negative_or_out_of_range_integers_are_refused(tmp_path, value, message):
    x = np.zeros((6, 4, 4), np.int32)
    x[3, 2, 2] = value
    np.savez(tmp_path / "bad.npz", x=x)
    with pytest.raises(DataError, match=message):
        load_folder(tmp_path / "bad.npz")


def test_sixteen_bit_idx_images_are_scaled_too(tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, n in (("train-images-idx3-ubyte", 4), ("t10k-images-idx3-ubyte", 2)):
        x = np.full((n, 4, 4), 65535, ">i4")
        (folder / name).write_bytes(idx_header(x.shape, 0x0C) + x.tobytes())
    ds = load_idx_folder(folder)
    assert np.all(ds.train_float() == 1.0) and any("16-bit" in note for note in ds.notes)


def test_labels_far_beyond_the_classes_are_refused(tmp_path):
    np.savez(tmp_path / "set.npz", x=np.zeros((4, 4, 4), np.uint8), y=np.array([0, 1, 0, 2_000_000_000]))
    with pytest.raises(DataError, match="class indices"):
        load_folder(tmp_path / "set.npz")
