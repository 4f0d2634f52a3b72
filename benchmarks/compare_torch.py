"""Latent Lab engine vs the PyTorch CPU reference VAE: speed, test loss and memory.

What it measures
----------------
For each latent size (default 20 and 2) it runs, N rounds (default 2) of E epochs
(default 10) each, our CLI::

    python -m engine train --data mnist --hidden 400 --latent L --epochs E --batch 128 \
        --lr 1e-3 --beta 1 --likelihood bernoulli --seed S --threads T --json

(with this interpreter, cwd = repository root) and the PyTorch replica of the
pytorch/examples VAE, ``benchmarks/torch_reference_vae.py`` (run with a separate
interpreter that has torch; torch is never a Latent Lab dependency). The two are
run one after the other, never at the same time, and their order alternates from
round to round so slow drift of the machine hits both alike. Round r uses seed
``--seed + r`` for both.

Each child prints one JSON object per epoch with ``epoch``, ``test_loss`` and
``epoch_seconds`` (the wall time of that epoch's training alone). The peak
resident set size of each child comes from ``os.wait4`` (``ru_maxrss``, KiB).

It prints a Markdown summary an issue can quote: median seconds per epoch over all
epochs of all rounds (epoch 1 included) and the epoch-1 value, the ratio
ours/torch, the test loss after epochs 1, 5 and 10 (mean over rounds), the peak RSS
of each, and the numbers the issue quotes for comparison. ``--json-out FILE`` saves
every epoch record of every run.

Timings are only meaningful on an otherwise idle machine: for each run it records
how much CPU other processes used meanwhile (from /proc/stat, in cores) and the
summary warns when that exceeded 0.1 core; its "min" row is then the least
disturbed figure.

How to run
----------
From the repository root, once the torch venv exists::

    python -m venv /work/torch-venv
    /work/torch-venv/bin/pip install torch==2.13.0 numpy
    python benchmarks/compare_torch.py                       # latent 20 and 2, 2 threads, 2 rounds of 10 epochs
    python benchmarks/compare_torch.py --latents 20 --rounds 1 --json-out /tmp/bench.json
    python benchmarks/compare_torch.py --only torch          # the reference alone
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_torch_runs import DEFAULT_TORCH_PYTHON, REPO_ROOT, RunResult, fmt, machine_line, run_child  # noqa: E402

REFERENCE_SCRIPT = REPO_ROOT / "benchmarks" / "torch_reference_vae.py"

# What the issue quotes for the pytorch/examples VAE on a 2-core machine, 2 threads
# (PyTorch 2.13 CPU): test loss after epochs 1 / 5 / 10, and seconds per epoch.
ISSUE_TEST_LOSS: dict[int, dict[int, float]] = {
    20: {1: 127.4, 5: 108.4, 10: 105.8},
    2: {1: 169.2, 5: 157.6, 10: 153.6},
}
ISSUE_SECONDS_PER_EPOCH = 2.14
ISSUE_TOLERANCE: dict[int, float] = {20: 0.3, 2: 0.5}
ISSUE_SPEED_TARGET = 0.75
FOREIGN_CPU_WARN = 0.1  # cores used by other processes during a run before the summary warns

IMPLS = ("ours", "torch")
LABELS = {"ours": "ours (NumPy engine)", "torch": "PyTorch CPU reference"}


def ours_command(latent: int, epochs: int, seed: int, threads: int, extra: Sequence[str]) -> list[str]:
    return [
        sys.executable, "-m", "engine", "train", "--data", "mnist", "--hidden", "400",
        "--latent", str(latent), "--epochs", str(epochs), "--batch", "128", "--lr", "1e-3",
        "--beta", "1", "--likelihood", "bernoulli", "--seed", str(seed),
        "--threads", str(threads), "--json", *extra,
    ]


def torch_command(torch_python: str, latent: int, epochs: int, seed: int, threads: int) -> list[str]:
    return [
        torch_python, str(REFERENCE_SCRIPT.relative_to(REPO_ROOT)), "--latent", str(latent),
        "--hidden", "400", "--epochs", str(epochs), "--seed", str(seed), "--threads", str(threads),
    ]


def _loss_after(runs: list[RunResult], epoch: int) -> float | None:
    values = [r["test_loss"] for run in runs for r in run.epochs if r["epoch"] == epoch]
    return statistics.fmean(values) if values else None


def _seconds(runs: list[RunResult], only_epoch: int | None = None, use_min: bool = False) -> float | None:
    values = [
        r["epoch_seconds"] for run in runs for r in run.epochs
        if only_epoch is None or r["epoch"] == only_epoch
    ]
    if not values:
        return None
    return min(values) if use_min else statistics.median(values)


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def _diff(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{a - b:+.2f}"


def summary_markdown(results: list[RunResult], latents: Sequence[int], epochs: int,
                     rounds: int, threads: int, torch_version: str | None) -> str:
    lines: list[str] = []
    lines.append(f"### Engine vs PyTorch CPU reference ({rounds} round(s) x {epochs} epochs)")
    lines.append("")
    lines.append(f"Machine: {machine_line(threads)}; PyTorch {torch_version or 'n/a'}.")
    lines.append("Seconds/epoch = training loop only, median over all epochs of all rounds "
                 "(epoch 1 included); test loss = per-image negative ELBO in nats, mean over rounds.")
    busy = [r for r in results if r.foreign_cpu_cores is not None and r.foreign_cpu_cores > FOREIGN_CPU_WARN]
    if busy:
        worst = max(r.foreign_cpu_cores or 0.0 for r in busy)
        lines.append("")
        lines.append(f"**Warning:** other processes used CPU during {len(busy)} of {len(results)} run(s) "
                     f"(up to {worst:.2f} cores on average over a run); their timings are inflated. "
                     "The min row is the least disturbed figure.")
    checkpoints = sorted({e for e in (1, 5, 10, epochs) if e <= epochs})
    for latent in latents:
        by_impl = {impl: [r for r in results if r.latent == latent and r.impl == impl and r.ok]
                   for impl in IMPLS}
        issue = ISSUE_TEST_LOSS.get(latent, {})
        lines.append("")
        lines.append(f"#### latent {latent}")
        lines.append("")
        lines.append(f"| | {LABELS['ours']} | {LABELS['torch']} | ours/torch or ours-torch | issue's PyTorch figure |")
        lines.append("|---|---|---|---|---|")
        med = {impl: _seconds(by_impl[impl]) for impl in IMPLS}
        first = {impl: _seconds(by_impl[impl], only_epoch=1) for impl in IMPLS}
        lines.append(f"| s/epoch, median | {fmt(med['ours'], 2)} | {fmt(med['torch'], 2)} | "
                     f"{_ratio(med['ours'], med['torch'])} (target <= {ISSUE_SPEED_TARGET}) | "
                     f"{ISSUE_SECONDS_PER_EPOCH} |")
        low = {impl: _seconds(by_impl[impl], use_min=True) for impl in IMPLS}
        lines.append(f"| s/epoch, min | {fmt(low['ours'], 2)} | {fmt(low['torch'], 2)} | "
                     f"{_ratio(low['ours'], low['torch'])} | |")
        lines.append(f"| s/epoch, epoch 1 | {fmt(first['ours'], 2)} | {fmt(first['torch'], 2)} | "
                     f"{_ratio(first['ours'], first['torch'])} | |")
        for ep in checkpoints:
            loss = {impl: _loss_after(by_impl[impl], ep) for impl in IMPLS}
            tol = f" (target within {ISSUE_TOLERANCE[latent]} of issue)" if ep == 10 and latent in ISSUE_TOLERANCE else ""
            lines.append(f"| test loss after epoch {ep} | {fmt(loss['ours'])} | {fmt(loss['torch'])} | "
                         f"{_diff(loss['ours'], loss['torch'])}{tol} | {fmt(issue.get(ep))} |")
        rss = {impl: (max(r.max_rss_kib for r in by_impl[impl]) / 1024 if by_impl[impl] else None)
               for impl in IMPLS}
        lines.append(f"| peak RSS, MB | {fmt(rss['ours'], 0)} | {fmt(rss['torch'], 0)} | "
                     f"{_ratio(rss['ours'], rss['torch'])} | |")
    lines.append("")
    lines.append("Runs (CPU used by other processes meanwhile, in cores):")
    lines.append("")
    for r in results:
        lines.append(f"- {r.impl}, latent {r.latent}, round {r.round}, seed {r.seed}: exit {r.returncode}, "
                     f"{r.wall_seconds:.1f} s wall, peak RSS {r.max_rss_kib / 1024:.0f} MB, "
                     f"other processes {fmt(r.foreign_cpu_cores, 2)}")
    failed = [r for r in results if not r.ok]
    if failed:
        lines.append("")
        lines.append("Failed runs: " + ", ".join(
            f"{r.impl} latent {r.latent} round {r.round} (exit {r.returncode})" for r in failed))
    lines.append("")
    lines.append("Commands (round 1):")
    lines.append("")
    seen: set[tuple[str, int]] = set()
    for r in results:
        if (r.impl, r.latent) in seen:
            continue
        seen.add((r.impl, r.latent))
        lines.append(f"    {shlex.join(r.command)}")
    return "\n".join(lines)


def torch_version_of(torch_python: str) -> str | None:
    try:
        out = subprocess.run([torch_python, "-c", "import torch; print(torch.__version__)"],
                             capture_output=True, text=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run our engine CLI and the PyTorch reference VAE alternately; "
        "print a Markdown summary.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--latents", type=int, nargs="+", default=[20, 2], help="latent sizes to run")
    parser.add_argument("--threads", type=int, default=2, help="thread count given to both")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per latent size (each runs both)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run")
    parser.add_argument("--seed", type=int, default=1, help="seed of round 1; round r uses seed + r - 1")
    parser.add_argument("--torch-python", default=DEFAULT_TORCH_PYTHON,
                        help="interpreter of the venv that has torch 2.13.0")
    parser.add_argument("--only", choices=("both", "ours", "torch"), default="both",
                        help="run only one side")
    parser.add_argument("--ours-args", default="",
                        help="extra arguments appended to our CLI's command line (shell-quoted string)")
    parser.add_argument("--json-out", type=Path, default=None,
                        help="save every run's raw epoch records and metadata to this JSON file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    impls = IMPLS if args.only == "both" else (args.only,)
    torch_version = None
    if "torch" in impls:
        if not Path(args.torch_python).exists():
            print(
                f"error: no torch interpreter at {args.torch_python}.\n"
                "Create the reference venv outside the repository (torch is never a Latent Lab "
                "dependency):\n"
                "    python -m venv /work/torch-venv\n"
                "    /work/torch-venv/bin/pip install torch==2.13.0 numpy\n"
                "or pass --torch-python PATH, or run --only ours.",
                file=sys.stderr,
            )
            return 2
        torch_version = torch_version_of(args.torch_python)
    extra = shlex.split(args.ours_args)
    results: list[RunResult] = []
    for latent in args.latents:
        for rnd in range(args.rounds):
            seed = args.seed + rnd
            order = impls if rnd % 2 == 0 else tuple(reversed(impls))
            for impl in order:
                if impl == "ours":
                    cmd = ours_command(latent, args.epochs, seed, args.threads, extra)
                else:
                    cmd = torch_command(args.torch_python, latent, args.epochs, seed, args.threads)
                results.append(run_child(impl, latent, rnd, seed, cmd))
    summary = summary_markdown(results, args.latents, args.epochs, args.rounds, args.threads, torch_version)
    print(summary)
    if args.json_out is not None:
        payload = {
            "machine": machine_line(args.threads),
            "torch_version": torch_version,
            "epochs": args.epochs,
            "rounds": args.rounds,
            "threads": args.threads,
            "runs": [asdict(r) for r in results],
            "summary_markdown": summary,
        }
        args.json_out.write_text(json.dumps(payload, indent=2))
        print(f"raw results written to {args.json_out}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
