"""The convolutional VAE end to end: config, model files, training and the command line."""
import json

import numpy as np
import pytest
from test_engine_cli import engine

from engine import VAE, ConfigError, Dataset, TrainConfig, Trainer, VAEConfig, load_model, save_model


def test_image_sides_must_divide_by_the_strides():
    with pytest.raises(ConfigError, match=r"divisible by 4.*30x30.*height 28 or 32, width 28 or 32"):
        VAEConfig(image_shape=(30, 30), arch="conv", channels=(8, 8))
    with pytest.raises(ConfigError, match="only to the conv architecture"):
        VAEConfig(channels=(8,))
    with pytest.raises(ConfigError, match="unknown architecture"):
        VAEConfig(arch="resnet")
    VAEConfig(image_shape=(12, 8), arch="conv", channels=(4, 4))


def test_config_records_the_architecture_and_old_files_open_as_mlp():
    cfg = VAEConfig(image_shape=(8, 8), arch="conv", channels=(3, 5), hidden=(7,))
    assert VAEConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    old = cfg.to_dict()
    del old["arch"], old["channels"]
    assert VAEConfig.from_dict(old).arch == "mlp"


def test_conv_model_maps_images_back_to_their_shape():
    model = VAE(VAEConfig(image_shape=(12, 8), arch="conv", channels=(4, 6), hidden=(10,), latent_dim=3))
    shapes = [getattr(layer, "out_shape", None) for layer in model.layers]
    assert (6, 4, 4) in shapes and (3, 2, 6) in shapes and shapes[-1] == (12, 8, 1)
    x = np.random.default_rng(0).uniform(size=(5, 96)).astype(np.float32)
    assert model.reconstruct(x).shape == (5, 96)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 3)


def _blobs(n, rng):
    """Bright squares of random place and size on 12x12: something a conv VAE can learn."""
    x = np.zeros((n, 12, 12), np.float32)
    for img in x:
        r, c, s = rng.integers(0, 7), rng.integers(0, 7), rng.integers(3, 6)
        img[r:r + s, c:c + s] = 1.0
    return x.reshape(n, 144)


def test_conv_vae_trains_saves_and_reopens(tmp_path):
    rng = np.random.default_rng(0)
    data = Dataset("blobs", _blobs(400, rng), None, _blobs(100, rng), None, (12, 12))
    model = VAE(VAEConfig(image_shape=(12, 12), arch="conv", channels=(4, 8), hidden=(16,), latent_dim=2))
    trainer = Trainer(model, data, TrainConfig(epochs=6, batch_size=50, lr=3e-3), threads=1)
    reports = [r for r in trainer.run() if hasattr(r, "test_loss")]
    assert reports[-1].test_loss < reports[0].test_loss - 5
    path = save_model(tmp_path / "conv.npz", model, trainer)
    saved = load_model(path)
    assert saved.model.config.arch == "conv" and saved.model.config.channels == (4, 8)
    x = data.x_test[:7]
    np.testing.assert_array_equal(saved.model.encode(x)[0], model.encode(x)[0])


def test_cli_trains_resumes_evaluates_and_samples_a_conv_model(tmp_path):
    rng = np.random.default_rng(1)
    blobs = tmp_path / "blobs.npz"
    np.savez(blobs, x_train=_blobs(300, rng).reshape(-1, 12, 12), x_test=_blobs(50, rng).reshape(-1, 12, 12))
    path = tmp_path / "conv.npz"
    run = engine("train", "--data", blobs, "--arch", "conv", "--channels", "4,8", "--hidden", "16",
                 "--latent", 2, "--epochs", 1, "--threads", 1, "--json", "--save", path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["epoch"] == 1
    resumed = engine("train", "--resume", path, "--epochs", 1, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["epoch"] == 2
    evaluated = engine("evaluate", path, "--iw", 3, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert np.isfinite(json.loads(evaluated.stdout)["log_likelihood"])
    sampled = engine("sample", path, "--grid", 4, "--out", tmp_path / "grid.png")
    assert sampled.returncode == 0, sampled.stderr


def test_cli_names_the_image_sizes_that_work(tmp_path):
    blobs = tmp_path / "blobs.npz"
    np.savez(blobs, x_train=np.zeros((20, 12, 12)), x_test=np.zeros((5, 12, 12)))
    run = engine("train", "--data", blobs, "--arch", "conv", "--channels", "4,4,4", "--epochs", 1)
    assert run.returncode == 1
    error = run.stderr.splitlines()[-1]           # after the loader's "25 images loaded"
    assert "Traceback" not in run.stderr and "divisible by 8" in error and "8 or 16" in error


def test_conv_models_round_trip_through_safetensors_in_pytorch_layout(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    model = VAE(VAEConfig(image_shape=(8, 8), arch="conv", channels=(3, 5), hidden=(6,), latent_dim=2,
                          likelihood="gaussian"))
    path = save_model(tmp_path / "conv.safetensors", model)
    tensors = safetensors_numpy.load_file(path)
    assert tensors["encoder_conv.0.weight"].shape == (3, 1, 4, 4)          # nn.Conv2d: (F, C, k, k)
    assert tensors["decoder_deconv.0.weight"].shape == (5, 3, 4, 4)        # nn.ConvTranspose2d: (C, F, k, k)
    assert tensors["decoder_out.weight"].shape == (3, 2, 4, 4)             # mean and log-variance channels
    assert tensors["decoder_map.weight"].shape == (2 * 2 * 5, 6)
    K = model.encoder[0].params[0].reshape(4, 4, 1, 3)
    np.testing.assert_array_equal(tensors["encoder_conv.0.weight"][2, 0, 1, 3], K[1, 3, 0, 2])
    np.testing.assert_array_equal(load_model(path).model.params, model.params)


def test_evaluation_spread_over_threads_gives_the_same_terms():
    model = VAE(VAEConfig(image_shape=(8, 8), arch="conv", channels=(3, 4), hidden=(6,), latent_dim=2))
    x = np.random.default_rng(4).uniform(size=(50, 64)).astype(np.float32)
    whole = model.elbo_terms(x, np.random.default_rng(9), chunk=7)
    spread = model.elbo_terms(x, np.random.default_rng(9), chunk=7, parts=2)
    np.testing.assert_array_equal(whole[0], spread[0])
    np.testing.assert_array_equal(whole[1], spread[1])


def test_conv_inference_in_row_chunks_and_threads_matches_one_pass(monkeypatch):
    import engine.vae
    from engine import network
    model = VAE(VAEConfig(image_shape=(8, 8, 3), hidden=(16,), latent_dim=3, arch="conv", channels=(4, 6)), seed=2)
    rng = np.random.default_rng(0)
    x, z = rng.random((23, 192), np.float32), rng.standard_normal((23, 3)).astype(np.float32)
    whole = network.forward(model.encoder, x)
    monkeypatch.setattr(engine.vae, "INFER_ROWS", 5)          # 23 rows: four full chunks and a short one
    for parts in (1, 2):
        mu, logvar = model.encode(x, parts=parts)
        np.testing.assert_allclose(mu, whole[:, :3], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(logvar, whole[:, 3:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.decode(z), 1 / (1 + np.exp(-network.forward(model.decoder, z))), rtol=1e-5, atol=1e-6)
