"""`python -m engine`: train, evaluate and sample VAEs without the GUI.

Errors print one line on stderr and exit non-zero; there are no tracebacks for bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .config import ACTIVATIONS, LIKELIHOODS, OPTIMIZERS, TrainConfig, VAEConfig
from .data import Dataset, load_dataset_with_report
from .errors import EngineError
from .manifold import manifold_grid
from .storage import ModelFile, load_model, save_model
from .threads import set_threads
from .training import EpochReport, Trainer
from .vae import VAE

PROG = "python -m engine"
JSON_KEYS = ("epoch", "train_loss", "test_loss", "recon", "kl", "epoch_seconds")


class CliError(Exception):
    """A usage problem: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # one line, not argparse's usage block
        raise CliError(f"{message} (see {self.prog} --help)")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 400 or 512,256, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Train, evaluate and sample variational autoencoders (NumPy).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a VAE (or resume one) and optionally save it")
    t.add_argument("--data", default=None, help="'mnist' (bundled), or a folder of images / IDX files / "
                   ".npy arrays (default: mnist, or the resumed model's data set)")
    t.add_argument("--hidden", type=_sizes, default=(400,), help="encoder hidden sizes, e.g. 400 or 512,256 (default 400)")
    t.add_argument("--decoder-hidden", type=_sizes, default=None, help="decoder hidden sizes (default: mirror --hidden)")
    t.add_argument("--latent", type=int, default=2, help="latent dimensions (default 2)")
    t.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    t.add_argument("--likelihood", choices=LIKELIHOODS, default="bernoulli", help="decoder likelihood (default bernoulli)")
    t.add_argument("--variance", type=float, default=None,
                   help="fixed pixel variance for --likelihood gaussian (default: learned per pixel)")
    t.add_argument("--epochs", type=int, default=10, help="epochs to train (default 10; with --resume, epochs more)")
    t.add_argument("--batch", type=int, default=128, help="minibatch size (default 128)")
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer (default adam)")
    t.add_argument("--beta", type=float, default=1.0, help="KL weight (default 1)")
    t.add_argument("--warmup", type=int, default=0, help="epochs over which beta rises from 0 (default 0)")
    t.add_argument("--seed", type=int, default=0, help="random seed for weights, shuffling and noise (default 0)")
    t.add_argument("--threads", type=int, default=None,
                   help="threads for the matrix products (default: one per core)")
    t.add_argument("--limit", type=int, default=None, help="use only the first N training images (default: all)")
    t.add_argument("--save", type=Path, default=None, help="write the model here (.npz); with --resume, default: the resumed file")
    t.add_argument("--resume", type=Path, default=None, help="continue training this model file")
    t.add_argument("--json", action="store_true", help="print one JSON object per epoch on stdout and nothing else")

    e = sub.add_parser("evaluate", help="test-set ELBO and importance-weighted log-likelihood of a model")
    e.add_argument("model", type=Path, help="model file (.npz)")
    e.add_argument("--data", default=None, help="data set (default: the one the model was trained on, if loadable)")
    e.add_argument("--iw", type=int, default=100, help="importance samples K for the log p(x) estimate (default 100)")
    e.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    e.add_argument("--threads", type=int, default=None, help="threads for the matrix products (default: one per core)")
    e.add_argument("--json", action="store_true", help="print the result as one JSON object")

    s = sub.add_parser("sample", help="write the latent manifold (or prior samples) as a PNG grid")
    s.add_argument("model", type=Path, help="model file (.npz)")
    s.add_argument("--grid", type=int, default=20, help="images per side (default 20)")
    s.add_argument("--out", type=Path, default=Path("grid.png"), help="PNG to write (default grid.png)")
    s.add_argument("--seed", type=int, default=0, help="seed for prior samples when latent > 2 (default 0)")
    return p


def _data_for(spec: str | None, saved: ModelFile | None = None) -> Dataset:
    """The data set named by --data, else the one `saved` was trained on, else MNIST.

    A model's own data set is loaded again with the folder options it was loaded with; another
    folder is brought to the model's image size.
    """
    options: dict = {}
    if spec is None and saved is not None:
        spec = saved.dataset_source or saved.dataset_name
        if spec is None:
            raise CliError("the model's data set is not recorded in its file; name it with --data")
        options = saved.folder_options() if saved.dataset_source else {}
    elif saved is not None:
        options = {"image_size": saved.image_shape}
    data, summary = load_dataset_with_report(spec or "mnist", **options)
    if summary:
        print(summary, file=sys.stderr)
    return data


