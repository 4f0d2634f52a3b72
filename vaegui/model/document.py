"""The model the window explores, its latest snapshot, and its file (path and unsaved flag).

The model changes while a run trains it; the explorer never decodes with it directly but with
the latest `Snapshot`'s copy, whose weights never change under it. A model with a trainer came
from a run of this session; one with a model file was opened from disk.

A snapshot is encoded once, off the GUI thread: a run's in its worker, and one of the model at
rest (opened, paused, the run over, another data set) in a pool job (`refresh_snapshot`): the
copy is announced at once (the explorer decodes with it; the scatter keeps the codes it had
when they are still the same model's and data's), and the same copy again with its fresh codes
when the job returns. Every panel reads that one result.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal

from .latest_job import LatestJob
from .training_run import Snapshot, encode_snapshot


class Document(QObject):
    """The model, its trainer or file, the snapshot the explorer shows, and where it is saved."""

    model_changed = pyqtSignal(object)         # a different model (VAE or None)
    snapshot_changed = pyqtSignal(object)      # Snapshot or None: what the explorer shows
    file_changed = pyqtSignal()                # path or unsaved flag

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._model = None
        self._trainer = None          # the Trainer of the current model (None: opened from a file)
        self._model_file = None       # the ModelFile it was opened from, if any
        self._snapshot: Snapshot | None = None
        self._path: str | None = None
        self._dirty = False
        self._encode_job = LatestJob(session.workers, parent=self)
        self._encode_job.done.connect(self._on_encoded)
        self._codes_for = (None, None)    # (model, scatter images) the snapshot's codes belong to

    # ------------------------------------------------------------------ what the model is
    @property
    def model(self):
        """The model being trained or explored (changes while a run trains it)."""
        return self._model

    @property
    def trainer(self):
        return self._trainer

    @property
    def model_file(self):
        return self._model_file

    @property
    def snapshot(self) -> Snapshot | None:
        """The latest snapshot: a model copy safe to use in the GUI thread, and its scatter."""
        return self._snapshot

    @property
    def explore_model(self):
        """The model the explorer decodes with (the snapshot's), or None."""
        return self._snapshot.model if self._snapshot is not None else None

    @property
    def image_shape(self) -> tuple:
        """The shape panels show images at: the model's, else the data set's, else 28x28."""
        if self._model is not None:
            return tuple(self._model.config.image_shape)
        ds = self._session.dataset
        return tuple(ds.image_shape) if ds is not None else (28, 28)

    @property
    def latent_dim(self) -> int:
        return self._model.config.latent_dim if self._model is not None else 2

    @property
    def trained_on(self) -> str | None:
        """The name of the data set the model was trained on (not the one loaded now)."""
        if self._trainer is not None:
            return self._trainer.data.name
        if self._model_file is not None:
            return self._model_file.dataset_name
        return None

    def history(self) -> list:
        """The model's per-epoch loss history (complete epochs)."""
        if self._trainer is not None:
            return list(self._trainer.history)
        return list(self._model_file.history) if self._model_file is not None else []

    def partial_epochs(self) -> tuple[list, object]:
        """(restarted, current): the epochs a stop cut short and a later run restarted, and the
        epoch in progress or cut short now (engine.PartialEpoch or None). Their batches are in
        the weights, not in `history()`."""
        if self._trainer is not None:
            return list(self._trainer.discarded), self._trainer.partial
        mf = self._model_file
        if mf is None:
            return [], None
        return list(mf.discarded_epochs), mf.partial_epoch

    def setting_changes(self) -> list:
        """The learning rate and beta changes made mid-run (engine.SettingChange), oldest first."""
        if self._trainer is not None:
            return list(self._trainer.setting_changes)
        return list(self._model_file.setting_changes) if self._model_file is not None else []

    @property
    def epochs_trained(self) -> float:
        """Epochs of training in the model's weights, partial epochs included."""
        source = self._trainer or self._model_file
        return float(source.epochs_trained) if source is not None else 0.0

    def encode(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar), each (latent,), of one image under the explored model."""
        mu, logvar = self.explore_model.encode(np.asarray(image)[None, :])   # floats, or stored uint8 rows
        return mu[0], logvar[0]

    # ------------------------------------------------------------------ changing it
    def set_model(self, model, trainer=None, model_file=None, path: str | None = None,
                  encode: bool = True) -> None:
        """Explore a different model (None: none). Selection, inputs, path and plane reset.
        encode=False: its first snapshot has no scatter codes yet (a run about to start
        encodes them in its worker, off the GUI thread)."""
        s = self._session
        if s.training.running:
            raise RuntimeError("a training run owns the model; stop it first")
        self._model, self._trainer, self._model_file = model, trainer, model_file
        self._path, self._dirty = path, False
        s.training_control.reset_state()
        s.inputs.forget()
        s.plane_state.reset(self.latent_dim)
        s.explorer.reset()
        if model_file is not None:
            s.run_settings.load(model_file.model.config, model_file.train_config)
        s.plane_changed.emit()
        s.selection_changed.emit(None)
        s.path_changed.emit()
        s.inputs_changed.emit()
        self.model_changed.emit(model)
        self.file_changed.emit()
        s.training_control.announce()
        self.refresh_snapshot(encode)

    def attach_trainer(self, trainer) -> None:
        """The run about to start trains the current model with `trainer` (a continued run)."""
        self._trainer = trainer

    @property
    def encoding(self) -> bool:
        """True while the model at rest is being encoded for its snapshot (a pool job)."""
        return self._encode_job.busy

    def set_snapshot(self, snapshot: Snapshot | None) -> None:
        """Explore `snapshot` (a run's, or one made here); a pending encoding of an older one is dropped."""
        self._encode_job.forget()
        self._show(snapshot)
        if snapshot is not None and snapshot.codes is not None:
            self._codes_for = (self._model, self._session.data.scatter[0])

    def _show(self, snapshot: Snapshot | None) -> None:
        if snapshot is self._snapshot:
            return
        self._snapshot = snapshot
        # the plane follows the codes and the held input before anyone redraws: one redraw
        self._session.plane_state.follow_snapshot(snapshot)
        self.snapshot_changed.emit(snapshot)

    def refresh_snapshot(self, encode: bool = True) -> None:
        """A new snapshot of the model at rest (its weights do not change while idle or paused):
        its copy now, its codes from a pool job (see the module). encode=False: no codes."""
        s = self._session
        if self._model is None:
            self.set_snapshot(None)
            return
        x, y = s.data.scatter if s.compatible and encode else (None, None)
        epoch = self._trainer.epochs_done if self._trainer is not None else \
            (self._model_file.epochs_done if self._model_file is not None else 0)
        prev = self._snapshot
        keep = x is not None and prev is not None and prev.codes is not None and \
            self._codes_for[0] is self._model and self._codes_for[1] is x   # a few batches old: better than none meanwhile
        copy = self._model.copy()
        self.set_snapshot(Snapshot(copy, prev.codes if keep else None, y if keep else None, float(epoch), True,
                                   prev.logvars if keep else None))
        if not keep:
            self._codes_for = (None, None)
        if x is None:
            return
        # the job encodes with a copy of its own: the GUI thread decodes with `copy` meanwhile
        # (an input's posterior, one image, is encoded once when a panel first asks: inputs.py)
        self._encode_job.submit(encode_snapshot, self._model.copy(), x, y, epoch, True, tag=(copy, self._model, x))

    def _on_encoded(self, encoded: Snapshot) -> None:
        copy, model, x = self._encode_job.tag
        if model is not self._model or self._snapshot is None or self._snapshot.model is not copy:
            return                        # another model or snapshot came meanwhile
        snap = Snapshot(copy, encoded.codes, encoded.labels, encoded.epoch, True, encoded.logvars,
                        inputs=self._snapshot.inputs)
        self._show(snap)
        self._codes_for = (model, x) if snap.codes is not None else (None, None)

    # ------------------------------------------------------------------ the file
    @property
    def path(self) -> str | None:
        return self._path

    @property
    def dirty(self) -> bool:
        """True when the model has trained since it was last saved."""
        return self._dirty

    def set_file(self, path: str | None, dirty: bool = False) -> None:
        if (path, dirty) == (self._path, self._dirty):
            return
        self._path, self._dirty = path, dirty
        self.file_changed.emit()

    def set_dirty(self, dirty: bool) -> None:
        self.set_file(self._path, dirty)
