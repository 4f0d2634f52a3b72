"""Any data set by name or path: "mnist", a folder of IDX files, arrays or images."""
from __future__ import annotations

import time
from pathlib import Path

from ..errors import DataError
from .dataset import Dataset
from .folder import load_folder
from .idx import find_idx_files, load_idx_folder
from .mnist import load_mnist
from .scan import ScanCancelled, scan_folder

SOURCE_SCAN_SECONDS = 10.0  # a recorded data set folder that takes longer to list is not reused


def load_dataset(spec: str | Path, **folder_options) -> Dataset:
    """Any data set by name or path.

    spec: "mnist" (the bundled copy), a folder of IDX files, a .npy/.npz file or a folder of
    them, or a folder of images (labelled by subfolder).  folder_options go to
    engine.data.folder.load_folder (image_size, invert, test_fraction, seed, progress, cancelled,
    cache_dir, workers) and are ignored for MNIST and IDX folders.
    """
    return load_dataset_with_report(spec, **folder_options)[0]


def load_dataset_with_report(spec: str | Path, **folder_options) -> tuple[Dataset, str | None]:
    """load_dataset, plus what to tell the user about a folder: None for MNIST and IDX folders.

    The text is the summary line ("1,203 images loaded, 3 skipped") followed by up to ten
    skipped files, one "path: reason" per line; the CLI prints it on stderr.
    """
    if str(spec).lower() == "mnist":
        return load_mnist(), None
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (give 'mnist' or a data folder)")
    if path.is_dir() and find_idx_files(path) is not None:
        return load_idx_folder(path), None
    report = load_folder(path, **folder_options)
    text = report.summary()
    if report.skipped:
        text += "\n" + "\n".join("  " + line for line in report.details(limit=10).splitlines())
    return report.dataset, text


def recorded_source_problem(source: str, seconds: float | None = None) -> str | None:
    """Why a data set source recorded in a model file cannot be loaded again, or None if it can.

    A source is reused only while it is still a readable data set: "mnist", or a folder (or
    array file) whose scan, stopped after `seconds` (default SOURCE_SCAN_SECONDS), finds IDX files, arrays or images.  A
    recorded /proc, an emptied folder or a folder grown to millions of files gives a reason
    instead of a long hang.
    """
    if source.lower() == "mnist":
        return None
    path = Path(source).expanduser()
    if not path.exists():
        return "it no longer exists"
    seconds = SOURCE_SCAN_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    try:
        scan = scan_folder(path, cancelled=lambda: time.monotonic() > deadline)
    except ScanCancelled:
        return f"listing it took longer than {seconds:g} s"
    except DataError as exc:
        return str(exc)
    if scan.kind == "images" and scan.most_common_size is None:
        return "it holds no readable images"
    return None