class _ProgressBar:
    """One self-rewriting line on stderr, redrawn at most 10 times a second."""

    def __init__(self) -> None:
        self._last = 0.0

    def batch(self, r) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and r.batch != r.batches:
            return
        self._last = now
        filled = int(30 * r.batch / r.batches)
        sys.stderr.write(f"\repoch {r.epoch}/{r.epochs} [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{r.batch}/{r.batches} loss {r.loss:8.2f}  {r.samples_per_sec:,.0f} img/s ")
        sys.stderr.flush()

    def epoch(self, r: EpochReport) -> None:
        sys.stderr.write(f"\repoch {r.epoch}/{r.epochs}: train {r.train_loss:.2f}  test {r.test_loss:.2f} "
                         f"(recon {r.recon:.2f}, KL {r.kl:.2f})  {r.epoch_seconds:.2f} s{' ' * 20}\n")


def _limit(data: Dataset, n: int | None) -> Dataset:
    return data.subset(n, len(data.x_test)) if n else data


def cmd_train(a: argparse.Namespace) -> int:
    if a.threads:
        set_threads(a.threads)
    if a.resume:
        saved = load_model(a.resume)
        data = _limit(_data_for(a.data, saved), a.limit)
        trainer = Trainer.resume(saved, data, epochs=a.epochs, threads=a.threads)
        save_to = a.save or a.resume
    else:
        data = _limit(_data_for(a.data), a.limit)
        vcfg = VAEConfig(image_shape=data.image_shape, hidden=a.hidden, latent_dim=a.latent,
                         decoder_hidden=a.decoder_hidden, activation=a.activation,
                         likelihood=a.likelihood, output_variance=a.variance)
        tcfg = TrainConfig(epochs=a.epochs, batch_size=a.batch, lr=a.lr, optimizer=a.optimizer,
                           beta=a.beta, warmup_epochs=a.warmup, seed=a.seed)
        trainer = Trainer(VAE(vcfg, seed=a.seed), data, tcfg, threads=a.threads)
        save_to = a.save
    bar = None if a.json else _ProgressBar()
    try:
        for report in trainer.run():
            if isinstance(report, EpochReport):
                if a.json:
                    print(json.dumps({k: getattr(report, k) for k in JSON_KEYS}), flush=True)
                else:
                    bar.epoch(report)
            elif bar:
                bar.batch(report)
    except KeyboardInterrupt:
        trainer.stop()
        print(f"\ninterrupted after {trainer.epochs_done} complete epochs", file=sys.stderr)
        if save_to:
            save_model(save_to, trainer.model, trainer)
            print(f"saved {save_to}", file=sys.stderr)
        return 130
    if save_to:
        save_model(save_to, trainer.model, trainer)
        if not a.json:
            print(f"saved {save_to}", file=sys.stderr)
    return 0


def cmd_evaluate(a: argparse.Namespace) -> int:
    if a.threads:
        set_threads(a.threads)
    saved = load_model(a.model)
    data = _data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape[0]}x{saved.image_shape[1]} images but "
                       f"{data.name} has {data.image_shape[0]}x{data.image_shape[1]}")
    rng = np.random.default_rng(a.seed)
    recon, kl = saved.model.elbo_terms(data.x_test, rng)
    log_px = saved.model.iwae_log_likelihood(data.x_test, a.iw, rng)
    result = {"images": len(data.x_test), "elbo": float(-(recon + kl).mean()), "recon": float(recon.mean()),
              "kl": float(kl.mean()), "iw_samples": a.iw, "log_likelihood": float(log_px.mean())}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"test ELBO     {result['elbo']:.2f} nats per image (recon {result['recon']:.2f}, KL {result['kl']:.2f}; "
              f"{result['images']:,} images of {data.name})")
        print(f"test log p(x) {result['log_likelihood']:.2f} nats per image (importance-weighted, K={a.iw})")
    return 0


def cmd_sample(a: argparse.Namespace) -> int:
    from PIL import Image

    if a.grid < 1:
        raise CliError("--grid must be at least 1")
    saved = load_model(a.model)
    mosaic = manifold_grid(saved.model, a.grid, np.random.default_rng(a.seed))
    pixels = np.clip(np.rint(mosaic * 255.0), 0, 255).astype(np.uint8)
    try:
        Image.fromarray(pixels, mode="L").save(a.out, format="PNG")
    except OSError as exc:
        raise CliError(f"cannot write {a.out}: {exc.strerror or exc}") from None
    print(f"wrote {a.out} ({pixels.shape[1]}x{pixels.shape[0]} pixels)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "evaluate": cmd_evaluate, "sample": cmd_sample}[args.command](args)
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
