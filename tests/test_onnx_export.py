"""ONNX export: onnxruntime gives the engine's encode and decode to float32 precision on every
model kind (MLP / conv, grey / colour, Bernoulli / Gaussian) and every activation, in standard
ops only; without onnx the command says how to install it."""
import sys

import numpy as np
import pytest

from engine import VAE, VAEConfig
from engine.config import ACTIVATIONS
from engine.onnx_export import INSTALL_HINT, OPSET, ExportError, decoder_model, encoder_model, export_onnx

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is an optional extra (latent-lab[onnx])")
onnx = pytest.importorskip("onnx")

STANDARD_OPS = {"Gemm", "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softplus",
                "Reshape", "Transpose", "Slice"}
KINDS = {
    "mlp grey bernoulli": dict(image_shape=(12, 10, 1)),
    "mlp colour bernoulli": dict(image_shape=(8, 8, 3)),
    "mlp grey gaussian learned": dict(image_shape=(12, 10, 1), likelihood="gaussian"),
    "mlp colour gaussian fixed": dict(image_shape=(8, 8, 3), likelihood="gaussian", output_variance=0.05),
    "conv grey bernoulli": dict(image_shape=(12, 8, 1), arch="conv", channels=(4, 8)),
    "conv colour bernoulli": dict(image_shape=(8, 8, 3), arch="conv", channels=(8, 6)),
    "conv grey gaussian learned": dict(image_shape=(8, 8, 1), arch="conv", channels=(6,), likelihood="gaussian"),
    "conv colour gaussian learned": dict(image_shape=(8, 12, 3), arch="conv", channels=(4, 8), likelihood="gaussian"),
}


def _model(**kw) -> VAE:
    vae = VAE(VAEConfig(**{"hidden": (24, 12), "latent_dim": 3, **kw}), seed=3)
    vae.params *= 3.0        # away from the initial near-zero weights: outputs across the sigmoid's range
    return vae


def _run(model_proto, feed):
    session = ort.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feed)


def _check(vae: VAE) -> None:
    h, w, c = vae.config.image_shape
    rng = np.random.default_rng(0)
    images = rng.random((7, h, w, c), dtype=np.float32)
    mu, logvar = _run(encoder_model(vae), {"images": images if c > 1 else images[..., 0]})
    want_mu, want_logvar = vae.encode(images.reshape(7, -1))
    np.testing.assert_allclose(mu, want_mu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logvar, want_logvar, rtol=1e-4, atol=1e-5)
    codes = (2.0 * rng.standard_normal((9, vae.config.latent_dim))).astype(np.float32)
    [decoded] = _run(decoder_model(vae), {"codes": codes})
    assert decoded.shape == (9, h, w) + ((c,) if c > 1 else ())
    np.testing.assert_allclose(decoded.reshape(9, -1), vae.decode(codes), rtol=1e-4, atol=1e-5)
    assert 0.0 <= decoded.min() and decoded.max() <= 1.0 and decoded.std() > 0.01


@pytest.mark.parametrize("kind", KINDS)
def test_onnxruntime_matches_the_engine_on_every_model_kind(kind):
    _check(_model(**KINDS[kind]))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_onnxruntime_matches_the_engine_with_every_activation(activation, arch):
    conv = dict(arch="conv", channels=(4, 6)) if arch == "conv" else {}
    _check(_model(image_shape=(8, 8, 3), activation=activation, **conv))


def test_the_graphs_use_standard_ops_at_opset_17_and_pass_the_checker(tmp_path):
    vae = _model(**KINDS["conv colour gaussian learned"])
    encoder_path, decoder_path = export_onnx(vae, tmp_path / "onnx")
    for path in (encoder_path, decoder_path):
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        assert {op.version for op in model.opset_import if op.domain in ("", "ai.onnx")} == {OPSET}
        assert {node.op_type for node in model.graph.node} <= STANDARD_OPS
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["decoder.onnx", "encoder.onnx"]
    decoder = onnx.load(decoder_path)
    assert [i.name for i in decoder.graph.input] == ["codes"] and [o.name for o in decoder.graph.output] == ["images"]


def test_the_batch_size_is_free(tmp_path):
    vae = _model(**KINDS["mlp grey bernoulli"])
    for n in (1, 300):
        [images] = _run(decoder_model(vae), {"codes": np.zeros((n, 3), np.float32)})
        assert images.shape == (n, 12, 10)


def test_without_onnx_the_export_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    from engine.cli import main
    from engine.storage import save_model

    path = save_model(tmp_path / "m.npz", _model(**KINDS["mlp grey bernoulli"]))
    monkeypatch.setitem(sys.modules, "onnx", None)       # import onnx now raises ImportError
    with pytest.raises(ExportError, match="pip install"):
        encoder_model(_model())
    assert main(["export-model", str(path), "--onnx", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert INSTALL_HINT in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_export_model_command_writes_both_files(tmp_path, capsys):
    from engine.cli import main
    from engine.storage import save_model

    vae = _model(**KINDS["conv grey bernoulli"])
    path = save_model(tmp_path / "m.safetensors", vae)
    assert main(["export-model", str(path), "--onnx", str(tmp_path / "out")]) == 0
    session = ort.InferenceSession(str(tmp_path / "out" / "decoder.onnx"))
    codes = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(session.run(None, {"codes": codes})[0].reshape(2, -1), vae.decode(codes),
                               rtol=1e-4, atol=1e-5)
