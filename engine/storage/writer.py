"""save_model: the format chosen by the file's extension, written atomically (see atomic.py)."""
from __future__ import annotations

import json
from pathlib import Path

from ..data import Dataset
from ..errors import ModelFileError
from ..training import Trainer
from ..vae import VAE
from . import npz_format, safetensors_format
from .atomic import write_atomically
from .layout import to_tensors
from .model_file import ModelFile, SavedState, build_meta

FORMATS = (".npz", ".safetensors")


def save_model(path: str | Path, model: VAE, trainer: Trainer | None = None,
               dataset: Dataset | None = None, source: ModelFile | None = None, directions=None) -> Path:
    """Write the model atomically to path: .npz or .safetensors by its extension.

    With a trainer, its config, history, optimizer state and RNG go into the file too, so the
    run can resume.  Without one, `source` (the ModelFile the model was opened from) supplies
    them, so re-saving an opened model loses nothing.  The data set's name and class names come
    from `dataset`, else the trainer's data, else the source.  Raises ModelFileError for another
    extension, before writing anything.  directions: a DirectionSet to save with the model
    (default: the source's, if any).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ModelFileError(f"{path}: a model file's name ends in .npz or .safetensors")
    state = SavedState.of(trainer, source)
    data = dataset or (trainer.data if trainer else None)
    meta_json = json.dumps(build_meta(model, state, data, source, directions)).encode("utf-8")
    if suffix == ".npz":
        def write(f):
            npz_format.write(f, model.params, meta_json, state.optimizer_state)
    else:
        tensors = to_tensors(model.config, model.params)

        def write(f):
            safetensors_format.write(f, tensors, meta_json, state.optimizer_state)
    return write_atomically(path, write)
