"""What every `python -m engine` command shares: the parser class, the usage error, --data loading."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from ..data import Dataset, ScanLimitReached, ScanLimits, load_dataset_with_report, recorded_source_problem
from ..data.folder import MAX_SIDE
from ..data.scan_limits import MAX_SCAN_DEPTH, MAX_SCAN_ENTRIES
from ..errors import DataError
from ..storage import ModelFile
from ..text import printable
from . import checks as check
from .progress import LoadProgress

PROG = "python -m engine"


class CliError(Exception):
    """A usage problem: reported as one line, exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: work stops, a training run saves, worker pools shut down and
    their temporary files go, where the default action would kill the process on the spot."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM raise Terminated in the main thread (where Python runs signal handlers)."""
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def os_error_message(exc: OSError) -> str:
    """"PATH: REASON" for an OSError, or only the reason when it names no file (a full disk)."""
    reason = exc.strerror or str(exc)
    return f"{printable(exc.filename)}: {reason}" if exc.filename else reason


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # one line, not argparse's usage block
        raise CliError(f"{message} (see {self.prog} --help)")


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """The positional model file every command that reads one takes."""
    parser.add_argument("model", type=Path, help="model file (.npz or .safetensors)")


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """--data for a command that reads a model's data set (data_for's `spec`)."""
    parser.add_argument("--data", default=None, help="data set (default: the one the model was trained on, if loadable)")


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


def add_scan_arguments(p: argparse.ArgumentParser) -> None:
    """--max-files and --max-depth: how far a data folder is walked."""
    p.add_argument("--max-files", type=check.integer(1), default=MAX_SCAN_ENTRIES, metavar="N",
                   help=f"refuse a data folder holding more files and folders than this (default {MAX_SCAN_ENTRIES:,})")
    p.add_argument("--max-depth", type=check.integer(0), default=MAX_SCAN_DEPTH, metavar="N",
                   help=f"walk at most this many folder levels below the data folder (default {MAX_SCAN_DEPTH})")


def load_with_progress(spec: str, limits: ScanLimits | None = None, **options) -> tuple[Dataset, str | None]:
    """load_dataset_with_report, saying on stderr what it is doing while it takes long; a folder
    over the file limit is refused with a sentence naming the flag that raises it."""
    with LoadProgress(str(spec)) as progress:
        try:
            return load_dataset_with_report(spec, progress=progress.decoding, scan_progress=progress.scanning,
                                            scan_limits=limits, **options)
        except ScanLimitReached as exc:
            raise DataError(f"{exc} (or raise --max-files, now {exc.limit:,})") from None


def scan_limits(a: argparse.Namespace) -> ScanLimits:
    return ScanLimits(a.max_files, a.max_depth)


def data_for(spec: str | None, saved: ModelFile | None = None, options: dict | None = None,
             limits: ScanLimits | None = None) -> Dataset:
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
        with LoadProgress(spec, doing="checking"):     # a scan of up to SOURCE_SCAN_SECONDS
            problem = recorded_source_problem(spec)
        if problem:
            raise CliError(f"the model's data set {spec} cannot be loaded again ({problem}); name one with --data")
        options = saved.folder_options() if saved.dataset_source else {}
    elif saved is not None:
        options = {"image_size": saved.image_shape[:2], "color": "rgb" if saved.image_shape.is_colour else "grey"}
    data, summary = load_with_progress(spec or "mnist", limits, **options)
    if summary:
        print(summary, file=sys.stderr)
    return data
