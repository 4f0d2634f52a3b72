"""scale/'s data reader (NumPy only, so it runs without torch) reads what export-data writes, exactly."""
import sys
from pathlib import Path

import numpy as np

from engine import load_dataset
from engine.cli import main

SCALE = Path(__file__).resolve().parent.parent / "scale"


def test_train_torch_reads_an_exported_data_set_as_the_engine_does(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(60, 5, 4)) * 255).astype(np.uint8)
    np.savez(tmp_path / "src.npz", x_train=x[:50], x_test=x[50:], y_train=np.arange(50) % 2,
             y_test=np.arange(10) % 2, class_names=np.array(["cat", "dog"]))
    assert main(["export-data", str(tmp_path / "src.npz"), str(tmp_path / "out.npz")]) == 0
    sys.path.insert(0, str(SCALE))
    try:
        import data_io
        theirs = data_io.load(str(tmp_path / "out.npz"))
    finally:
        sys.path.remove(str(SCALE))
    ours = load_dataset(tmp_path / "out.npz")
    np.testing.assert_array_equal(theirs.x_train, ours.train_float())
    np.testing.assert_array_equal(theirs.x_test, ours.test_float())
    assert theirs.image_shape == [5, 4] and theirs.class_names == ["cat", "dog"]
    assert theirs.source == str((tmp_path / "out.npz").resolve())
