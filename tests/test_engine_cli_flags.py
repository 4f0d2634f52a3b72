"""`python -m engine` flags: each bad value gets one line naming it; sample writes the format its
name asks for; a diverged run's --save keeps the last good weights; export-data round-trips."""
import numpy as np
import pytest
from PIL import Image

from engine import load_dataset, load_model
from engine.cli import main


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """A 100-image labelled data set of 6x6 blobs, as an .npz the array loader reads."""
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(100, 6, 6)) * 255).astype(np.uint8)
    y = np.arange(100) % 3
    path = tmp_path_factory.mktemp("data") / "blobs.npz"
    np.savez(path, x_train=x[:80], y_train=y[:80], x_test=x[80:], y_test=y[80:],
             class_names=np.array(["a", "b", "c"]))
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args,flag", [
    (("train", "--seed", "-1"), "--seed"),
    (("train", "--threads", "-1"), "--threads"),
    (("train", "--threads", "999"), "--threads"),
    (("train", "--threads", "0"), "--threads"),
    (("train", "--limit", "-5"), "--limit"),
    (("train", "--hidden", ""), "--hidden"),
    (("train", "--decoder-hidden", ","), "--decoder-hidden"),
    (("train", "--lr", "inf"), "--lr"),
    (("train", "--lr", "nan"), "--lr"),
    (("train", "--beta", "-1"), "--beta"),
    (("train", "--variance", "1e-30"), "--variance"),
    (("train", "--epochs", "0"), "--epochs"),
    (("train", "--batch", "0"), "--batch"),
    (("train", "--latent", "0"), "--latent"),
    (("train", "--warmup", "-1"), "--warmup"),
    (("train", "--save", "model.pt"), "--save"),
    (("sample", "m.npz", "--grid", "100000"), "--grid"),
    (("sample", "m.npz", "--grid", "0"), "--grid"),
    (("sample", "m.npz", "--out", "g.xyz"), "--out"),
    (("evaluate", "m.npz", "--iw", "0"), "--iw"),
    (("evaluate", "m.npz", "--seed", "-3"), "--seed"),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_each_out_of_range_flag_is_one_line_naming_it(capsys, monkeypatch, tmp_path, args, flag):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == 2, err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_an_architecture_too_large_for_memory_is_refused_before_allocating(capsys, small_data):
    code, _, err = run(capsys, "train", "--data", small_data, "--hidden", "10000000,10000000")
    error = err.splitlines()[-1]          # after the data set's one-line summary
    assert code == 1 and error.startswith("python -m engine: error: a model of 200,000,820,000,040 weights")
    assert "of memory, but this machine has" in error


def test_sample_writes_the_format_its_name_asks_for(capsys, tmp_path, small_data):
    model = tmp_path / "m.safetensors"
    assert run(capsys, "train", "--data", small_data, "--hidden", "8", "--epochs", "1", "--save", model)[0] == 0
    for name, fmt in (("g.jpg", "JPEG"), ("g.PNG", "PNG"), ("g.webp", "WEBP")):
        code, _, err = run(capsys, "sample", model, "--grid", "3", "--out", tmp_path / name)
        assert code == 0, err
        with Image.open(tmp_path / name) as image:
            assert image.format == fmt and image.size == (18, 18)


def test_after_divergence_save_writes_the_last_good_weights_and_says_so(capsys, tmp_path, small_data):
    model = tmp_path / "div.npz"
    code, _, err = run(capsys, "train", "--data", small_data, "--hidden", "16", "--epochs", "3",
                       "--batch", "8", "--lr", "1e6", "--save", model)
    assert code == 1
    lines = err.split("\n")
    error = [line for line in lines if "error:" in line]
    assert len(error) == 1 and error[0].startswith("python -m engine: error: the loss became")
    assert "saved the last good weights" in lines[lines.index(error[0]) + 1]
    saved = load_model(model)
    assert np.all(np.isfinite(saved.model.params))


def test_export_data_writes_uint8_arrays_that_load_back(capsys, tmp_path, small_data):
    out = tmp_path / "exported.npz"
    code, _, err = run(capsys, "export-data", small_data, out)
    assert code == 0 and "80 training and 20 test images" in err
    with np.load(out, allow_pickle=False) as npz:
        assert npz["x_train"].dtype == np.uint8 and npz["x_train"].shape == (80, 6, 6)
        assert list(npz["class_names"]) == ["a", "b", "c"] and npz["y_test"].tolist() == (np.arange(80, 100) % 3).tolist()
    original, again = load_dataset(small_data), load_dataset(out)
    np.testing.assert_array_equal(again.x_train, original.x_train)
    np.testing.assert_array_equal(again.y_test, original.y_test)
    assert run(capsys, "export-data", small_data, tmp_path / "x.csv")[0] == 1
