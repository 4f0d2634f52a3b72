"""Does our conv VAE train as PyTorch's does?  Same start, same batches, same noise: step by step.

Two checks of the MNIST conv VAE (Conv 32-64, Dense 256, latent 2) against
benchmarks/torch_reference_vae.py's ConvVAE (run with the torch venv):

1. Initialisation: per tensor, the largest |w| and the standard deviation of our initial weights
   and of PyTorch's defaults (nn.Conv2d, nn.ConvTranspose2d, nn.Linear), averaged over 20 seeds.
   PyTorch draws U(+-1/sqrt(fan_in)) for weights and biases; a transposed convolution's fan-in is
   its weight's dim 1 (out channels) * k * k.
2. Training: our model's initial weights are loaded into PyTorch's, and both take the same
   `--steps` Adam steps (lr 1e-3, batch 128, BCE summed over pixels + KL) on the same batches
   with the same reparameterisation noise.  The per-step training losses agree to float32
   rounding until the two trajectories drift apart, as any two float32 runs do, so the
   optimizer, the loss and its reduction (mean here, sum there) and every gradient match.

    python benchmarks/check_conv_torch_training.py               # 300 steps, about a minute
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TORCH_PYTHON = "/work/torch-venv/bin/python"
CONFIG = dict(arch="conv", channels=(32, 64), hidden=(256,), latent_dim=2)
SEEDS = 20


def our_init() -> dict[str, tuple[float, float]]:
    from check_conv_torch import torch_state

    from engine import VAE, VAEConfig, save_model  # noqa: F401  (engine first: OpenBLAS settings)
    from engine.storage.layout import to_tensors

    stats: dict[str, list] = {}
    for seed in range(SEEDS):
        model = VAE(VAEConfig(**CONFIG), seed=seed)
        state = torch_state(to_tensors(model.config, model.params))
        for name in ("fc21", "fc22"):             # our one head is PyTorch's two: compare it whole
            for kind in ("weight", "bias"):
                state.pop(f"{name}.{kind}")
        for kind in ("weight", "bias"):
            state[f"head.{kind}"] = to_tensors(model.config, model.params)[f"encoder_head.{kind}"]
        for name, t in state.items():
            stats.setdefault(name, []).append((float(np.abs(t).max()), float(t.std())))
    return {k: tuple(np.mean(v, axis=0)) for k, v in stats.items()}


def torch_init() -> dict[str, tuple[float, float]]:
    import torch
    from torch_reference_vae import ConvVAE

    stats: dict[str, list] = {}
    for seed in range(SEEDS):
        torch.manual_seed(seed)
        state = {k: v.numpy() for k, v in ConvVAE(latent=2, hidden=256, channels=(32, 64)).state_dict().items()}
        for kind in ("weight", "bias"):
            state[f"head.{kind}"] = np.concatenate([state.pop(f"fc21.{kind}"), state.pop(f"fc22.{kind}")])
        for name, t in state.items():
            stats.setdefault(name, []).append((float(np.abs(t).max()), float(t.std())))
    return {k: tuple(np.mean(v, axis=0)) for k, v in stats.items()}


def our_steps(folder: Path, steps: int) -> None:
    from engine import VAE, VAEConfig, load_mnist, save_model, set_threads
    from engine.data.dataset import to_float
    from engine.optim import Adam

    set_threads(1)
    model = VAE(VAEConfig(**CONFIG), seed=5)
    save_model(folder / "m.safetensors", model)
    x = to_float(load_mnist().x_train)
    rng = np.random.default_rng(1)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(steps * 128 // len(x) + 1)])[:steps * 128]
    eps = rng.standard_normal((steps * 128, 2)).astype(np.float32)
    np.savez(folder / "stream.npz", order=order, eps=eps)
    opt = Adam(model.params, model.grads)
    losses = []
    for s in range(steps):
        rows = slice(s * 128, (s + 1) * 128)
        losses.append(model.train_step(x[order[rows]], eps[rows], 1.0, opt.grad_scale)[0])
        opt.step()
    np.save(folder / "ours.npy", np.array(losses))


def torch_steps(folder: Path, steps: int) -> None:
    import torch
    import torch.nn.functional as F
    from check_conv_torch import torch_state
    from safetensors.numpy import load_file
    from torch_reference_vae import DEFAULT_DATA_DIR, ConvVAE, load_mnist

    torch.set_num_threads(1)
    model = ConvVAE(latent=2, hidden=256, channels=(32, 64))
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v))
                           for k, v in torch_state(load_file(folder / "m.safetensors")).items()})
    train, _ = load_mnist(DEFAULT_DATA_DIR)
    stream = np.load(folder / "stream.npz")
    order, eps = torch.from_numpy(stream["order"]), torch.from_numpy(stream["eps"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for s in range(steps):
        rows = slice(s * 128, (s + 1) * 128)
        x = train[order[rows]]
        opt.zero_grad()
        mu, logvar = model.encode(x)
        recon = model.decode(mu + torch.exp(0.5 * logvar) * eps[rows])
        loss = F.binary_cross_entropy(recon, x, reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss.backward()
        opt.step()
        losses.append(loss.item() / 128)
    np.save(folder / "torch.npy", np.array(losses))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--torch-side", nargs=2, metavar=("FOLDER", "WHAT"), help=argparse.SUPPRESS)
    a = p.parse_args()
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    if a.torch_side:
        folder, what = Path(a.torch_side[0]), a.torch_side[1]
        if what == "init":
            np.save(folder / "torch_init.npy", torch_init(), allow_pickle=True)
        else:
            torch_steps(folder, a.steps)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for what in ("init", "steps"):
            cmd = [TORCH_PYTHON, __file__, "--steps", str(a.steps), "--torch-side", tmp, what]
            if what == "steps":
                our_steps(folder, a.steps)
            if subprocess.run(cmd).returncode:
                return 1
        ours, theirs = our_init(), np.load(folder / "torch_init.npy", allow_pickle=True).item()
        print(f"### Initial weights, mean over {SEEDS} seeds (PyTorch's names)\n")
        print("| tensor | ours: max abs, std | PyTorch: max abs, std |\n|---|---|---|")
        for name in theirs:
            print(f"| {name} | {ours[name][0]:.4f}, {ours[name][1]:.4f} | {theirs[name][0]:.4f}, {theirs[name][1]:.4f} |")
        o, t = np.load(folder / "ours.npy"), np.load(folder / "torch.npy")
        d = o - t
        print(f"\n### {a.steps} Adam steps from the same weights, batches and noise\n")
        print("| steps | mean loss, ours | mean loss, PyTorch | mean difference | mean abs difference |\n|---|---|---|---|---|")
        for lo in range(0, a.steps, max(1, a.steps // 6)):
            hi = min(a.steps, lo + max(1, a.steps // 6))
            print(f"| {lo + 1}-{hi} | {o[lo:hi].mean():.3f} | {t[lo:hi].mean():.3f} | {d[lo:hi].mean():+.4f} | "
                  f"{np.abs(d[lo:hi]).mean():.4f} |")
        apart = np.flatnonzero(np.abs(d) > 0.01)
        print(f"\nFirst step differing by more than 0.01 nats: {apart[0] + 1 if apart.size else 'none'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
