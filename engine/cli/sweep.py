"""`sweep`: train a grid of beta (and latent size) values, all recorded, and print the
rate-distortion table: rate = KL, distortion = reconstruction, -ELBO = their sum (nats per image)."""
from __future__ import annotations

import argparse
import json
import math
import sys

from ..architecture import family
from ..config import ACTIVATIONS, ARCHS, LIKELIHOODS, OPTIMIZERS
from ..data.decode import COLOR_MODES
from ..runs.sweep import SweepPlan, SweepResult, run_sweep, threads_per_job
from . import checks as check
from .common import CliError, image_size_arg
from .runs import add_home_argument

NAME = "sweep"
MAX_RUNS = 200


def _numbers(parse):
    def values(text: str) -> tuple:
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        return tuple(parse(p.strip()) for p in parts)
    return values


def add_parser(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(NAME, help="train a grid of beta / latent sizes in parallel, recorded, and print the table")
    s.add_argument("--data", default="mnist", help="'mnist', or a folder of images / IDX files / .npy arrays")
    s.add_argument("--beta", type=_numbers(check.positive_number(low_inclusive=True)), required=True,
                   help="KL weights, e.g. 0.25,0.5,1,2,4")
    s.add_argument("--latent", type=_numbers(check.integer(1)), default=(2,), help="latent sizes, e.g. 2,8 (default 2)")
    s.add_argument("--jobs", type=check.threads, default=1, help="runs at once, each with cores // jobs threads (default 1)")
    s.add_argument("--size", type=image_size_arg, default=None, help="bring a folder's images to N or HxW pixels")
    s.add_argument("--color", choices=COLOR_MODES, default="auto", help="folder images in colour, grey or auto")
    s.add_argument("--background", default=None, help="what transparent pixels are composited onto")
    s.add_argument("--arch", choices=ARCHS, default="mlp", help="mlp or conv (default mlp)")
    s.add_argument("--channels", type=check.sizes, default=None, help="conv channels (default 32,64 with --arch conv)")
    s.add_argument("--hidden", type=check.sizes, default=(400,), help="encoder hidden sizes (default 400)")
    s.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    s.add_argument("--likelihood", choices=LIKELIHOODS, default="bernoulli", help="decoder likelihood (default bernoulli)")
    s.add_argument("--epochs", type=check.integer(1), default=10, help="epochs per run (default 10)")
    s.add_argument("--batch", type=check.integer(1), default=128, help="minibatch size (default 128)")
    s.add_argument("--lr", type=check.positive_number(), default=1e-3, help="learning rate (default 1e-3)")
    s.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer (default adam)")
    s.add_argument("--warmup", type=check.integer(0), default=0, help="KL warm-up epochs (default 0)")
    s.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0, help="seed of every run (default 0)")
    s.add_argument("--limit", type=check.integer(1), default=None, help="use only the first N training images")
    s.add_argument("--json", action="store_true", help="the table as one JSON object a line")
    add_home_argument(s)


def run(a: argparse.Namespace) -> int:
    channels = a.channels if a.channels is not None else family(a.arch).default_channels
    options = {k: v for k, v in (("image_size", a.size), ("color", a.color), ("background", a.background))
               if v is not None}
    plan = SweepPlan(a.data, a.beta, a.latent, options if a.data.lower() != "mnist" else {}, a.limit,
                     {"hidden": list(a.hidden), "activation": a.activation, "likelihood": a.likelihood,
                      "arch": a.arch, "channels": list(channels)},
                     {"epochs": a.epochs, "batch_size": a.batch, "lr": a.lr, "optimizer": a.optimizer,
                      "warmup_epochs": a.warmup, "seed": a.seed})
    runs = len(plan.grid())
    if runs > MAX_RUNS:
        raise CliError(f"the grid has {runs} runs; at most {MAX_RUNS} at once")
    jobs = min(a.jobs, runs)
    print(f"{runs} runs, {jobs} at a time with {threads_per_job(jobs)} threads each", file=sys.stderr)

    def done(r: SweepResult) -> None:
        what = "not recorded" if r.run is None else f"run {r.run.id} {r.run.status}"
        print(f"  beta {r.beta:g}, latent {r.latent_dim}: {what}", file=sys.stderr)

    try:
        sweep_id, results = run_sweep(plan, a.home, jobs, done)
    except KeyboardInterrupt:
        print("sweep interrupted; the runs so far are in the history (python -m engine runs)", file=sys.stderr)
        return 130
    rows = [_row(r) for r in results]
    if a.json:
        for row in rows:
            print(json.dumps({"sweep": sweep_id, **row}))
    else:
        print(format_table(rows))
    return 0 if all(row["status"] == "completed" for row in rows) else 1


def _row(r: SweepResult) -> dict:
    final = r.run.final if r.run is not None else None
    rate, distortion = (final.kl, final.recon) if final is not None else (math.nan, math.nan)
    status = r.run.status if r.run is not None else f"failed (exit {r.exit_code})"
    return {"run": None if r.run is None else r.run.id, "beta": r.beta, "latent": r.latent_dim,
            "rate": rate, "distortion": distortion, "elbo": -(rate + distortion), "status": status,
            "active_units": None if final is None else final.active_units,
            "epochs": 0 if r.run is None else r.run.epochs}


def format_table(rows: list[dict]) -> str:
    """The sweep's table: one line a run, nats per image."""
    header = f"{'run':>4} {'beta':>6} {'latent':>6} {'rate (KL)':>10} {'distortion':>11} {'ELBO':>9} {'active':>6}"
    lines = [header + "  status"]
    for r in rows:
        active = "" if r["active_units"] is None else r["active_units"]
        lines.append(f"{r['run'] or '':>4} {r['beta']:>6g} {r['latent']:>6} {r['rate']:>10.2f} "
                     f"{r['distortion']:>11.2f} {r['elbo']:>9.2f} {active:>6}  {r['status']}")
    return "\n".join(lines)
