"""Any data set by name or path: "mnist", a folder of IDX files, arrays or images."""
from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .dataset import Dataset
from .folder import load_folder
from .idx import find_idx_files, load_idx_folder
from .mnist import load_mnist


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
