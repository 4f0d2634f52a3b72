"""`python -m engine encode / decode`: codes and images for scripts, checked inputs, and the same
numbers as the engine and decoder.onnx."""
import numpy as np
import pytest
from PIL import Image

from engine import VAE, VAEConfig, load_mnist
from engine.cli import main
from engine.storage import save_model


def _save(tmp_path, name="m.npz", **kw):
    vae = VAE(VAEConfig(**{"hidden": (16,), "latent_dim": 3, **kw}), seed=5)
    vae.params *= 2.0
    return vae, save_model(tmp_path / name, vae)


def test_encode_mnist_gives_every_image_with_labels_and_split(tmp_path):
    vae, model = _save(tmp_path)
    assert main(["encode", str(model), "--data", "mnist", "--out", str(tmp_path / "codes.npz")]) == 0
    with np.load(tmp_path / "codes.npz", allow_pickle=False) as codes:
        mnist = load_mnist()
        assert codes["mu"].shape == codes["logvar"].shape == (70000, 3)
        assert list(np.unique(codes["split"], return_counts=True)[1]) == [10000, 60000]
        assert np.array_equal(codes["labels"], np.concatenate([mnist.y_train, mnist.y_test]))
        mu, logvar = vae.encode(mnist.test_float(slice(0, 50)))
        np.testing.assert_allclose(codes["mu"][60000:60050], mu, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(codes["logvar"][60000:60050], logvar, rtol=1e-5, atol=1e-6)


def test_encode_a_folder_records_each_files_path_and_label(tmp_path):
    rng = np.random.default_rng(0)
    folder, pixels = tmp_path / "shapes", {}
    for cls in ("circles", "squares"):
        (folder / cls).mkdir(parents=True)
        for i in range(3):
            image = np.zeros((8, 8), np.uint8)
            image[2:6, 2:6] = rng.integers(60, 255, (4, 4))        # light drawing on black: not inverted
            Image.fromarray(image).save(folder / cls / f"{i}.png")
            pixels[f"{cls}/{i}.png"] = image
    (folder / "squares" / "broken.png").write_bytes(b"not a png")
    vae, model = _save(tmp_path, image_shape=(8, 8, 1))
    assert main(["encode", str(model), "--data", str(folder), "--out", str(tmp_path / "c.npz")]) == 0
    with np.load(tmp_path / "c.npz", allow_pickle=False) as codes:
        paths = list(codes["paths"])
        assert paths == sorted(pixels)
        assert list(codes["labels"]) == [0, 0, 0, 1, 1, 1] and list(codes["class_names"]) == ["circles", "squares"]
        want = vae.encode(np.stack([pixels[p].reshape(-1) for p in paths]))[0]
        np.testing.assert_allclose(codes["mu"], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(28, 28, 1), (8, 12, 3)])
def test_decode_gives_the_engines_images_in_the_models_shape(tmp_path, shape):
    vae, model = _save(tmp_path, image_shape=shape, likelihood="gaussian")
    codes = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    np.save(tmp_path / "z.npy", codes)
    assert main(["decode", str(model), "--codes", str(tmp_path / "z.npy"), "--out", str(tmp_path / "x.npy")]) == 0
    images = np.load(tmp_path / "x.npy")
    h, w, c = shape
    assert images.shape == ((5, h, w) if c == 1 else (5, h, w, c)) and images.dtype == np.float32
    np.testing.assert_array_equal(images.reshape(5, -1), vae.decode(codes))


def test_decode_reads_encodes_npz_and_matches_decoder_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is an optional extra (latent-lab[onnx])")
    vae, model = _save(tmp_path, image_shape=(8, 8, 3), arch="conv", channels=(4, 8))
    np.savez(tmp_path / "codes.npz", mu=np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3),
             logvar=np.zeros((4, 3), np.float32))
    assert main(["decode", str(model), "--codes", str(tmp_path / "codes.npz"), "--out", str(tmp_path / "x.npy")]) == 0
    assert main(["export-model", str(model), "--onnx", str(tmp_path / "onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "onnx" / "decoder.onnx"))
    [onnx_images] = session.run(None, {"codes": np.load(tmp_path / "codes.npz")["mu"]})
    decoded = np.load(tmp_path / "x.npy")
    np.testing.assert_array_equal(decoded.reshape(4, -1), vae.decode(np.load(tmp_path / "codes.npz")["mu"]))
    np.testing.assert_allclose(onnx_images, decoded, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("codes, message", [
    (np.array([[0.0, np.nan, 1.0]]), "NaN or infinite"),
    (np.zeros((4, 2)), "shape (n, 3)"),
    (np.array([["a", "b", "c"]]), "must be numbers"),
])
def test_bad_codes_get_one_sentence_and_write_nothing(tmp_path, capsys, codes, message):
    _, model = _save(tmp_path)
    np.save(tmp_path / "z.npy", codes)
    assert main(["decode", str(model), "--codes", str(tmp_path / "z.npy"), "--out", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "z.npy"]


def test_wrong_output_names_are_refused_before_any_work(tmp_path, capsys):
    _, model = _save(tmp_path)
    assert main(["encode", str(model), "--data", "mnist", "--out", str(tmp_path / "codes.csv")]) == 2
    assert main(["decode", str(model), "--codes", str(tmp_path / "none.npy"), "--out", str(tmp_path / "x.png")]) == 2
    assert ".npz" in capsys.readouterr().err
    assert main(["decode", str(model), "--codes", str(tmp_path / "none.npy"), "--out", str(tmp_path / "x.npy")]) == 2
    assert "not a readable" in capsys.readouterr().err
