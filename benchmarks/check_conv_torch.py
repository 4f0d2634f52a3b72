"""Check that our conv VAE computes what PyTorch's same model computes with the same weights.

Our side builds the MNIST conv VAE (Conv 32-64, Dense 256, latent 2), saves it as .safetensors
(PyTorch layouts, engine/storage/layout.py) and records mu, logvar and decoded means for 64 test
images and codes; the PyTorch side (benchmarks/torch_reference_vae.py's ConvVAE, run with the
torch venv) loads those tensors, permuting only the flatten order (ours (H, W, C), PyTorch's
(C, H, W)), and prints the largest differences.  Run from the repository root:

    python benchmarks/check_conv_torch.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TORCH_PYTHON = "/work/torch-venv/bin/python"


def our_side(folder: Path) -> None:
    sys.path.insert(0, str(HERE.parent))
    from engine import VAE, VAEConfig, load_mnist, save_model
    from engine.data.dataset import to_float
    model = VAE(VAEConfig(arch="conv", channels=(32, 64), hidden=(256,), latent_dim=2), seed=3)
    save_model(folder / "m.safetensors", model)
    x = to_float(load_mnist().x_test[:64])       # stored as uint8
    mu, logvar = model.encode(x)
    z = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    np.savez(folder / "ours.npz", x=x, mu=mu, logvar=logvar, z=z, decoded=model.decode(z))


def torch_state(t: dict[str, np.ndarray], side: int = 7, maps: int = 64, hidden: int = 256) -> dict[str, np.ndarray]:
    """Our MNIST conv VAE's tensors (as save_model writes them) under the reference ConvVAE's
    names; only the flatten order differs: ours (H, W, C), PyTorch's (C, H, W)."""
    return {"convs.0.weight": t["encoder_conv.0.weight"], "convs.0.bias": t["encoder_conv.0.bias"],
            "convs.2.weight": t["encoder_conv.1.weight"], "convs.2.bias": t["encoder_conv.1.bias"],
            "fc1.weight": t["encoder.0.weight"].reshape(hidden, side, side, maps).transpose(0, 3, 1, 2)
            .reshape(hidden, -1), "fc1.bias": t["encoder.0.bias"],
            "fc21.weight": t["encoder_head.weight"][:2], "fc22.weight": t["encoder_head.weight"][2:],
            "fc21.bias": t["encoder_head.bias"][:2], "fc22.bias": t["encoder_head.bias"][2:],
            "fc3.weight": t["decoder.0.weight"], "fc3.bias": t["decoder.0.bias"],
            "fc4.weight": t["decoder_map.weight"].reshape(side, side, maps, hidden).transpose(2, 0, 1, 3)
            .reshape(-1, hidden),
            "fc4.bias": t["decoder_map.bias"].reshape(side, side, maps).transpose(2, 0, 1).reshape(-1),
            "deconvs.0.weight": t["decoder_deconv.0.weight"], "deconvs.0.bias": t["decoder_deconv.0.bias"],
            "deconvs.2.weight": t["decoder_out.weight"], "deconvs.2.bias": t["decoder_out.bias"]}


def torch_side(folder: Path) -> None:
    import torch
    from safetensors.numpy import load_file
    sys.path.insert(0, str(HERE))
    from torch_reference_vae import ConvVAE

    ours = np.load(folder / "ours.npz")

    def T(a):
        return torch.from_numpy(np.ascontiguousarray(a))

    model = ConvVAE(latent=2, hidden=256, channels=(32, 64))
    model.load_state_dict({k: T(v) for k, v in torch_state(load_file(folder / "m.safetensors")).items()})
    with torch.no_grad():
        mu, logvar = model.encode(T(ours["x"]))
        decoded = model.decode(T(ours["z"]))
    for name, a, b in (("mu", mu, ours["mu"]), ("logvar", logvar, ours["logvar"]),
                       ("decoded means", decoded, ours["decoded"])):
        print(f"{name}: largest difference {float(np.abs(a.numpy() - b).max()):.1e} "
              f"(values up to {float(np.abs(b).max()):.2g})")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--torch-side":
        torch_side(Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            our_side(Path(tmp))
            sys.exit(subprocess.run([TORCH_PYTHON, __file__, "--torch-side", tmp]).returncode)
