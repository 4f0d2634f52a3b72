"""Running one benchmark child and describing the machine: shared by compare_torch.py,
compare_torch_conv.py and compare_torch_conv_steps.py.

A child prints one JSON object per epoch with `epoch`, `test_loss` and `epoch_seconds`; its peak
resident set size comes from os.wait4 (ru_maxrss, KiB), and the CPU other processes used while it
ran from /proc/stat (in cores), so a summary can say how contended a timing was.
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TORCH_PYTHON = "/work/torch-venv/bin/python"


@dataclass
class RunResult:
    """One child process: one implementation, one latent size, one round."""

    impl: str
    latent: int
    round: int
    seed: int
    command: list[str]
    returncode: int
    wall_seconds: float
    max_rss_kib: int
    load_before: float
    foreign_cpu_cores: float | None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.epochs)


def parse_epoch_line(line: str) -> dict[str, Any] | None:
    """An epoch record from one line of a child's stdout, or None for any other line."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    if not all(k in obj for k in ("epoch", "test_loss", "epoch_seconds")):
        return None
    return obj


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy
    ticks = [int(v) for v in fields[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def run_child(impl: str, latent: int, rnd: int, seed: int, command: list[str]) -> RunResult:
    """Run one benchmark child to completion; epoch records are echoed to stderr as they come."""
    load_before = os.getloadavg()[0]
    tag = f"[{impl} latent={latent} round={rnd + 1}]"
    print(f"{tag} $ {shlex.join(command)}", file=sys.stderr, flush=True)
    busy_before = busy_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1,
    )
    stderr_chunks: list[str] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    epochs: list[dict[str, Any]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        record = parse_epoch_line(line)
        if record is None:
            continue
        epochs.append(record)
        print(
            f"{tag} epoch {record['epoch']}: {record['epoch_seconds']:.2f} s, "
            f"test loss {record['test_loss']:.2f}",
            file=sys.stderr, flush=True,
        )
    reader.join()
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()
    # os.wait4 instead of proc.wait(): it also returns the child's rusage (ru_maxrss in KiB).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    busy_after = busy_cpu_seconds()
    foreign = None
    if busy_before is not None and busy_after is not None and wall > 0:
        # CPU time other processes used while this child ran, in cores: how contended the timing was.
        child_cpu = usage.ru_utime + usage.ru_stime
        foreign = max(0.0, (busy_after - busy_before - child_cpu) / wall)
    stderr_text = "".join(stderr_chunks)
    result = RunResult(
        impl=impl, latent=latent, round=rnd + 1, seed=seed, command=command,
        returncode=proc.returncode, wall_seconds=wall, max_rss_kib=usage.ru_maxrss,
        load_before=load_before, foreign_cpu_cores=foreign, epochs=epochs, stderr_tail=stderr_text[-2000:],
    )
    if not result.ok:
        print(f"{tag} FAILED (exit {proc.returncode}, {len(epochs)} epoch records)", file=sys.stderr)
        print(stderr_text[-2000:], file=sys.stderr, flush=True)
    return result


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def machine_line(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} logical CPUs, {threads} threads, Python {platform.python_version()}, "
            f"{blas_kernel()}")


def blas_kernel() -> str:
    """The OpenBLAS kernel NumPy runs here, and the variable that chose it if one did.

    Some machines set OPENBLAS_CORETYPE (e.g. Haswell, AVX2, on an AVX-512 EPYC) for older
    OpenBLAS builds; current NumPy then runs its products at about half speed while PyTorch's
    own kernels are unaffected, so a comparison must say which kernel it ran.
    """
    try:
        import numpy  # noqa: F401  (loads OpenBLAS, under this process's environment)
        from threadpoolctl import threadpool_info
        arch = next((i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"), None)
    except ImportError:
        return "OpenBLAS kernel unknown"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return f"OpenBLAS kernel {arch}" + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else "")
