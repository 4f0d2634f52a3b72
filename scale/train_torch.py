"""Train Latent Lab's VAE with PyTorch, on one process or many (torchrun + DistributedDataParallel),
and write a model file the app and `python -m engine` open like their own.

    python scale/train_torch.py --data mnist --hidden 400 --latent 2 --epochs 10 --out model.safetensors
    torchrun --nproc-per-node 2 scale/train_torch.py --data mnist --hidden 400 --latent 2 \
        --epochs 1 --limit 2000 --out model.safetensors

The flags follow `python -m engine train`.  --batch is the global batch: under torchrun each of
the N processes takes every N-th image of it, and the loss is scaled so that DDP's gradient
average equals the gradient of the per-image mean over the whole batch, as on one process.
Backend: nccl on GPUs, gloo on CPUs.  Only rank 0 evaluates and writes the file.
Data: 'mnist' (the bundled copy in assets/) or an .npz from `python -m engine export-data`.
This script never imports the engine (and the engine never imports it): it needs only torch,
numpy and safetensors (scale/requirements.txt).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import data_io
import model_file
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch_model import ACTIVATIONS, FAMILIES, TorchVAE, family_fields, family_problem

EVAL_CHUNK = 2000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="mnist", help="'mnist' or an .npz from `python -m engine export-data` (default mnist)")
    p.add_argument("--arch", choices=FAMILIES, default="mlp", help="model family (default mlp)")
    p.add_argument("--hidden", default="400", help="encoder hidden sizes, e.g. 400 or 512,256 (default 400)")
    p.add_argument("--decoder-hidden", default=None, help="decoder hidden sizes (default: mirror --hidden)")
    p.add_argument("--channels", default=None, help="conv channels, e.g. 32,64 (--arch conv)")
    p.add_argument("--latent", type=int, default=2, help="latent dimensions (default 2)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", help="(default relu)")
    p.add_argument("--likelihood", choices=("bernoulli", "gaussian"), default="bernoulli", help="(default bernoulli)")
    p.add_argument("--variance", type=float, default=None, help="fixed Gaussian variance (default: learned)")
    p.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    p.add_argument("--batch", type=int, default=128, help="global minibatch size (default 128)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--beta", type=float, default=1.0, help="KL weight (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and noise (default 0)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images (default all)")
    p.add_argument("--out", type=Path, required=True, help="model file to write (.safetensors)")
    a = p.parse_args(argv)
    sizes = lambda text: [int(s) for s in text.split(",") if s.strip()]
    a.hidden = sizes(a.hidden)
    a.decoder_hidden = sizes(a.decoder_hidden) if a.decoder_hidden else None
    a.channels = sizes(a.channels) if a.channels else []
    if family_problem(a.arch, a.channels):
        p.error(family_problem(a.arch, a.channels))
    problems = [(not a.hidden or min(a.hidden) < 1, "--hidden needs positive sizes"),
                (a.latent < 1, "--latent must be at least 1"), (a.epochs < 1, "--epochs must be at least 1"),
                (a.batch < 1, "--batch must be at least 1"),
                (not (math.isfinite(a.lr) and a.lr > 0), "--lr must be positive"),
                (not (math.isfinite(a.beta) and a.beta >= 0), "--beta must be non-negative"),
                (a.limit is not None and a.limit < 1, "--limit must be at least 1"),
                (a.variance is not None and not a.variance >= 1e-4, "--variance must be at least 1e-4"),
                (a.out.suffix != ".safetensors", "--out must end in .safetensors")]
    for bad, message in problems:
        if bad:
            p.error(message)
    return a


def setup() -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    return rank, world, device


@torch.no_grad()
def evaluate(model: TorchVAE, x: torch.Tensor, seed: int, epoch: int) -> tuple[float, float]:
    """Test-set (reconstruction, KL) per-image means, one z sample each."""
    gen = torch.Generator().manual_seed(seed * 100003 + 7919 * epoch)
    recon = kl = 0.0
    for s in range(0, len(x), EVAL_CHUNK):
        xs = x[s:s + EVAL_CHUNK]
        eps = torch.randn(len(xs), model.latent_dim, generator=gen).to(x.device)
        r, k = model.loss_terms(xs, eps)
        recon, kl = recon + float(r.sum()), kl + float(k.sum())
    return recon / len(x), kl / len(x)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    rank, world, device = setup()
    data = data_io.load(a.data)
    problem = family_problem(a.arch, a.channels, data.image_shape)
    if problem:
        raise SystemExit(f"train_torch.py: {problem} ({data.name})")
    x_train = torch.from_numpy(data.x_train[:a.limit] if a.limit else data.x_train).to(device)
    x_test = torch.from_numpy(data.x_test).to(device)
    config = {"image_shape": data.image_shape, "hidden": a.hidden, "latent_dim": a.latent,
              "decoder_hidden": a.decoder_hidden, "activation": a.activation, "likelihood": a.likelihood,
              "output_variance": a.variance, **family_fields(a.arch, a.channels)}
    train_config = {"epochs": a.epochs, "batch_size": a.batch, "lr": a.lr, "optimizer": "adam",
                    "beta": a.beta, "warmup_epochs": 0, "seed": a.seed}
    torch.manual_seed(a.seed)                  # the same initial weights on every rank
    model = TorchVAE(config).to(device)
    net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \
        if world > 1 else model
    optimizer = torch.optim.Adam(net.parameters(), lr=a.lr)
    noise = torch.Generator().manual_seed(a.seed * 1000 + rank)      # each rank its own eps
    n, B = len(x_train), min(a.batch, len(x_train))
    batches, history = math.ceil(n / B), []
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(a.seed * 100003 + epoch))
        start, loss_sum = time.perf_counter(), torch.zeros(1, dtype=torch.float64, device=device)
        for b in range(batches):
            idx = order[b * B:(b + 1) * B]
            mine = idx[rank::world].to(device)
            eps = torch.randn(len(mine), a.latent, generator=noise).to(device)
            recon, kl = net(x_train[mine], eps)
            # summed over my share, over the global batch's size, times world: DDP's average of the
            # ranks' gradients is then the gradient of the global batch's per-image mean
            loss = (recon + a.beta * kl).sum() * (world / len(idx))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += (recon + kl).detach().sum().double()
        seconds = time.perf_counter() - start
        if world > 1:
            dist.all_reduce(loss_sum)
        if rank == 0:
            recon_t, kl_t = evaluate(model, x_test, a.seed, epoch)
            report = {"epoch": epoch, "epochs": a.epochs, "train_loss": float(loss_sum) / n,
                      "test_loss": recon_t + kl_t, "recon": recon_t, "kl": kl_t, "epoch_seconds": seconds}
            history.append(report)
            print(json.dumps({k: v for k, v in report.items() if k != "epochs"}), flush=True)
    if rank == 0:
        model_file.write(a.out, model, optimizer, config, train_config, history, data)
        print(f"wrote {a.out} ({world} process{'es' if world > 1 else ''}, {n:,} images of {data.name})",
              file=sys.stderr)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
