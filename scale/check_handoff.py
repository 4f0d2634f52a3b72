"""Checks that a model trained with PyTorch means the same thing in the engine (CI runs these).

Two halves, each run by its own Python, so neither needs the other's packages:

    # in the PyTorch venv: PyTorch's own decode (and evaluation) of a model file -> a reference .npz
    python scale/check_handoff.py torch-decode model.safetensors [more.safetensors ...]
    python scale/check_handoff.py torch-examples vae.safetensors --epochs 1 --limit 2000
    # in the project's Python (no torch): the engine's decode and evaluation against that reference
    python scale/check_handoff.py engine-compare model.safetensors [more.safetensors ...]

Each model's reference is written beside it as MODEL.ref.npz; several models share one process
(and one PyTorch import) on each side.

torch-decode opens a Latent Lab safetensors model (e.g. from train_torch.py) as an TorchVAE.
torch-examples trains the pytorch/examples VAE (fc1, fc21, fc22, fc3, fc4) on MNIST, saves its
state_dict with safetensors.torch.save_file, and evaluates it the way that example does (BCE of
the sigmoid output, summed, plus KL; one z sample per test image).  engine-compare fails (exit
1) unless the engine's decoded images match PyTorch's to 1e-5, its test loss with the same z
samples as PyTorch's (torch-decode draws them from NumPy) agrees to 0.01 nats, and its test loss
is within 0.3 nats of PyTorch's own evaluation (torch-examples; one z sample per image each).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DECODE_TOL = 1e-5
LOSS_TOL = 0.3          # nats per image; each side draws its own single z sample per image
SAME_NOISE_TOL = 0.01   # nats per image, when both sides use the same z samples (float32 rounding)


def same_noise(n: int, latent: int) -> np.ndarray:
    """The eps the engine's check draws for n test images: default_rng(0), as elbo_terms draws it."""
    return np.random.default_rng(0).standard_normal((n, latent), dtype=np.float32)


def codes(latent: int, n: int = 64) -> np.ndarray:
    """The latent codes both sides decode: a fixed standard-normal sample, (n, latent) float32."""
    return np.random.default_rng(1234).standard_normal((n, latent)).astype(np.float32)


# ---------------------------------------------------------------------------- PyTorch side
def reference_path(model_path: Path) -> Path:
    """Where a model's PyTorch reference is written: beside it, as MODEL.ref.npz."""
    return model_path.with_name(model_path.name + ".ref.npz")


def torch_decode(model_path: Path) -> None:
    import safetensors.torch
    import torch
    from safetensors import safe_open

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from torch_model import TorchVAE

    with safe_open(str(model_path), framework="pt") as f:
        meta = json.loads(f.metadata()["latent_lab"])
    model = TorchVAE(meta["model"])
    weights = {k: v for k, v in safetensors.torch.load_file(model_path).items() if not k.startswith("optimizer.")}
    model.load_state_dict(weights)
    z = codes(model.latent_dim)
    with torch.no_grad():
        decoded = model.decode(torch.from_numpy(z)).numpy()
    extra = {}
    source = (meta.get("dataset") or {}).get("source")
    if source:                     # PyTorch's test loss with the noise the engine's check will draw
        import data_io
        x = torch.from_numpy(data_io.load(source).x_test)
        with torch.no_grad():
            recon, kl = model.loss_terms(x, torch.from_numpy(same_noise(len(x), model.latent_dim)))
        extra = {"same_noise_test_loss": float((recon + kl).double().mean()), "data": source}
    np.savez(reference_path(model_path), z=z, decoded=decoded, **extra)
    print(f"PyTorch decoded {len(z)} codes of {model_path.name}", file=sys.stderr)


