"""Where a trained model goes: the destination checked before training, and a rescue when a save fails.

A save that cannot succeed should be found before hours of training, not after: the name must
end in .npz or .safetensors, must not be a folder, the nearest existing folder on its path must
be a folder (not a file) that this process can write to, and its disk must have room for the
file.  Writability is tried, not read off the permission bits: a temporary file (which the OS
removes itself) is made in the folder, so root, read-only mounts, ACLs and Windows all answer
truthfully.  If a save still fails at the end (the disk filled during training, the folder was
removed), rescue_save writes the model to the data directory's rescued/ folder instead.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ModelFileError
from ..home import data_dir
from ..text import printable
from ..training import Trainer
from ..vae import VAE
from .model_file import ModelFile
from .writer import FORMATS, save_model

# Bytes a file needs beyond its float32 weights and optimizer moments: zip or safetensors
# headers and the metadata (settings, per-epoch history).
FILE_OVERHEAD = 1 << 20
RESCUE_FOLDER = "rescued"


def estimated_file_bytes(model: VAE, optimizer: str | None = None) -> int:
    """About how large a saved file of this model is: the weights, Adam's two moments, metadata."""
    copies = 3 if optimizer == "adam" else 1
    return 4 * copies * int(model.n_params) + FILE_OVERHEAD


def check_save_destination(path: str | Path, model: VAE | None = None, optimizer: str | None = None) -> str | None:
    """None if a model can be saved to path, else one sentence naming the path and the problem.

    With a model (and the optimizer whose state is saved with it), the disk's free space is
    compared with the file's estimated size too.  Folders on the path that do not exist yet are
    fine when they can be made (a save makes them).
    """
    path = Path(path)
    shown = printable(path)
    if path.suffix.lower() not in FORMATS:
        return f"cannot save to {shown}: a model file's name ends in .npz or .safetensors"
    if path.is_dir():
        return f"cannot save to {shown}: it is a folder; give a file name ending in {path.suffix or '.npz'}"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot save to {shown}: {printable(folder)} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot save to {shown}: the folder {printable(folder)} is not writable ({_reason(exc)})"
    if model is not None:
        need = estimated_file_bytes(model, optimizer)
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return None                  # unknown: the save itself will tell
        if free < need:
            return (f"cannot save to {shown}: its disk has {_size(free)} free but the model needs "
                    f"about {_size(need)}; free some space or save elsewhere")
    return None


def rescue_save(model: VAE, trainer: Trainer | None, failed_path: str | Path, error: BaseException | str,
                dataset=None, source: ModelFile | None = None) -> Path:
    """Save the model to <data dir>/rescued/<name>-<time>.npz after a save to failed_path failed.

    Returns the rescued file's path; the caller says where it went.  Raises ModelFileError
    (naming both paths) if the rescue cannot be written either.
    """
    stem = Path(failed_path).stem or "model"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        folder = data_dir(create=True) / RESCUE_FOLDER
        folder.mkdir(exist_ok=True)
        target = folder / f"{stem}-{stamp}.npz"
        for i in range(2, 1000):
            if not target.exists():
                break
            target = folder / f"{stem}-{stamp}-{i}.npz"
        return save_model(target, model, trainer, dataset=dataset, source=source)
    except (OSError, ModelFileError) as exc:
        raise ModelFileError(f"cannot save to {printable(failed_path)} ({describe_error(error)}), and the "
                             f"rescue copy in {printable(data_dir())} failed too ({describe_error(exc)})") from None


def describe_error(error: BaseException | str) -> str:
    """A save's failure as a short reason: an OSError's reason with the file it names, else the text."""
    if isinstance(error, OSError):
        reason = _reason(error)
        return f"{reason}: {printable(error.filename)}" if error.filename else reason
    return printable(str(error))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower() if not isinstance(exc, PermissionError) else "permission denied"


def _size(n: int) -> str:
    return f"{n / 1024 ** 3:.1f} GB" if n >= 1024 ** 3 else f"{n / 1024 ** 2:.1f} MB"
