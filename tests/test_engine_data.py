"""Data loading: the bundled MNIST, IDX files anywhere, and clear errors for bad input."""
import gzip
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from engine import VAE, ConfigError, DataError, TrainConfig, Trainer, VAEConfig, load_mnist, read_idx
from engine.data import MNIST_DIR, Dataset, load_idx_folder


def write_idx(path, array, gz=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += b"".join(struct.pack(">I", s) for s in array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def test_bundled_mnist_is_the_real_thing():
    data = load_mnist()
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_train.dtype == np.uint8 and data.image_shape == (28, 28, 1)   # one byte a pixel
    x = data.train_float()
    assert x.dtype == np.float32 and 0.0 == x.min() and x.max() == 1.0
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_a_damaged_mnist_file_fails_its_checksum(tmp_path):
    copy = tmp_path / "mnist"
    shutil.copytree(MNIST_DIR, copy)
    labels = copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(labels.read_bytes())
    raw[100] ^= 0xFF
    labels.chmod(0o644)
    labels.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="SHA-256"):
        load_mnist(copy)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_loads_gzipped_or_raw(tmp_path, gz):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", rng.integers(0, 256, (6, 5, 7), dtype=np.uint8), gz)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", np.array([0, 1, 2, 0, 1, 2], np.uint8), gz)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", np.full((2, 5, 7), 255, np.uint8), gz)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", np.array([2, 0], np.uint8), gz)
    data = load_idx_folder(tmp_path)
    assert data.image_shape == (5, 7, 1) and data.x_train.shape == (6, 35)
    assert data.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(data.test_float(), 1.0)


def test_truncated_and_foreign_idx_files_are_refused(tmp_path):
    path = tmp_path / "x.idx"
    write_idx(path, np.zeros((4, 3, 3), np.uint8))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DataError, match="payload"):
        read_idx(path)
    path.write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def test_empty_and_mismatched_data_are_refused():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(DataError, match="empty"):
        Dataset("d", x, None, x[:0], None, (2, 2))
    with pytest.raises(DataError, match="labels"):
        Dataset("d", x, np.zeros(2, int), x, None, (2, 2))
    with pytest.raises(DataError, match="shape"):
        Dataset("d", x, None, x, None, (3, 3))


def test_wrong_shapes_and_nan_inputs_give_clear_errors():
    model = VAE(VAEConfig(image_shape=(2, 2), hidden=(3,), latent_dim=2))
    with pytest.raises(DataError, match=r"shape \(n, 4\)"):
        model.encode(np.zeros((2, 5)))
    with pytest.raises(DataError, match="NaN"):
        model.encode(np.full((1, 4), np.nan))
    with pytest.raises(DataError, match=r"\(n, 2\)"):
        model.decode(np.zeros((1, 3)))
    other = Dataset("other", np.zeros((4, 9), np.float32), None, np.zeros((2, 9), np.float32), None, (3, 3))
    with pytest.raises(ConfigError, match="2x2"):
        Trainer(model, other, TrainConfig())


def test_importing_the_engine_loads_no_qt():
    code = ("import sys, engine, engine.cli, engine.storage, engine.manifold\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PyQt5', 'PyQt6', 'PySide2', 'PySide6', 'pyqtgraph', 'vaegui')]\n"
            "assert not bad, bad\nprint('clean')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
