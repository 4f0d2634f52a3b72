"""safetensors model files: our models both ways, and the pytorch/examples VAE's state_dict, checked
against a NumPy re-implementation of PyTorch's forward pass (torch itself is not needed)."""
import json

import numpy as np
import pytest
import safetensors.numpy

from engine import VAE, ModelFileError, TrainConfig, Trainer, VAEConfig, load_model, save_model
from engine.data import Dataset
from engine.storage import layout
from engine.storage.model_file import SavedState, build_meta


def tiny_data(side=4):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(48, side * side)) > 0.5).astype(np.float32)
    return Dataset("tiny", x[:40], np.arange(40) % 2, x[40:], np.arange(8) % 2, (side, side), ["a", "b"])


def trained(config=None):
    config = config or VAEConfig(image_shape=(4, 4), hidden=(8, 6), latent_dim=3, decoder_hidden=(5,))
    trainer = Trainer(VAE(config), tiny_data(), TrainConfig(epochs=2, batch_size=16))
    for _ in trainer.run():
        pass
    return trainer


@pytest.mark.parametrize("config", [
    VAEConfig(image_shape=(4, 4), hidden=(8, 6), latent_dim=3, decoder_hidden=(5,)),
    VAEConfig(image_shape=(4, 4), hidden=(7,), latent_dim=2, likelihood="gaussian"),   # learned variance: 2D outputs
], ids=["bernoulli", "gaussian"])
def test_our_model_round_trips_through_safetensors(tmp_path, config):
    trainer = trained(config)
    path = save_model(tmp_path / "m.safetensors", trainer.model, trainer)
    saved = load_model(path)
    np.testing.assert_array_equal(saved.model.params, trainer.model.params)
    assert saved.model.config == trainer.model.config and saved.train_config == trainer.config
    assert saved.history == trainer.history and saved.epochs_done == 2
    assert (saved.dataset_name, saved.class_names) == ("tiny", ["a", "b"])
    for key in ("m", "w"):
        np.testing.assert_array_equal(saved.optimizer_state[key], trainer.optimizer.state()[key])
    assert int(saved.optimizer_state["t"]) == trainer.optimizer.t and saved.rng_state == trainer.rng.bit_generator.state


