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

from . import cli_checks as check
from .config import ACTIVATIONS, ARCHS, LIKELIHOODS, OPTIMIZERS, TrainConfig, VAEConfig
from .data import Dataset, load_dataset_with_report, recorded_source_problem
from .data.decode import COLOR_MODES
from .data.folder import MAX_SIDE
from .errors import EngineError, TrainingDiverged
from .export_data import export_dataset
from .losses import VAR_FLOOR
from .manifold import manifold_grid
from .storage import FORMATS, ModelFile, load_model, save_model
from .threads import set_threads
from .training import EVAL_CHUNK, EpochReport, Trainer, elbo_terms
from .vae import VAE

PROG = "python -m engine"
MAX_GRID = 200          # images per side of `sample`: 200 x 28 pixels is already 5600 pixels wide
JSON_KEYS = ("epoch", "train_loss", "test_loss", "recon", "kl", "epoch_seconds")


class CliError(Exception):
    """A usage problem: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # one line, not argparse's usage block
        raise CliError(f"{message} (see {self.prog} --help)")


def image_size_arg(text: str) -> tuple[int, int]:
    """--size N (square) or HxW."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        h, w = (int(parts[0]),) * 2 if len(parts) == 1 else (int(parts[0]), int(parts[1]))
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"expected a size like 32 or 28x20 (height x width), got {text!r}") from None
    if len(parts) > 2:
        raise argparse.ArgumentTypeError(f"expected a size like 32 or 28x20 (height x width), got {text!r}")
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"image sides must be from 1 to {MAX_SIDE} pixels, got {text!r}")
    return h, w


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Train, evaluate and sample variational autoencoders (NumPy).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a VAE (or resume one) and optionally save it")
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

    e = sub.add_parser("evaluate", help="test-set ELBO and importance-weighted log-likelihood of a model")
    e.add_argument("model", type=Path, help="model file (.npz or .safetensors)")
    e.add_argument("--data", default=None, help="data set (default: the one the model was trained on, if loadable)")
    e.add_argument("--iw", type=check.integer(1, 10000), default=100, help="importance samples K for the log p(x) estimate (default 100)")
    e.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0, help="random seed (default 0)")
    e.add_argument("--threads", type=check.threads, default=None, help="threads for the matrix products (default: one per core)")
    e.add_argument("--json", action="store_true", help="print the result as one JSON object")

    s = sub.add_parser("sample", help="write the latent manifold (or prior samples) as an image grid")
    s.add_argument("model", type=Path, help="model file (.npz or .safetensors)")
    s.add_argument("--grid", type=check.integer(1, MAX_GRID), default=20, help="images per side (default 20)")
    s.add_argument("--out", type=Path, default=Path("grid.png"),
                   help="image to write: .png, .jpg, .bmp, .tif, .webp or .gif (default grid.png)")
    s.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0,
                   help="seed for prior samples when latent > 2 (default 0)")

    x = sub.add_parser("export-data", help="write a data set as the loader decodes it, as uint8 arrays in an .npz")
    x.add_argument("data", help="'mnist', or a folder of images / IDX files / .npy arrays")
    x.add_argument("out", type=Path, help=".npz to write: x_train, x_test (uint8), y_train, y_test, class_names")
    return p


def _data_for(spec: str | None, saved: ModelFile | None = None, options: dict | None = None) -> Dataset:
    """The data set named by --data, else the one `saved` was trained on, else MNIST.

    A model's own data set is loaded again with the folder options it was loaded with; another
    folder is brought to the model's image size and channels.  `options` (from --size, --color,
    --background) go to a folder loaded for a new model.
    """
    options = dict(options or {})
    if spec is None and saved is not None:
        spec = saved.dataset_source or saved.dataset_name
        if spec is None:
            raise CliError("the model's data set is not recorded in its file; name it with --data")
        problem = recorded_source_problem(spec)
        if problem:
            raise CliError(f"the model's data set {spec} cannot be loaded again ({problem}); name one with --data")
        options = saved.folder_options() if saved.dataset_source else {}
    elif saved is not None:
        options = {"image_size": saved.image_shape[:2], "color": "rgb" if saved.image_shape.is_colour else "grey"}
    data, summary = load_dataset_with_report(spec or "mnist", **options)
    if summary:
        print(summary, file=sys.stderr)
    return data


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


