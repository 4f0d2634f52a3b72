"""PyTorch CPU reference VAE for Latent Lab's engine speed/quality benchmark.

What it measures
----------------
A replica (written from scratch, same model and training recipe) of the
pytorch/examples ``vae/main.py`` variational autoencoder on MNIST:

* encoder ``fc1`` 784 -> 400 (ReLU), ``fc21`` / ``fc22`` 400 -> latent (mu, logvar);
* decoder ``fc3`` latent -> 400 (ReLU), ``fc4`` 400 -> 784 (sigmoid);
* loss per batch = ``binary_cross_entropy(recon, x, reduction='sum')`` + KL divergence
  of ``N(mu, exp(logvar))`` from ``N(0, I)``, summed over the batch;
* Adam, learning rate 1e-3, batch size 128, training set reshuffled every epoch
  (last partial batch kept), ``torch.manual_seed(seed)`` at start.

After each epoch it prints exactly one JSON object on its own line to stdout::

    {"epoch": 1, "train_loss": ..., "test_loss": ..., "recon": ..., "kl": ...,
     "epoch_seconds": ...}

* ``train_loss``: summed training loss of the epoch / 60000 (as the example prints
  it: the loss of each batch is taken with the weights of that moment);
* ``test_loss``: negative ELBO summed over all 10,000 test images, one z sample each,
  / 10000 (nats per image); ``recon`` and ``kl`` are its two parts, per image;
* ``epoch_seconds``: wall time of that epoch's training loop alone (shuffle,
  batches, forward, backward, Adam steps); neither the test pass nor data loading
  is counted.

Differences from the example, on purpose
----------------------------------------
MNIST is read once from the gzipped IDX files in ``assets/mnist/`` with gzip and
NumPy (no torchvision), scaled to [0, 1] like ``transforms.ToTensor()``, and kept
as one float32 tensor. Batches are drawn by indexing it with ``torch.randperm``
instead of going through a ``DataLoader``. This removes the data-loading cost the
example pays every epoch, so this reference is *faster* than the example, i.e. a
stricter yardstick for our engine. The ``engine`` package is deliberately not
imported: the reference shares no code with what it measures.

How to run
----------
torch is never a dependency of Latent Lab. Install it in a separate venv outside
the repository, then run from the repository root::

    python -m venv /work/torch-venv
    /work/torch-venv/bin/pip install torch==2.13.0 numpy
    /work/torch-venv/bin/python benchmarks/torch_reference_vae.py --latent 20 --epochs 10 --threads 2

``benchmarks/compare_torch.py`` runs this script and our CLI side by side.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "assets" / "mnist"
IMAGE_PIXELS = 28 * 28


class VAE(nn.Module):
    """The pytorch/examples VAE: 784-hidden-latent encoder, latent-hidden-784 decoder."""

    def __init__(self, latent: int = 20, hidden: int = 400) -> None:
        super().__init__()
        self.fc1 = nn.Linear(IMAGE_PIXELS, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, IMAGE_PIXELS)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x.view(-1, IMAGE_PIXELS))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class ConvVAE(VAE):
    """The convolutional VAE of Latent Lab's ``--arch conv``: one 4x4, stride-2, padding-1 Conv2d
    (ReLU) per entry of ``channels``, ``hidden`` -> latent, and the mirror image (ReLU between
    layers, sigmoid on the last transposed convolution)."""

    def __init__(self, latent: int = 2, hidden: int = 256, channels: Sequence[int] = (32, 64)) -> None:
        nn.Module.__init__(self)
        side = 28 // 2 ** len(channels)
        self.map_shape = (channels[-1], side, side)
        flat = channels[-1] * side * side
        convs, ins = [], (1,) + tuple(channels[:-1])
        for c_in, c_out in zip(ins, channels):
            convs += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.ReLU()]
        self.convs = nn.Sequential(*convs)
        self.fc1 = nn.Linear(flat, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, flat)
        deconvs = []
        outs = tuple(reversed(ins))
        for i, (c_in, c_out) in enumerate(zip(reversed(channels), outs)):
            deconvs.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1))
            if i < len(outs) - 1:
                deconvs.append(nn.ReLU())
        self.deconvs = nn.Sequential(*deconvs)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc1(self.convs(x.view(-1, 1, 28, 28)).flatten(1)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc4(F.relu(self.fc3(z))))
        return torch.sigmoid(self.deconvs(h.view(-1, *self.map_shape))).view(-1, IMAGE_PIXELS)


def loss_terms(
    recon: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed Bernoulli reconstruction loss (BCE) and summed KL term of a batch."""
    bce = F.binary_cross_entropy(recon, x.view(-1, IMAGE_PIXELS), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce, kld


def _expected_sha256(data_dir: Path) -> dict[str, str]:
    sums_file = data_dir / "SHA256SUMS"
    if not sums_file.exists():
        return {}
    sums: dict[str, str] = {}
    for line in sums_file.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def read_idx_images(path: Path, expected_sha256: str | None = None) -> np.ndarray:
    """Read a gzipped IDX3 image file into a (n, 784) float32 array scaled to [0, 1]."""
    raw_gz = path.read_bytes()
    if expected_sha256 is not None:
        digest = hashlib.sha256(raw_gz).hexdigest()
        if digest != expected_sha256:
            raise ValueError(f"{path}: SHA-256 {digest} does not match {expected_sha256}")
    raw = gzip.decompress(raw_gz)
    magic, count, rows, cols = (int(v) for v in np.frombuffer(raw, dtype=">u4", count=4))
    if magic != 2051:
        raise ValueError(f"{path}: not an IDX3 image file (magic {magic})")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16, count=count * rows * cols)
    return (pixels.reshape(count, rows * cols).astype(np.float32) / np.float32(255.0))


