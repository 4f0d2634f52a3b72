"""ModelFile, what a model file holds once read, and the metadata a save writes."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ..config import TrainConfig
from ..data import Dataset
from ..data.folder import load_folder
from ..directions import DirectionSet
from ..training import EpochReport, PartialEpoch, SettingChange, Trainer
from ..vae import VAE
from .schema import FORMAT, VERSION


@dataclass
class ModelFile:
    """Everything a saved model file holds.

    origin says where a model not written by Latent Lab came from (e.g. "a pytorch/examples
    VAE"); it is None for our own files.
    """

    model: VAE
    train_config: TrainConfig
    history: list[EpochReport] = field(default_factory=list)
    dataset_name: str | None = None
    image_shape: tuple[int, ...] = (28, 28, 1)
    class_names: list[str] | None = None
    epochs_done: int = 0
    optimizer_name: str | None = None
    optimizer_state: dict[str, np.ndarray] | None = None
    rng_state: dict | None = None
    dataset_source: str | None = None        # "mnist" or the folder's absolute path
    dataset_options: dict = field(default_factory=dict)   # the folder options it was loaded with
    setting_changes: list[SettingChange] = field(default_factory=list)   # lr / beta changed mid-run
    origin: str | None = None
    partial_epoch: PartialEpoch | None = None        # the epoch a save or stop cut short, if any
    discarded_epochs: list[PartialEpoch] = field(default_factory=list)   # cut short, then restarted
    directions: DirectionSet = field(default_factory=DirectionSet)    # named attribute directions

    @property
    def epochs_trained(self) -> float:
        """Epochs of training in the weights, partial epochs included (the truth a mid-epoch
        save records; `epochs_done` counts complete epochs only)."""
        partial = self.partial_epoch.fraction if self.partial_epoch is not None else 0.0
        return self.epochs_done + partial + sum(p.fraction for p in self.discarded_epochs)

    def folder_options(self) -> dict:
        """load_folder keyword arguments that reproduce the recorded data set (options this
        version's loader does not take are left out)."""
        accepted = inspect.signature(load_folder).parameters
        opts = {k: v for k, v in self.dataset_options.items() if k in accepted}
        if "image_size" in opts:
            opts["image_size"] = tuple(opts["image_size"])
            # Folders were always loaded grey before colour existed, and their files say nothing.
            opts.setdefault("color", "rgb" if tuple(self.image_shape)[2:] == (3,) else "grey")
        if opts.get("background") is not None:
            opts["background"] = tuple(opts["background"])
        return opts


@dataclass
class SavedState:
    """What a save writes besides the weights: the run's settings, history, optimizer and RNG."""

    train_config: TrainConfig
    history: list[EpochReport]
    epochs_done: int
    optimizer_name: str | None
    optimizer_state: dict[str, np.ndarray]
    rng_state: dict | None
    setting_changes: list[SettingChange]
    partial_epoch: PartialEpoch | None = None
    discarded_epochs: list[PartialEpoch] = field(default_factory=list)

    @classmethod
    def of(cls, trainer: Trainer | None, source: ModelFile | None) -> SavedState:
        """From a trainer (a run that can resume), else from the file the model was opened from."""
        if trainer is not None:
            return cls(trainer.config, trainer.history, trainer.epochs_done, trainer.optimizer.name,
                       trainer.optimizer.state(), trainer.rng.bit_generator.state, trainer.setting_changes,
                       trainer.partial, trainer.discarded)
        if source is not None:
            return cls(source.train_config, source.history, source.epochs_done, source.optimizer_name,
                       source.optimizer_state or {}, source.rng_state, source.setting_changes,
                       source.partial_epoch, source.discarded_epochs)
        return cls(TrainConfig(), [], 0, None, {}, None, [])


def build_meta(model: VAE, state: SavedState, data: Dataset | None, source: ModelFile | None,
               directions: DirectionSet | None = None) -> dict:
    """The metadata object of a save.  The data set's name, classes, source and options come from
    `data` (a Dataset) if given, else from the file the model was opened from; so do the
    directions (`directions`, else the source's)."""
    def from_data(attr: str, fallback: str, default=None):
        if data is not None:
            return getattr(data, attr)
        return getattr(source, fallback) if source is not None else default

    return {
        "format": FORMAT, "version": VERSION,
        "model": model.config.to_dict(),
        "train": state.train_config.to_dict(),
        "history": [r.to_dict() for r in state.history],
        "epochs_done": state.epochs_done,
        "dataset": {"name": from_data("name", "dataset_name"),
                    "image_shape": list(model.config.image_shape),
                    "class_names": from_data("class_names", "class_names"),
                    "source": from_data("source", "dataset_source"),
                    "load_options": from_data("load_options", "dataset_options", {})},
        "optimizer": state.optimizer_name,
        "rng_state": state.rng_state,
        "setting_changes": [c.to_dict() for c in state.setting_changes],
        # batches trained beyond the complete epochs: a save mid-epoch records them (the weights hold them)
        "partial_epoch": state.partial_epoch.to_dict() if state.partial_epoch is not None else None,
        "discarded_epochs": [p.to_dict() for p in state.discarded_epochs],
        "directions": [d.to_dict() for d in (directions if directions is not None
                                             else source.directions if source is not None else ())],
    }
