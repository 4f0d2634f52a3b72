"""Folders of IDX files and .npy/.npz arrays, and what a load reports.

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import gzip

import numpy as np
import pytest
from test_folder import all_x, all_y, flat_image, save

from engine.data import load_dataset, load_dataset_with_report
from engine.data.folder import load_folder
from engine.data.scan import scan_folder
from engine.errors import DataError


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


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


def test_the_scan_reads_an_array_files_image_size_from_its_headers(tmp_path):
    np.savez(tmp_path / "split.npz", y_train=np.zeros(3), x_train=np.zeros((3, 6, 7), np.uint8),
             x_test=np.zeros((1, 6, 7), np.uint8))
    assert scan_folder(tmp_path / "split.npz").most_common_size == (6, 7)
    np.save(tmp_path / "flat.npy", np.zeros((2, 16), np.uint8))          # flat rows of a square
    assert scan_folder(tmp_path / "flat.npy").most_common_size == (4, 4)
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")          # the loader says why, later
    assert scan_folder(tmp_path / "broken.npy").most_common_size is None