def test_safetensors_names_follow_the_layers_in_pytorch_layout(tmp_path):
    trainer = trained()
    path = save_model(tmp_path / "m.safetensors", trainer.model, trainer)
    tensors = safetensors.numpy.load_file(path)
    weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    assert list(weights) == sorted(weights) and set(weights) == {
        f"{n}.{p}" for n in ("encoder.0", "encoder.1", "encoder_head", "decoder.0", "decoder_out")
        for p in ("weight", "bias")}
    model = trainer.model
    np.testing.assert_array_equal(tensors["encoder.0.weight"], model.encoder[0].W.T)
    np.testing.assert_array_equal(tensors["encoder_head.bias"], model.encoder[-1].b)
    np.testing.assert_array_equal(tensors["decoder_out.weight"], model.decoder[-1].W.T)
    with open(path, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    assert json.loads(header["__metadata__"]["latent_lab"])["format"] == "latent-lab-model"


def test_a_resumed_safetensors_run_continues_exactly_like_an_npz_one(tmp_path):
    trainer = trained()
    finals = []
    for name in ("m.npz", "m.safetensors"):
        saved = load_model(save_model(tmp_path / name, trainer.model, trainer))
        resumed = Trainer.resume(saved, tiny_data(), epochs=1)
        for _ in resumed.run():
            pass
        finals.append(resumed.model.params.copy())
    np.testing.assert_array_equal(finals[0], finals[1])


def test_the_format_is_read_from_the_content_not_the_name(tmp_path):
    trainer = trained()
    st = save_model(tmp_path / "m.safetensors", trainer.model, trainer)
    renamed = tmp_path / "really_safetensors.npz"
    renamed.write_bytes(st.read_bytes())
    np.testing.assert_array_equal(load_model(renamed).model.params, trainer.model.params)


def test_hostile_safetensors_files_are_refused_in_one_line(tmp_path):
    trainer = trained()
    tensors = layout.to_tensors(trainer.model.config, trainer.model.params)
    meta = build_meta(trainer.model, SavedState.of(None, None), None, None)
    cases = {
        "bad_field": (tensors, {**meta, "epochs_done": "abc"}, "field epochs_done must be"),
        "huge_claim": (tensors, {**meta, "model": {**meta["model"], "hidden": [20000, 20000]}},
                       "encoder.0.weight has shape .* needs \\[20000, 16\\]"),
        "missing": ({k: v for k, v in tensors.items() if k != "decoder_out.bias"}, meta, "lacks decoder_out.bias"),
        "ints": ({**tensors, "encoder.0.bias": tensors["encoder.0.bias"].astype(np.int32)}, meta, "holds int32"),
    }
    for name, (arrays, metadata, message) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        safetensors.numpy.save_file(arrays, path, metadata={"latent_lab": json.dumps(metadata)})
        with pytest.raises(ModelFileError, match=message):
            load_model(path)
    raw = (tmp_path / "bad_field.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[:len(raw) - 40])
    with pytest.raises(ModelFileError, match="truncated or damaged"):
        load_model(tmp_path / "cut.safetensors")
    safetensors.numpy.save_file({"w": np.zeros(3, np.float32)}, tmp_path / "other.safetensors")
    with pytest.raises(ModelFileError, match="neither a Latent Lab model .* nor a pytorch/examples VAE"):
        load_model(tmp_path / "other.safetensors")


# ------------------------------------------------------------------ the pytorch/examples VAE
def examples_state_dict(d=16, h=8, latent=3, h_dec=None, seed=1):
    """Random weights under the pytorch/examples names, nn.Linear layout (weight [out, in])."""
    rng = np.random.default_rng(seed)
    h_dec = h_dec or h
    dims = {"fc1": (d, h), "fc21": (h, latent), "fc22": (h, latent), "fc3": (latent, h_dec), "fc4": (h_dec, d)}
    sd = {}
    for name, (n_in, n_out) in dims.items():
        sd[f"{name}.weight"] = rng.normal(0, 0.5, (n_out, n_in)).astype(np.float32)
        sd[f"{name}.bias"] = rng.normal(0, 0.1, n_out).astype(np.float32)
    return sd


def torch_forward(sd, x, eps):
    """PyTorch's VAE.forward and loss_function of pytorch/examples, in NumPy (float64)."""
    p = {k: v.astype(np.float64) for k, v in sd.items()}
    linear = lambda a, n: a @ p[f"{n}.weight"].T + p[f"{n}.bias"]
    h1 = np.maximum(linear(x, "fc1"), 0)
    mu, logvar = linear(h1, "fc21"), linear(h1, "fc22")
    z = mu + np.exp(0.5 * logvar) * eps
    decode = lambda z: 1 / (1 + np.exp(-linear(np.maximum(linear(z, "fc3"), 0), "fc4")))
    recon = decode(z)
    bce = -(x * np.log(recon) + (1 - x) * np.log(1 - recon)).sum(axis=1)
    kld = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(axis=1)
    return mu, logvar, decode, bce, kld


@pytest.mark.parametrize("prefix", ["", "module."], ids=["plain", "ddp"])
def test_the_pytorch_examples_vae_opens_and_matches_pytorchs_forward(tmp_path, prefix):
    sd = examples_state_dict(h_dec=7)
    path = tmp_path / "vae.safetensors"
    safetensors.numpy.save_file({prefix + k: v for k, v in sd.items()}, path)
    opened = load_model(path)
    cfg = opened.model.config
    assert (cfg.image_shape, cfg.hidden, cfg.decoder_hidden, cfg.latent_dim) == ((4, 4, 1), (8,), (7,), 3)
    assert (cfg.activation, cfg.likelihood, opened.origin) == ("relu", "bernoulli", "a pytorch/examples VAE")
    x = tiny_data().x_test
    rng_seed = 5
    eps = np.random.default_rng(rng_seed).standard_normal((len(x), 3), dtype=np.float32)
    mu, logvar, decode, bce, kld = torch_forward(sd, x, eps)
    ours_mu, ours_logvar = opened.model.encode(x)
    np.testing.assert_allclose(ours_mu, mu, atol=1e-5)
    np.testing.assert_allclose(ours_logvar, logvar, atol=1e-5)
    z = np.random.default_rng(2).normal(size=(6, 3))
    np.testing.assert_allclose(opened.model.decode(z), decode(z), atol=1e-5)
    recon, kl = opened.model.elbo_terms(x, np.random.default_rng(rng_seed))
    np.testing.assert_allclose(recon, bce, rtol=1e-4)
    np.testing.assert_allclose(kl, kld, rtol=1e-4)


def test_an_opened_pytorch_model_saves_as_our_own(tmp_path):
    sd = examples_state_dict()
    safetensors.numpy.save_file(sd, tmp_path / "vae.safetensors")
    opened = load_model(tmp_path / "vae.safetensors")
    for name in ("ours.safetensors", "ours.npz"):
        again = load_model(save_model(tmp_path / name, opened.model, source=opened))
        np.testing.assert_array_equal(again.model.params, opened.model.params)
        assert again.origin is None


@pytest.mark.parametrize("edit,message", [
    (lambda sd: sd.update({"fc22.weight": sd["fc22.weight"][:2], "fc22.bias": sd["fc22.bias"][:2]}),
     "fc21 and fc22 give the same latent size"),
    (lambda sd: sd.update({"fc4.weight": sd["fc4.weight"][:15], "fc4.bias": sd["fc4.bias"][:15]}),
     "fc4 gives as many pixels as fc1 takes"),
    (lambda sd: sd.update({"fc1.bias": sd["fc1.bias"][:3]}), "fc1.weight \\[8, 16\\] and fc1.bias \\[3\\]"),
    (lambda sd: sd.pop("fc3.bias"), "neither a Latent Lab model"),
    (lambda sd: sd.update({"fc1.weight": sd["fc1.weight"].astype(np.int64)}), "holds int64 values"),
], ids=["latent", "pixels", "bias", "missing", "ints"])
def test_a_broken_pytorch_state_dict_is_refused_with_the_reason(tmp_path, edit, message):
    sd = examples_state_dict()
    edit(sd)
    safetensors.numpy.save_file(sd, tmp_path / "vae.safetensors")
    with pytest.raises(ModelFileError, match=message):
        load_model(tmp_path / "vae.safetensors")


def test_a_non_square_pytorch_model_says_why(tmp_path):
    safetensors.numpy.save_file(examples_state_dict(d=15), tmp_path / "vae.safetensors")
    with pytest.raises(ModelFileError, match="15 pixels, not a square"):
        load_model(tmp_path / "vae.safetensors")