def load_mnist(data_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Training (60000, 784) and test (10000, 784) images as float32 tensors in [0, 1]."""
    sums = _expected_sha256(data_dir)
    names = ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz")
    train, test = (read_idx_images(data_dir / n, sums.get(n)) for n in names)
    return torch.from_numpy(train), torch.from_numpy(test)


def train_epoch(
    model: VAE, optimizer: torch.optim.Optimizer, train_x: torch.Tensor, batch_size: int
) -> tuple[float, float]:
    """One epoch over a fresh permutation. Returns (summed loss, wall seconds)."""
    model.train()
    n = train_x.shape[0]
    total = 0.0
    start = time.perf_counter()
    order = torch.randperm(n)
    for lo in range(0, n, batch_size):
        total += train_batch(model, optimizer, train_x[order[lo : lo + batch_size]])
    seconds = time.perf_counter() - start
    return total, seconds


def train_batch(model: VAE, optimizer: torch.optim.Optimizer, x: torch.Tensor) -> float:
    """One Adam step on batch x; returns its summed loss."""
    optimizer.zero_grad()
    recon, mu, logvar = model(x)
    bce, kld = loss_terms(recon, x, mu, logvar)
    loss = bce + kld
    loss.backward()
    optimizer.step()
    return loss.item()


def serve_steps(model: VAE, optimizer: torch.optim.Optimizer, train_x: torch.Tensor, batch_size: int) -> None:
    """For each line "N" on stdin, train N more batches (as train_epoch does, one permutation per
    pass over the data) and print {"steps": N, "seconds": wall time of those steps}.
    benchmarks/compare_torch_conv_steps.py alternates such chunks with our engine's."""
    model.train()
    n, order, lo = train_x.shape[0], torch.randperm(train_x.shape[0]), 0
    for line in sys.stdin:
        steps = int(line)
        start = time.perf_counter()
        for _ in range(steps):
            if lo >= n:
                order, lo = torch.randperm(n), 0
            train_batch(model, optimizer, train_x[order[lo : lo + batch_size]])
            lo += batch_size
        print(json.dumps({"steps": steps, "seconds": time.perf_counter() - start}), flush=True)


@torch.no_grad()
def evaluate(model: VAE, test_x: torch.Tensor, batch_size: int) -> tuple[float, float]:
    """Summed reconstruction and KL terms over the test set, one z sample per image."""
    model.eval()
    recon_sum = 0.0
    kl_sum = 0.0
    for lo in range(0, test_x.shape[0], batch_size):
        x = test_x[lo : lo + batch_size]
        recon, mu, logvar = model(x)
        bce, kld = loss_terms(recon, x, mu, logvar)
        recon_sum += bce.item()
        kl_sum += kld.item()
    return recon_sum, kl_sum


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="PyTorch CPU replica of the pytorch/examples MNIST VAE; "
        "prints one JSON object per epoch.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--latent", type=int, default=20, help="latent dimension")
    parser.add_argument("--hidden", type=int, default=400, help="hidden layer width")
    parser.add_argument("--channels", type=lambda t: tuple(int(c) for c in t.split(",")), default=(),
                        help="conv channels, e.g. 32,64: the convolutional VAE (default: the MLP)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs")
    parser.add_argument("--batch", type=int, default=128, help="batch size")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="torch.set_num_threads value; None leaves torch's own choice",
    )
    parser.add_argument("--seed", type=int, default=1, help="torch.manual_seed value")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR,
        help="folder with the four gzipped MNIST IDX files",
    )
    parser.add_argument("--serve-steps", action="store_true",
                        help="train chunks of batches on request from stdin instead of epochs (see serve_steps)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, test_x = load_mnist(args.data_dir)
    if args.limit:
        train_x = train_x[:args.limit]
    if args.channels:
        model = ConvVAE(latent=args.latent, hidden=args.hidden, channels=args.channels)
    else:
        model = VAE(latent=args.latent, hidden=args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    if args.serve_steps:
        serve_steps(model, optimizer, train_x, args.batch)
        return 0
    n_train, n_test = train_x.shape[0], test_x.shape[0]
    for epoch in range(1, args.epochs + 1):
        train_sum, seconds = train_epoch(model, optimizer, train_x, args.batch)
        recon_sum, kl_sum = evaluate(model, test_x, args.batch)
        record = {
            "epoch": epoch,
            "train_loss": train_sum / n_train,
            "test_loss": (recon_sum + kl_sum) / n_test,
            "recon": recon_sum / n_test,
            "kl": kl_sum / n_test,
            "epoch_seconds": seconds,
        }
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
