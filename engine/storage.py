"""Model files: one .npz holding the weights, the optimizer state and JSON metadata. No pickle.

Layout: `params` (flat float32 weights), `opt_*` (optimizer arrays), and `meta`, a uint8 array
holding UTF-8 JSON: format tag and version, the architecture, the training config, the loss
history, the dataset's name, image shape, class names, source and load options, epochs done and
the RNG state, and when the learning rate or beta was changed mid-run.
Saving writes a temporary file beside the target and renames it over the target, so an
interrupted save never destroys the previous model.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import TrainConfig, VAEConfig
from .data import Dataset
from .errors import ConfigError, ModelFileError
from .training import EpochReport, SettingChange, Trainer
from .vae import VAE

FORMAT = "latent-lab-model"
VERSION = 1


@dataclass
class ModelFile:
    """Everything a saved model file holds."""

    model: VAE
    train_config: TrainConfig
    history: list[EpochReport] = field(default_factory=list)
    dataset_name: str | None = None
    image_shape: tuple[int, int] = (28, 28)
    class_names: list[str] | None = None
    epochs_done: int = 0
    optimizer_name: str | None = None
    optimizer_state: dict[str, np.ndarray] | None = None
    rng_state: dict | None = None
    dataset_source: str | None = None        # "mnist" or the folder's absolute path
    dataset_options: dict = field(default_factory=dict)   # the folder options it was loaded with
    setting_changes: list[SettingChange] = field(default_factory=list)   # lr / beta changed mid-run

    def folder_options(self) -> dict:
        """load_folder keyword arguments that reproduce the recorded data set."""
        opts = dict(self.dataset_options)
        if "image_size" in opts:
            opts["image_size"] = tuple(opts["image_size"])
        return opts


def save_model(path: str | Path, model: VAE, trainer: Trainer | None = None,
               dataset: Dataset | None = None, source: ModelFile | None = None) -> Path:
    """Write the model atomically to path.

    With a trainer, its config, history, optimizer state and RNG go into the file too, so the
    run can resume.  Without one, `source` (the ModelFile the model was opened from) supplies
    them, so re-saving an opened model loses nothing.  The data set's name and class names come
    from `dataset`, else the trainer's data, else the source.
    """
    path = Path(path)
    data = dataset or (trainer.data if trainer else None)
    if trainer is not None:
        tcfg, history, epochs_done = trainer.config, trainer.history, trainer.epochs_done
        opt_name, opt_state, rng_state = (trainer.optimizer.name, trainer.optimizer.state(),
                                          trainer.rng.bit_generator.state)
    elif source is not None:
        tcfg, history, epochs_done = source.train_config, source.history, source.epochs_done
        opt_name, opt_state, rng_state = source.optimizer_name, source.optimizer_state, source.rng_state
    else:
        tcfg, history, epochs_done, opt_name, opt_state, rng_state = TrainConfig(), [], 0, None, None, None
    meta = {
        "format": FORMAT, "version": VERSION,
        "model": model.config.to_dict(),
        "train": tcfg.to_dict(),
        "history": [r.to_dict() for r in history],
        "epochs_done": epochs_done,
        "dataset": {"name": data.name if data else (source.dataset_name if source else None),
                    "image_shape": list(model.config.image_shape),
                    "class_names": data.class_names if data else (source.class_names if source else None),
                    "source": data.source if data else (source.dataset_source if source else None),
                    "load_options": data.load_options if data else (source.dataset_options if source else {})},
        "optimizer": opt_name,
        "rng_state": rng_state,
        "setting_changes": [c.to_dict() for c in (trainer.setting_changes if trainer is not None else
                                                  source.setting_changes if source is not None else [])],
    }
    arrays = {"params": model.params.astype(np.float32, copy=False),
              "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    arrays.update({f"opt_{k}": v for k, v in (opt_state or {}).items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes it 0600; a saved model gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_model(path: str | Path) -> ModelFile:
    """Read a model file written by save_model; any problem raises ModelFileError naming it."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: not a Latent Lab model file, or it is truncated ({exc})") from None
    except ValueError as exc:
        raise ModelFileError(f"{path}: not a Latent Lab model file ({exc})") from None
    except (OSError, zipfile.LargeZipFile, KeyError) as exc:
        raise ModelFileError(f"{path}: cannot be read, the file is corrupt ({exc})") from None
    if "meta" not in arrays or "params" not in arrays:
        raise ModelFileError(f"{path}: an .npz file, but not a Latent Lab model (no metadata)")
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: the model's metadata is corrupt") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: an .npz file, but not a Latent Lab model")
    if meta.get("version", 0) > VERSION:
        raise ModelFileError(f"{path}: written by a newer Latent Lab (format {meta['version']}); please upgrade")
    try:
        vcfg = VAEConfig.from_dict(meta["model"])
        tcfg = TrainConfig.from_dict(meta["train"])
        history = [EpochReport(**r) for r in meta.get("history", [])]
        changes = [SettingChange(**c) for c in meta.get("setting_changes", [])]
    except (ConfigError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: incompatible model settings ({exc})") from None
    model = VAE(vcfg)
    params = arrays["params"]
    if params.ndim != 1 or params.size != model.n_params:
        raise ModelFileError(f"{path}: holds {params.size} weights but its architecture needs "
                             f"{model.n_params}; the file is incompatible or damaged")
    if not np.all(np.isfinite(params)):
        raise ModelFileError(f"{path}: the weights contain NaN or infinite values")
    model.params[...] = params
    opt_state = {k[4:]: v for k, v in arrays.items() if k.startswith("opt_")} or None
    if opt_state and any(v.ndim == 1 and v.size != model.n_params for v in opt_state.values()):
        raise ModelFileError(f"{path}: the optimizer state does not match the weights")
    ds = meta.get("dataset") or {}
    return ModelFile(model, tcfg, history, ds.get("name"), vcfg.image_shape, ds.get("class_names"),
                     int(meta.get("epochs_done", 0)), meta.get("optimizer"), opt_state, meta.get("rng_state"),
                     ds.get("source"), dict(ds.get("load_options") or {}), changes)
