"""Stress run: the GUI test files again and again while busy loops compete for the cores.

Each run is a fresh `python -m pytest tests/gui/**/test_*.py` (offscreen). A run that ends by a
signal (segmentation fault, abort) or prints a fatal error is a crash; a run with failing tests
is reported separately. The busy loops (`python -c 'while True: pass'`) are started first and
killed by their PIDs at the end, whatever happens. The issue's bar: 0 crashes in 10 runs with
two busy loops on this 2-core machine.

Usage:
    python benchmarks/stress_gui.py [--runs 10] [--busy 2] [--tests 'tests/gui/**/test_*.py']
"""
from __future__ import annotations

import argparse
import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FATAL = ("Segmentation fault", "Fatal Python error", "Aborted", "core dumped", "QThread: Destroyed")


def run_once(tests: list[str]) -> tuple[str, float, str]:
    """('ok' | 'failed' | 'crash', seconds, last lines of output) of one pytest run."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT,
                       env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    out = p.stdout + p.stderr
    lines = out.strip().splitlines()
    why = [line for line in lines if line.startswith("E ")][:6]       # the first assertion lines
    tail = "\n".join(why + lines[-3:])
    if p.returncode < 0 or any(f in out for f in FATAL):
        return "crash", seconds, tail
    return ("ok" if p.returncode == 0 else "failed"), seconds, tail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="pytest runs (default 10)")
    ap.add_argument("--busy", type=int, default=2, help="busy-loop processes competing for the cores (default 2)")
    ap.add_argument("--tests", default="tests/gui/**/test_*.py", help="test files (a glob, default the GUI tests)")
    args = ap.parse_args()
    tests = sorted(str(Path(p).relative_to(ROOT)) for p in glob.glob(str(ROOT / args.tests), recursive=True))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    counts = {"ok": 0, "failed": 0, "crash": 0}
    try:
        print(f"{len(tests)} test files, {args.runs} runs, {args.busy} busy loops (PIDs "
              f"{', '.join(str(b.pid) for b in busy)}) on {os.cpu_count()} cores", flush=True)
        for i in range(1, args.runs + 1):
            outcome, seconds, tail = run_once(tests)
            counts[outcome] += 1
            print(f"run {i:2d}: {outcome:6s} {seconds:6.1f} s  load {os.getloadavg()[0]:.1f}  | "
                  f"{tail.splitlines()[-1] if tail else ''}", flush=True)
            if outcome != "ok":
                print("    " + tail.replace("\n", "\n    "), flush=True)
    finally:
        for b in busy:
            os.kill(b.pid, signal.SIGTERM)
            b.wait()
    print(f"{counts['crash']} crashes, {counts['failed']} runs with failures, {counts['ok']} clean, "
          f"in {args.runs} runs", flush=True)
    return 1 if counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
