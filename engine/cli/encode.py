"""`encode`: every image of a data set as its posterior (mu, logvar), into one .npz for scripts.

The .npz holds mu and logvar (n, L) float32, split ("train" / "test" per row) and, when known,
labels (n,) int64 and class_names; for a folder of images, one row per readable file in sorted
path order with paths (relative to the folder) instead of a train/test split.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..data.assemble import auto_invert
from ..data.dataset import to_float
from ..data.decode import decode_chunk
from ..data.folder import parse_colour
from ..data.scan import scan_folder
from ..limits import check_memory
from ..storage import load_model
from ..storage.atomic import write_atomically
from ..threads import set_threads
from . import checks as check
from .common import CliError, add_model_argument, data_for

NAME = "encode"
CHUNK = 1024          # images encoded (and, for a folder, decoded from files) at a time


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(NAME, help="encode a data set's images to their posterior mu and logvar (.npz)")
    add_model_argument(e)
    e.add_argument("--data", default=None, help="'mnist', a folder of images / IDX files / .npy arrays "
                   "(default: the model's own data set)")
    e.add_argument("--out", type=Path, required=True, help="the .npz file to write")
    e.add_argument("--threads", type=check.threads, default=None, help="threads for the matrix products")


def run(a: argparse.Namespace) -> int:
    if a.out.suffix.lower() != ".npz":
        raise CliError(f"--out {a.out}: the codes are written as .npz (mu, logvar, labels, paths)")
    if a.threads:
        set_threads(a.threads)
    saved = load_model(a.model)
    folder = _image_folder(a.data)
    arrays = _encode_folder(saved, folder) if folder is not None else _encode_dataset(saved, a.data)
    write_atomically(a.out, lambda f: np.savez(f, **arrays))
    print(f"wrote {a.out}: {len(arrays['mu']):,} codes of {arrays['mu'].shape[1]} dimensions", file=sys.stderr)
    return 0


def _image_folder(spec: str | None):
    """The scan of a folder of image files, or None for anything else (MNIST, IDX, arrays)."""
    if spec is None or spec.lower() == "mnist" or not Path(spec).expanduser().is_dir():
        return None
    scan = scan_folder(Path(spec).expanduser())
    return scan if scan.kind == "images" else None


def _encode_rows(model, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    L = model.config.latent_dim
    mu, logvar = np.empty((len(rows), L), np.float32), np.empty((len(rows), L), np.float32)
    for s in range(0, len(rows), CHUNK):
        mu[s:s + CHUNK], logvar[s:s + CHUNK] = model.encode(to_float(rows[s:s + CHUNK]))
    return mu, logvar


def _encode_dataset(saved, spec: str | None) -> dict:
    data = data_for(spec, saved)
    if data.image_shape != saved.model.config.image_shape:
        raise CliError(f"the model is for {saved.model.config.image_shape} images but {data.name} has "
                       f"{data.image_shape}")
    mu_train, lv_train = _encode_rows(saved.model, data.x_train)
    mu_test, lv_test = _encode_rows(saved.model, data.x_test)
    arrays = {"mu": np.concatenate([mu_train, mu_test]), "logvar": np.concatenate([lv_train, lv_test]),
              "split": np.array(["train"] * len(mu_train) + ["test"] * len(mu_test))}
    if data.y_train is not None and data.y_test is not None:
        arrays["labels"] = np.concatenate([data.y_train, data.y_test]).astype(np.int64)
    if data.class_names:
        arrays["class_names"] = np.array(data.class_names)
    return arrays


def _encode_folder(saved, scan) -> dict:
    """Decode the folder's files at the model's size and channels (its recorded background and
    inversion if it is the folder the model was trained on), one row per readable file."""
    model = saved.model
    h, w, c = model.config.image_shape
    if not scan.files:
        raise CliError(f"{scan.path}: no image files to encode")
    check_memory(len(scan.files) * h * w * c, f"decoding {len(scan.files):,} images")
    same = saved.dataset_source is not None and Path(saved.dataset_source) == scan.path.resolve()
    options = saved.folder_options() if same else {}
    background = parse_colour(options.get("background"))
    rows, stats, keep = np.empty((len(scan.files), h * w * c), np.uint8), [], []
    for s in range(0, len(scan.files), CHUNK):
        images, chunk_stats, reasons = decode_chunk(str(scan.path), scan.files[s:s + CHUNK], (h, w),
                                                    "grey" if c == 1 else "rgb", background)
        rows[s:s + len(images)] = images.reshape(len(images), -1)
        stats.append(chunk_stats)
        keep += [s + i for i, r in enumerate(reasons) if not r]
    skipped = len(scan.files) - len(keep)
    if skipped:
        print(f"{skipped:,} files could not be read as images and are left out", file=sys.stderr)
    if not keep:
        raise CliError(f"{scan.path}: none of its {len(scan.files):,} files could be read as an image")
    rows, stats = rows[keep], np.concatenate(stats)[keep]
    invert = options.get("invert")
    if (bool(invert) if invert is not None or c == 3 else auto_invert(stats)):
        np.subtract(255, rows, out=rows)
    mu, logvar = _encode_rows(model, rows)
    arrays = {"mu": mu, "logvar": logvar, "paths": np.array([scan.files[i] for i in keep])}
    if scan.labels is not None:
        arrays["labels"] = scan.labels[keep].astype(np.int64)
        arrays["class_names"] = np.array(scan.class_names)
    return arrays