def cmd_train(a: argparse.Namespace) -> int:
    save_to = a.save or a.resume
    if save_to is not None and save_to.suffix.lower() not in FORMATS:    # before hours of training
        raise CliError(f"--save {save_to}: a model file's name ends in .npz or .safetensors")
    if a.threads:
        set_threads(a.threads)
    if a.resume:
        saved = load_model(a.resume)
        data = _limit(_data_for(a.data, saved), a.limit)
        trainer = Trainer.resume(saved, data, epochs=a.epochs, threads=a.threads)
    else:
        options = {k: v for k, v in (("image_size", a.size), ("color", a.color), ("background", a.background))
                   if v is not None}
        data = _limit(_data_for(a.data, options=options), a.limit)
        channels = a.channels if a.channels is not None else ((32, 64) if a.arch == "conv" else ())
        vcfg = VAEConfig(image_shape=data.image_shape, hidden=a.hidden, latent_dim=a.latent,
                         decoder_hidden=a.decoder_hidden, activation=a.activation,
                         likelihood=a.likelihood, output_variance=a.variance,
                         arch=a.arch, channels=channels)
        tcfg = TrainConfig(epochs=a.epochs, batch_size=a.batch, lr=a.lr, optimizer=a.optimizer,
                           beta=a.beta, warmup_epochs=a.warmup, seed=a.seed)
        trainer = Trainer(VAE(vcfg, seed=a.seed), data, tcfg, threads=a.threads)
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
        _end_line(bar)
        print(f"interrupted after {trainer.epochs_done} complete epochs", file=sys.stderr)
        if save_to:
            save_model(save_to, trainer.model, trainer)
            print(f"saved {save_to}", file=sys.stderr)
        return 130
    except TrainingDiverged as exc:
        _end_line(bar)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        if save_to:      # the weights are those of the last good step: worth keeping
            _save_after_divergence(save_to, trainer)
        return 1
    if save_to:
        save_model(save_to, trainer.model, trainer)
        if not a.json:
            print(f"saved {save_to}", file=sys.stderr)
    return 0


def _save_after_divergence(path: Path, trainer: Trainer) -> None:
    """Save the last good weights; Adam's moments may have overflowed on the way, and are then left
    out (a resumed run starts the optimizer afresh) rather than saved as infinities."""
    state = trainer.optimizer.state()
    if all(np.all(np.isfinite(v)) for v in state.values()):
        save_model(path, trainer.model, trainer)
        note = ""
    else:
        data = trainer.data
        fresh = ModelFile(trainer.model, trainer.config, trainer.history, data.name, data.image_shape,
                          data.class_names, trainer.epochs_done, rng_state=trainer.rng.bit_generator.state,
                          setting_changes=trainer.setting_changes, partial_epoch=trainer.partial,
                          discarded_epochs=trainer.discarded)
        save_model(path, trainer.model, dataset=data, source=fresh)
        note = " (without the optimizer's state, which had overflowed)"
    print(f"saved the last good weights ({trainer.epochs_done} complete epochs and the batches before "
          f"the failure) to {path}{note}", file=sys.stderr)


def _end_line(bar: "_ProgressBar | None") -> None:
    """End the progress bar's line, so what follows starts on its own line."""
    if bar is not None and bar.drawn:
        sys.stderr.write("\n")


def cmd_evaluate(a: argparse.Namespace) -> int:
    if a.threads:
        set_threads(a.threads)
    saved = load_model(a.model)
    data = _data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    rng = np.random.default_rng(a.seed)
    recon, kl = elbo_terms(saved.model, data.x_test, rng)
    # Float rows a chunk at a time, and the estimator's decoded batch held to MNIST's 20,000 x 784
    # values (63 MB), so a 64x64 colour model does not decode 20,000 rows of 12,288 at once.
    max_rows = max(1, 20000 * 784 // saved.model.config.input_dim)
    log_px = np.concatenate([saved.model.iwae_log_likelihood(data.test_float(slice(s, s + EVAL_CHUNK)), a.iw, rng,
                                                             max_rows=max_rows)
                             for s in range(0, len(data.x_test), EVAL_CHUNK)])
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

    try:
        fmt = check.image_format(a.out)
    except argparse.ArgumentTypeError as exc:
        raise CliError(f"--out {exc}") from None
    saved = load_model(a.model)
    mosaic = manifold_grid(saved.model, a.grid, np.random.default_rng(a.seed))   # (H, W) or (H, W, 3)
    pixels = np.clip(np.rint(mosaic * 255.0), 0, 255).astype(np.uint8)
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    try:
        Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").save(a.out, format=fmt, **options)
    except OSError as exc:
        raise CliError(f"cannot write {a.out}: {exc.strerror or exc}") from None
    print(f"wrote {a.out} ({pixels.shape[1]}x{pixels.shape[0]} pixels, {fmt})", file=sys.stderr)
    return 0


def cmd_export_data(a: argparse.Namespace) -> int:
    data, summary = load_dataset_with_report(a.data)
    if summary:
        print(summary, file=sys.stderr)
    path = export_dataset(data, a.out)
    labels = f", {len(data.class_names or [])} classes" if data.y_train is not None else ", unlabelled"
    print(f"wrote {path}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
          f"{data.name}{labels}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"train": cmd_train, "evaluate": cmd_evaluate, "sample": cmd_sample, "export-data": cmd_export_data}
        return commands[args.command](args)
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
