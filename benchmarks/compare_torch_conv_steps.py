"""The conv VAE's training speed against PyTorch's, in short alternating chunks of steps.

compare_torch_conv.py times whole runs of 10 epochs one after the other; on a VM whose speed
drifts by 30% or more within minutes, that compares different machines.  Here both sides stay
loaded (benchmarks/serve_engine_steps.py, our Trainer's loop, and torch_reference_vae.py
--serve-steps) and take turns: each round runs a chunk of steps of each, in the order ours,
torch, then torch, ours, so drift within a round hits both alike.  Each round gives one ratio
(ours' seconds per step over PyTorch's); the summary is their median and spread, and the ratio
of the median seconds per step.  Test losses come from compare_torch_conv.py.

    python benchmarks/compare_torch_conv_steps.py                     # 40 rounds of 47 steps
    python benchmarks/compare_torch_conv_steps.py --rounds 10 --steps 20
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare_torch_runs as ct  # noqa: E402  (machine line, /proc/stat bookkeeping, torch interpreter)
from compare_torch_conv import SPEED_TARGET  # noqa: E402

WARMUP_STEPS = 10


class StepServer:
    """A child process that trains N more steps per request and says how long they took."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, cwd=ct.REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def run(self, steps: int) -> float:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{steps}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.proc.args[:3]} ended (exit {self.proc.wait()})")
        return json.loads(line)["seconds"] / steps

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")     # utime + stime

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--steps", type=int, default=47, help="steps per chunk (an MNIST epoch is 469)")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--channels", default="32,64")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--torch-python", default=ct.DEFAULT_TORCH_PYTHON)
    a = p.parse_args(argv)
    model = ["--channels", a.channels, "--hidden", str(a.hidden), "--latent", str(a.latent),
             "--threads", str(a.threads), "--seed", str(a.seed)]
    servers = {"ours": StepServer([sys.executable, "benchmarks/serve_engine_steps.py", "--arch", "conv", *model]),
               "torch": StepServer([a.torch_python, "benchmarks/torch_reference_vae.py", "--serve-steps", *model])}
    try:
        for server in servers.values():
            server.run(WARMUP_STEPS)
        per_step: dict[str, list[float]] = {"ours": [], "torch": []}
        busy, start = ct.busy_cpu_seconds(), time.perf_counter()
        ours = time.process_time() + sum(s.cpu_seconds() for s in servers.values())   # CPU of this process and both servers
        for r in range(a.rounds):
            for impl in ("ours", "torch") if r % 2 == 0 else ("torch", "ours"):
                per_step[impl].append(servers[impl].run(a.steps))
            print(f"round {r + 1}: ours {per_step['ours'][-1] * 1e3:.1f} ms, torch {per_step['torch'][-1] * 1e3:.1f} ms "
                  f"a step, ratio {per_step['ours'][-1] / per_step['torch'][-1]:.3f}", file=sys.stderr, flush=True)
        wall = time.perf_counter() - start
        ours = time.process_time() + sum(s.cpu_seconds() for s in servers.values()) - ours
        foreign = (ct.busy_cpu_seconds() - busy - ours) / wall
    finally:
        for server in servers.values():
            server.close()
    ratios = [o / t for o, t in zip(per_step["ours"], per_step["torch"])]
    med = {k: statistics.median(v) for k, v in per_step.items()}
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    print(f"### Conv VAE training steps: ours vs PyTorch, {a.rounds} alternating rounds of {a.steps} steps "
          f"(batch 128, {a.threads} threads)\n")
    print(f"Machine: {ct.machine_line(a.threads)}\n")
    print("| | ours (NumPy) | PyTorch CPU | ours / PyTorch |\n|---|---|---|---|")
    print(f"| ms per step, median of {a.rounds} chunks | {med['ours'] * 1e3:.1f} | {med['torch'] * 1e3:.1f} | "
          f"{med['ours'] / med['torch']:.3f} |")
    print(f"| the same as seconds per 469-step epoch | {med['ours'] * 469:.2f} | {med['torch'] * 469:.2f} | |")
    print(f"| ratio within a round: median (quartiles) | | | **{statistics.median(ratios):.3f}** "
          f"({q1:.3f}-{q3:.3f}; target at most {SPEED_TARGET}) |")
    print(f"\n{sum(x <= SPEED_TARGET for x in ratios)} of {len(ratios)} rounds at or under {SPEED_TARGET}; "
          f"other processes used {max(0.0, foreign):.2f} cores meanwhile.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
