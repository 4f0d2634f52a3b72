"""`train`: train a VAE (or resume one from its file) and optionally save it."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ..architecture import family
from ..config import ACTIVATIONS, ARCHS, LIKELIHOODS, OPTIMIZERS, TrainConfig, VAEConfig
from ..data import Dataset
from ..data.decode import COLOR_MODES
from ..errors import ModelFileError, TrainingDiverged
from ..losses import VAR_FLOOR
from ..runs import recorded
from ..storage import FORMATS, ModelFile, load_model, save_model
from ..storage.destination import check_save_destination, describe_error, rescue_save
from ..text import printable
from ..threads import set_threads
from ..training import EpochReport, Trainer
from ..vae import VAE
from . import checks as check
from .common import PROG, CliError, add_scan_arguments, data_for, image_size_arg, scan_limits
from .runs import add_record_arguments, recording_history

NAME = "train"
JSON_KEYS = ("epoch", "train_loss", "test_loss", "recon", "kl", "epoch_seconds")


def add_parser(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser(NAME, help="train a VAE (or resume one) and optionally save it")
    t.add_argument("--data", default=None, help="'mnist' (bundled), or a folder of images / IDX files / "
                   ".npy arrays (default: mnist, or the resumed model's data set)")
    t.add_argument("--size", type=image_size_arg, default=None,
                   help="bring every image of a folder to N x N or HxW pixels (default: the folder's common size "
                        "if at most 64x64, else 28x28)")
    t.add_argument("--color", choices=COLOR_MODES, default="auto",
                   help="folder images in colour (rgb), grey, or auto: rgb if any image carries colour (default auto)")
    t.add_argument("--background", default=None,
                   help="what transparent pixels are composited onto: white, black or #rrggbb "
                        "(default: white for colour; for grey, whichever contrasts)")
    t.add_argument("--arch", choices=ARCHS, default="mlp",
                   help="mlp, or conv: stride-2 4x4 convolutions before the hidden layers, mirrored (default mlp)")
    t.add_argument("--channels", type=check.sizes, default=None,
                   help="conv channels, one stride-2 convolution each, e.g. 32,64 (default 32,64 with --arch conv)")
    t.add_argument("--hidden", type=check.sizes, default=(400,), help="encoder hidden sizes, e.g. 400 or 512,256 (default 400)")
    t.add_argument("--decoder-hidden", type=check.sizes, default=None, help="decoder hidden sizes (default: mirror --hidden)")
    t.add_argument("--latent", type=check.integer(1), default=2, help="latent dimensions (default 2)")
    t.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    t.add_argument("--likelihood", choices=LIKELIHOODS, default="bernoulli", help="decoder likelihood (default bernoulli)")
    t.add_argument("--variance", type=check.positive_number(VAR_FLOOR, 1e6, low_inclusive=True,
                                                           why=" (the learned variance's floor)"), default=None,
                   help=f"fixed pixel variance for --likelihood gaussian, at least {VAR_FLOOR:g} "
                        "(default: learned per pixel)")
    t.add_argument("--epochs", type=check.integer(1), default=10, help="epochs to train (default 10; with --resume, epochs more)")
    t.add_argument("--batch", type=check.integer(1), default=128, help="minibatch size (default 128)")
    t.add_argument("--lr", type=check.positive_number(), default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer (default adam)")
    t.add_argument("--beta", type=check.positive_number(low_inclusive=True), default=1.0, help="KL weight (default 1)")
    t.add_argument("--warmup", type=check.integer(0), default=0, help="epochs over which beta rises from 0 (default 0)")
    t.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0,
                   help="random seed for weights, shuffling and noise (default 0)")
    t.add_argument("--threads", type=check.threads, default=None,
                   help="threads for the matrix products (default: one per core)")
    t.add_argument("--limit", type=check.integer(1), default=None, help="use only the first N training images (default: all)")
    t.add_argument("--save", type=Path, default=None, help="write the model here (.npz or .safetensors); with --resume, default: the resumed file")
    t.add_argument("--resume", type=Path, default=None, help="continue training this model file")
    t.add_argument("--json", action="store_true", help="print one JSON object per epoch on stdout and nothing else")
    add_record_arguments(t)
    add_scan_arguments(t)


class _ProgressBar:
    """One self-rewriting line on stderr, redrawn at most 10 times a second."""

    def __init__(self) -> None:
        self._last = 0.0
        self.drawn = False          # a partly drawn line is on screen (no newline yet)

    def batch(self, r) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and r.batch != r.batches:
            return
        self._last = now
        filled = int(30 * r.batch / r.batches)
        sys.stderr.write(f"\repoch {r.epoch}/{r.epochs} [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{r.batch}/{r.batches} loss {r.loss:8.2f}  {r.samples_per_sec:,.0f} img/s ")
        sys.stderr.flush()
        self.drawn = True

    def epoch(self, r: EpochReport) -> None:
        sys.stderr.write(f"\repoch {r.epoch}/{r.epochs}: train {r.train_loss:.2f}  test {r.test_loss:.2f} "
                         f"(recon {r.recon:.2f}, KL {r.kl:.2f})  {r.epoch_seconds:.2f} s{' ' * 20}\n")
        self.drawn = False


def _limit(data: Dataset, n: int | None) -> Dataset:
    return data.subset(n, len(data.x_test)) if n else data


def run(a: argparse.Namespace) -> int:
    save_to = a.save or a.resume
    if save_to is not None and save_to.suffix.lower() not in FORMATS:    # before hours of training
        raise CliError(f"--save {printable(save_to)}: a model file's name ends in .npz or .safetensors")
    if save_to is not None and (problem := check_save_destination(save_to)):   # before loading the data
        raise CliError(problem)
    if a.threads:
        set_threads(a.threads)
    if a.resume:
        saved = load_model(a.resume)
        data = _limit(data_for(a.data, saved, limits=scan_limits(a)), a.limit)
        trainer = Trainer.resume(saved, data, epochs=a.epochs, threads=a.threads)
    else:
        options = {k: v for k, v in (("image_size", a.size), ("color", a.color), ("background", a.background))
                   if v is not None}
        data = _limit(data_for(a.data, options=options, limits=scan_limits(a)), a.limit)
        channels = a.channels if a.channels is not None else family(a.arch).default_channels
        vcfg = VAEConfig(image_shape=data.image_shape, hidden=a.hidden, latent_dim=a.latent,
                         decoder_hidden=a.decoder_hidden, activation=a.activation,
                         likelihood=a.likelihood, output_variance=a.variance,
                         arch=a.arch, channels=channels)
        tcfg = TrainConfig(epochs=a.epochs, batch_size=a.batch, lr=a.lr, optimizer=a.optimizer,
                           beta=a.beta, warmup_epochs=a.warmup, seed=a.seed)
        trainer = Trainer(VAE(vcfg, seed=a.seed), data, tcfg, threads=a.threads)
    if save_to is not None and (problem := check_save_destination(save_to, trainer.model, trainer.optimizer.name)):
        raise CliError(problem)             # e.g. no room for the file: said before training, not after
    bar = None if a.json else _ProgressBar()
    try:
        for report in recorded(trainer, recording_history(a), saved_path=save_to):
            if isinstance(report, EpochReport):
                if a.json:
                    print(json.dumps({k: getattr(report, k) for k in JSON_KEYS}), flush=True)
                else:
                    bar.epoch(report)
            elif bar:
                bar.batch(report)
    except KeyboardInterrupt:
        trainer.stop()
        _end_line(bar)
        print(f"interrupted after {trainer.epochs_done} complete epochs", file=sys.stderr)
        if save_to and _save(save_to, trainer.model, trainer):
            print(f"saved {printable(save_to)}", file=sys.stderr)
        return 130
    except TrainingDiverged as exc:
        _end_line(bar)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        if save_to:      # the weights are those of the last good step: worth keeping
            _save_after_divergence(save_to, trainer)
        return 1
    if save_to:
        if not _save(save_to, trainer.model, trainer):
            return 1
        if not a.json:
            print(f"saved {printable(save_to)}", file=sys.stderr)
    return 0


def _save(path: Path, model: VAE, trainer: Trainer | None, **source) -> bool:
    """save_model; if it fails, the model goes to the data directory's rescued/ folder instead and
    the message says where (False).  Raises ModelFileError only if the rescue fails too."""
    try:
        save_model(path, model, trainer, **source)
    except (ModelFileError, OSError) as exc:
        rescued = rescue_save(model, trainer, path, exc, **source)
        print(f"{PROG}: error: cannot save to {printable(path)} ({describe_error(exc)}); the trained model "
              f"was saved to {printable(rescued)} instead", file=sys.stderr)
        return False
    return True


def _save_after_divergence(path: Path, trainer: Trainer) -> None:
    """Save the last good weights; Adam's moments may have overflowed on the way, and are then left
    out (a resumed run starts the optimizer afresh) rather than saved as infinities."""
    state = trainer.optimizer.state()
    if all(np.all(np.isfinite(v)) for v in state.values()):
        saved = _save(path, trainer.model, trainer)
        note = ""
    else:
        data = trainer.data
        fresh = ModelFile(trainer.model, trainer.config, trainer.history, data.name, data.image_shape,
                          data.class_names, trainer.epochs_done, rng_state=trainer.rng.bit_generator.state,
                          setting_changes=trainer.setting_changes, partial_epoch=trainer.partial,
                          discarded_epochs=trainer.discarded)
        saved = _save(path, trainer.model, None, dataset=data, source=fresh)
        note = " (without the optimizer's state, which had overflowed)"
    if not saved:
        return
    print(f"saved the last good weights ({trainer.epochs_done} complete epochs and the batches before "
          f"the failure) to {printable(path)}{note}", file=sys.stderr)


def _end_line(bar: _ProgressBar | None) -> None:
    """End the progress bar's line, so what follows starts on its own line."""
    if bar is not None and bar.drawn:
        sys.stderr.write("\n")
