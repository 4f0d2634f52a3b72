"""Save and Open in the window: .safetensors beside .npz, pytorch/examples VAEs, and a bad file
refused with a message box while the model opened before stays."""
import json

import numpy as np
import safetensors.numpy
from PyQt5.QtWidgets import QFileDialog, QMessageBox


def examples_vae(path, hidden=32, latent=2):
    """A pytorch/examples VAE state_dict (nn.Linear layout) for 28x28 images."""
    rng = np.random.default_rng(0)
    dims = {"fc1": (784, hidden), "fc21": (hidden, latent), "fc22": (hidden, latent), "fc3": (latent, hidden),
            "fc4": (hidden, 784)}
    sd = {}
    for name, (n_in, n_out) in dims.items():
        sd[f"{name}.weight"] = rng.normal(0, 0.1, (n_out, n_in)).astype(np.float32)
        sd[f"{name}.bias"] = np.zeros(n_out, np.float32)
    safetensors.numpy.save_file(sd, path)
    return path


def test_save_offers_safetensors_and_open_accepts_both(qtbot, window, tmp_path, monkeypatch):
    c = window.commands
    assert c.open_model(str(examples_vae(tmp_path / "vae.safetensors")))
    assert window.session.model.config.hidden == (32,)
    assert "pytorch/examples" in window.status_text()
    offered = {}

    def save_dialog(parent, title, start, filters):
        offered["save"] = filters
        return str(tmp_path / "mine"), "safetensors model (*.safetensors)"

    def open_dialog(parent, title, start, filters):
        offered["open"] = filters
        return str(tmp_path / "mine.safetensors"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_dialog)
    assert c.save_model(ask=True)
    assert "*.safetensors" in offered["save"] and "*.npz" in offered["save"]
    with open(tmp_path / "mine.safetensors", "rb") as f:          # the chosen format, by its filter
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    assert "encoder.0.weight" in header and "latent_lab" in header["__metadata__"]
    assert c.open_model()
    assert "*.safetensors" in offered["open"] and "*.npz" in offered["open"]
    assert str(window.session.path).endswith("mine.safetensors")


def test_a_bad_model_file_gives_a_one_line_message_and_keeps_the_model(qtbot, window, tmp_path, monkeypatch):
    c = window.commands
    assert c.open_model(str(examples_vae(tmp_path / "vae.safetensors")))
    before = window.session.model
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    monkeypatch.setattr(c, "confirm", True)
    bad = tmp_path / "bad.npz"
    np.savez(bad, params=np.zeros(3, np.float32),
             meta=np.frombuffer(json.dumps({"format": "latent-lab-model", "version": 1, "model": {},
                                            "train": {}, "epochs_done": "abc"}).encode(), np.uint8))
    (tmp_path / "picture.safetensors").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    for path, reason in ((bad, "field epochs_done must be"), (tmp_path / "picture.safetensors", "a PNG image")):
        assert not c.open_model(str(path))
        title, text = shown.pop()
        assert title == "Could not open the model" and reason in text and "\n" not in text
        assert window.session.model is before