def torch_examples(model_path: Path, epochs: int, limit: int, seed: int) -> None:
    import safetensors.torch
    import torch
    import torch.nn.functional as F
    from torch import nn

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import data_io

    class VAE(nn.Module):          # pytorch/examples vae/main.py, as published
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return self.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)), mu, logvar

    def loss_function(recon, x, mu, logvar):
        bce = F.binary_cross_entropy(recon, x, reduction="sum")
        return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    torch.manual_seed(seed)
    data = data_io.load("mnist")
    x_train, x_test = torch.from_numpy(data.x_train[:limit]), torch.from_numpy(data.x_test)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x_train)).split(128):
            recon, mu, logvar = model(x_train[idx])
            optimizer.zero_grad()
            loss_function(recon, x_train[idx], mu, logvar).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        total = 0.0
        for s in range(0, len(x_test), 1000):          # the example's test(): one z sample per image
            xs = x_test[s:s + 1000]
            recon, mu, logvar = model(xs)
            total += float(loss_function(recon, xs, mu, logvar))
        test_loss = total / len(x_test)
        z = codes(20)
        decoded = model.decode(torch.from_numpy(z)).numpy()
    safetensors.torch.save_file(model.state_dict(), model_path)
    np.savez(reference_path(model_path), z=z, decoded=decoded, test_loss=test_loss)
    print(f"PyTorch: pytorch/examples VAE, {epochs} epoch(s) on {len(x_train):,} images, "
          f"test loss {test_loss:.2f} nats per image", file=sys.stderr)


# ---------------------------------------------------------------------------- engine side
def engine_compare(model_path: Path) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from engine import load_dataset, load_mnist, load_model

    saved = load_model(model_path)
    with np.load(reference_path(model_path), allow_pickle=False) as ref:
        z, theirs = ref["z"], ref["decoded"]
        losses = {k: float(ref[k]) for k in ("test_loss", "same_noise_test_loss") if k in ref.files}
        data = str(ref["data"]) if "data" in ref.files else "mnist"
    ours = saved.model.decode(z)
    gap = float(np.abs(ours - theirs).max())
    report = {"model": model_path.name, "decode_max_abs_diff": gap}
    ok = gap <= DECODE_TOL
    if losses:
        x_test = load_mnist().x_test if data == "mnist" else load_dataset(data).x_test
        recon, kl = saved.model.elbo_terms(x_test, np.random.default_rng(0))   # the eps same_noise() gives
        ours_loss = float((recon + kl).mean())
        report["engine_test_loss"] = round(ours_loss, 4)
        if "same_noise_test_loss" in losses:         # the same eps on both sides: equal up to rounding
            report["same_noise_gap"] = round(ours_loss - losses["same_noise_test_loss"], 4)
            ok = ok and abs(report["same_noise_gap"]) <= SAME_NOISE_TOL
        if "test_loss" in losses:                    # PyTorch's own evaluation, with its own noise
            report["torch_test_loss"] = round(losses["test_loss"], 4)
            report["test_loss_gap"] = round(ours_loss - losses["test_loss"], 4)
            ok = ok and abs(report["test_loss_gap"]) <= LOSS_TOL
    print(json.dumps(report))
    if not ok:
        print(f"check_handoff.py: the engine disagrees with PyTorch beyond {DECODE_TOL} (decode), "
              f"{SAME_NOISE_TOL} nats (the same noise) or {LOSS_TOL} nats (its own noise)", file=sys.stderr)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("torch-decode", help="PyTorch's decode of Latent Lab safetensors models")
    d.add_argument("models", type=Path, nargs="+")
    e = sub.add_parser("torch-examples", help="train and save the pytorch/examples VAE, with PyTorch's evaluation")
    e.add_argument("model", type=Path)
    e.add_argument("--epochs", type=int, default=1)
    e.add_argument("--limit", type=int, default=60000)
    e.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("engine-compare", help="the engine's decode and test loss against the references")
    c.add_argument("models", type=Path, nargs="+")
    a = p.parse_args(argv)
    if a.command == "torch-decode":
        for model in a.models:
            torch_decode(model)
    elif a.command == "torch-examples":
        torch_examples(a.model, a.epochs, a.limit, a.seed)
    else:
        return max(engine_compare(model) for model in a.models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
