"""The session: one Qt-side model of everything the window shows (napari's ViewerModel pattern).

State lives here and only here: the data sets and the current one, the model, its latest
snapshot, its file and unsaved flag, the plane the map shows, the selected point, the inputs
(a dropped test image, a drawing), the interpolation path and the training run. Every change
goes through a setter that emits one signal, and only when the value changed. Panels
subscribe to these signals and write user intent back only through the session's methods;
no panel touches another panel's widgets.

The session also owns every background job (`Workers`): closing, a new run, a folder load or
the end of a test joins what runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal

from .training_run import Batches, Snapshot, Stepper, encode_snapshot, training_events
from .workers import ClosingGeneratorWorker, Workers

SCATTER_SIZE = 3000
MNIST_SOURCE = "mnist"


def scatter_indices(dataset, n: int = SCATTER_SIZE) -> np.ndarray:
    """The rows of the test set that the scatter shows: a fixed, seeded, sorted subset."""
    count = len(dataset.x_test)
    return np.sort(np.random.default_rng(0).permutation(count)[: min(n, count)])


def scatter_subset(dataset, n: int = SCATTER_SIZE) -> tuple[np.ndarray, np.ndarray | None]:
    """The scatter's test images and labels: (x (n, D), labels (n,) or None)."""
    idx = scatter_indices(dataset, n)
    x = np.ascontiguousarray(dataset.x_test[idx])
    y = None if dataset.y_test is None else dataset.y_test[idx]
    return x, y


def same_shape(a, b) -> bool:
    """Image shapes compare as tuples ((H, W) and (H, W, 1) are the same grey shape)."""
    ta, tb = tuple(a), tuple(b)
    ta, tb = ta + (1,) * (3 - len(ta)), tb + (1,) * (3 - len(tb))
    return ta == tb


@dataclass(frozen=True)
class DataSetEntry:
    """One data set of the session: its label, the Dataset, and the folder it came from."""

    label: str
    dataset: object
    folder: str | None = None     # None: the bundled MNIST or one handed in by code


@dataclass(frozen=True)
class InputImage:
    """An image the user gave the explorer: a dropped test image or a drawing."""

    kind: str                     # "drop" or "draw"
    caption: str
    image: np.ndarray             # (D,) float32 in [0, 1]
    index: int | None = None      # test-set index of a dropped image


@dataclass(frozen=True)
class PathEnd:
    """One end of the interpolation path: a full latent code and what it is."""

    z: np.ndarray
    label: str


@dataclass(frozen=True)
class TrainingState:
    """The training run as the panels show it.

    phase: "idle", "running", "pausing" (asked, not yet between batches), "paused" (the
    weights are still) or "stopping". outcome / message: how the last run ended ("" when
    the model shown did not come from a run of this session).
    """

    phase: str = "idle"
    first_epoch: int = 0
    last_epoch: int = 0
    batches: int = 0              # per epoch
    x_offset: float = 0.0         # where this run's curve starts on the epoch axis, minus first-1
    outcome: str = ""
    message: str = ""

    @property
    def running(self) -> bool:
        return self.phase != "idle"


class Session(QObject):
    """The state of one window. See the module docstring; signals carry the new value."""

    datasets_changed = pyqtSignal()            # the list of data sets
    dataset_changed = pyqtSignal(object)       # the current Dataset
    model_changed = pyqtSignal(object)         # a different model (VAE or None)
    snapshot_changed = pyqtSignal(object)      # Snapshot or None: what the explorer shows
    file_changed = pyqtSignal()                # path or unsaved flag
    plane_changed = pyqtSignal()               # dims or base code of the map's plane
    selection_changed = pyqtSignal(object)     # the selected full code z, or None
    hover_changed = pyqtSignal(object)         # the code under the cursor, or None
    inputs_changed = pyqtSignal()              # the dropped image, the drawing, or which is shown
    path_changed = pyqtSignal()                # interpolation ends, steps or pick mode
    training_changed = pyqtSignal(object)      # TrainingState
    batches_arrived = pyqtSignal(object)       # Batches (a stream: not state)
    epoch_arrived = pyqtSignal(object)         # engine.EpochReport
    projection_changed = pyqtSignal(str)       # "slice" or "pca": the kind of plane the map shows
    sample_marks_changed = pyqtSignal(object)  # (n, latent) codes of posterior samples to mark, or None
    manifold_shown = pyqtSignal(object, object, object)   # (mosaic, extent, Snapshot) the map drew
    replay_changed = pyqtSignal(object)        # a time-lapse MapFrame the map replays, or None (live)
    classes_changed = pyqtSignal(object)       # frozenset of class indices hidden on the map
    settings_changed = pyqtSignal()            # lr / beta changed (requested or applied) mid-run
    message = pyqtSignal(str)                  # one line for the status bar
    warning = pyqtSignal(str, str)             # (title, text) worth a message box

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = Workers(self)
        self._datasets: list[DataSetEntry] = []
        self._index = -1
        self._model = None
        self._trainer = None          # the Trainer of the current model (None: opened from a file)
        self._model_file = None       # the ModelFile it was opened from, if any
        self._snapshot: Snapshot | None = None
        self._path: str | None = None
        self._dirty = False
        self._dims = (0, 1)
        self._base = np.zeros(2)
        self._projection = "slice"
        self._pca = None              # the PCA plane of the snapshot's codes (projection "pca")
        self._marks: np.ndarray | None = None
        self._replay = None
        self._replay_labels = None
        self._hidden: frozenset = frozenset()
        self._stepper = Stepper()
        self._n_changes = 0
        self._selected: np.ndarray | None = None
        self._hover: np.ndarray | None = None
        self._dropped: InputImage | None = None
        self._drawing: InputImage | None = None
        self._shown_input = "drop"
        self._ends: tuple[PathEnd, PathEnd] | None = None
        self._steps = 10
        self._picking = False
        self._picked: list[PathEnd] = []
        self._training = TrainingState()
        self._worker = None
        self._resume_when_paused = False
        self._ending: tuple[str, str] | None = None
        self._scatter = (None, None)  # the scatter subset of the current data set
        self.discard_guard = lambda what: True   # the window's "save the unsaved model?" question

    def set_discard_guard(self, guard) -> None:
        """guard(what) -> bool: may the unsaved model go before `what` ("start a new model")?"""
        self.discard_guard = guard

    # ------------------------------------------------------------------ messages
    def notify(self, text: str) -> None:
        """One line for the status bar: what happened last."""
        self.message.emit(text)

    def warn(self, title: str, text: str) -> None:
        """Something the user must see (a message box when the window is interactive)."""
        self.warning.emit(title, text)

    # ------------------------------------------------------------------ data sets
    @property
    def datasets(self) -> tuple[DataSetEntry, ...]:
        return tuple(self._datasets)

    @property
    def dataset_index(self) -> int:
        return self._index

    @property
    def dataset(self):
        return self._datasets[self._index].dataset if self._index >= 0 else None

    @property
    def dataset_label(self) -> str:
        return self._datasets[self._index].label if self._index >= 0 else "no data"

    def add_dataset(self, label: str, dataset, folder: str | None = None) -> int:
        """Add a data set and make it current. A folder already in the list is replaced, so
        each folder has one entry and a reload frees the copy it replaces. Returns its index."""
        entry = DataSetEntry(label, dataset, folder)
        same = next((i for i, e in enumerate(self._datasets) if self._same_source(e, entry)), None)
        if same is None:
            self._datasets.append(entry)
            index = len(self._datasets) - 1
        else:
            self._datasets[same] = entry
            index = same
            if index == self._index:
                self._index = -1          # the current entry's data changed: switch to it afresh
        self.datasets_changed.emit()
        self.set_dataset(index)
        return index

    @staticmethod
    def _same_source(a: DataSetEntry, b: DataSetEntry) -> bool:
        if a.folder and b.folder:
            from pathlib import Path
            return Path(a.folder).resolve() == Path(b.folder).resolve()
        return a.folder is None and b.folder is None and a.dataset is b.dataset

    def find_dataset(self, source: str | None) -> int | None:
        """Index of the data set loaded from `source` ("mnist" or a folder), else None."""
        from pathlib import Path
        for i, e in enumerate(self._datasets):
            src = getattr(e.dataset, "source", None)
            if source == MNIST_SOURCE and (src == MNIST_SOURCE or (e.folder is None and e.dataset.name == "mnist")):
                return i
            if source and e.folder and Path(e.folder).resolve() == Path(source).resolve():
                return i
            if source and src and src == source:
                return i
        return None

    def set_dataset(self, index: int) -> None:
        """Make data set `index` current (refused while training: the run uses it)."""
        if not 0 <= index < len(self._datasets) or index == self._index:
            return
        if self._training.running:
            self.message.emit("Stop training before switching data sets")
            return
        self._index = index
        ds = self.dataset
        self._scatter = scatter_subset(ds)
        self._clear_inputs()
        self.set_hidden_classes(frozenset())
        self.dataset_changed.emit(ds)
        self._refresh_idle_snapshot()

    @property
    def compatible(self) -> bool:
        """True when the model (if any) takes the current data set's images."""
        return self._model is None or (self.dataset is not None and
                                       same_shape(self._model.config.image_shape, self.dataset.image_shape))

    # ------------------------------------------------------------------ the model
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
        return tuple(self.dataset.image_shape) if self.dataset is not None else (28, 28)

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

    def set_model(self, model, trainer=None, model_file=None, path: str | None = None,
                  encode: bool = True) -> None:
        """Explore a different model (None: none). Selection, inputs, path and plane reset.
        encode=False: its first snapshot has no scatter codes yet (a run about to start
        encodes them in its worker, off the GUI thread)."""
        if self._training.running:
            raise RuntimeError("a training run owns the model; stop it first")
        self._model, self._trainer, self._model_file = model, trainer, model_file
        self._path, self._dirty = path, False
        self._training = TrainingState()
        self._dropped = self._drawing = None
        self._reset_explorer_state()
        self.model_changed.emit(model)
        self.file_changed.emit()
        self.training_changed.emit(self._training)
        self._refresh_idle_snapshot(encode)

    def _reset_explorer_state(self) -> None:
        L = self.latent_dim
        self._dims = (0, min(1, L - 1))
        self._base = np.zeros(L)
        self._pca = None
        if L < 2 and self._projection != "slice":
            self._projection = "slice"
            self.projection_changed.emit("slice")
        self.set_sample_marks(None)
        self.set_replay(None)
        self._selected = None
        self._ends, self._picked, self._picking = None, [], False
        self.plane_changed.emit()
        self.selection_changed.emit(None)
        self.path_changed.emit()
        self.inputs_changed.emit()

    def set_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is self._snapshot:
            return
        self._snapshot = snapshot
        if self._projection == "pca":
            self._update_pca()            # the projection follows the codes (before anyone redraws)
        self.snapshot_changed.emit(snapshot)

    def _refresh_idle_snapshot(self, encode: bool = True) -> None:
        """A new snapshot of the model at rest (its weights do not change while idle or paused)."""
        if self._model is None:
            self.set_snapshot(None)
            return
        x, y = self._scatter if self.compatible and encode else (None, None)
        epoch = self._trainer.epochs_done if self._trainer is not None else \
            (self._model_file.epochs_done if self._model_file is not None else 0)
        self.set_snapshot(encode_snapshot(self._model, x, y, epoch, True))

    # ------------------------------------------------------------------ file
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

    # ------------------------------------------------------------------ the plane
    @property
    def dims(self) -> tuple[int, int]:
        """The latent dimensions on the map's horizontal and vertical axes."""
        return self._dims

    @property
    def base(self) -> np.ndarray:
        """(latent,) code whose other dimensions the plane holds (a copy)."""
        return self._base.copy()

    def set_plane(self, dims: tuple[int, int] | None = None, base: np.ndarray | None = None) -> None:
        """Show the plane of `dims` through `base`. Two different dimensions are required
        (a 1-D model shows its one dimension against itself)."""
        dims = self._dims if dims is None else (int(dims[0]), int(dims[1]))
        base = self._base if base is None else np.asarray(base, float)
        L = self.latent_dim
        if not all(0 <= d < L for d in dims) or (dims[0] == dims[1] and L > 1):
            raise ValueError(f"the plane needs two different dimensions out of {L}, got {dims}")
        if base.shape != (L,):
            raise ValueError(f"the base code has {base.size} values, the model {L} dimensions")
        if dims == self._dims and np.array_equal(base, self._base):
            return
        self._dims, self._base = dims, base.copy()
        self.plane_changed.emit()

    @property
    def projection(self) -> str:
        """"slice" (two latent dimensions, the others held) or "pca" (the principal plane)."""
        return self._projection

    @property
    def plane(self):
        """The engine plane the map shows: a SlicePlane of dims through base, or the PCAPlane of
        the snapshot's codes (projection "pca")."""
        from engine import SlicePlane
        if self._projection == "pca" and self._pca is not None:
            return self._pca
        return SlicePlane(self._dims, self._base)

    def set_projection(self, kind: str) -> None:
        """Show an axis-aligned slice ("slice") or the PCA projection of the scatter's codes ("pca")."""
        if kind not in ("slice", "pca") or kind == self._projection:
            return
        if kind == "pca" and self.latent_dim < 2:
            self.message.emit("A PCA projection needs at least two latent dimensions")
            self.projection_changed.emit(self._projection)    # the chooser goes back
            return
        self._projection = kind
        self._pca = None
        if kind == "pca":
            self._update_pca()
        self.projection_changed.emit(kind)
        self.plane_changed.emit()

    def _update_pca(self) -> None:
        from engine import EngineError, pca_plane
        snap = self._snapshot
        if snap is None or snap.codes is None or snap.codes.shape[1] != self.latent_dim:
            return
        try:
            self._pca = pca_plane(snap.codes, reference=self._pca)
        except EngineError:
            self._pca = None              # too few codes: the slice stands in

    def plane_to_z(self, x: float, y: float) -> np.ndarray:
        """The full code of point (x, y) of the map's plane."""
        return self.plane.codes(np.array([[x, y]]))[0]

    def project(self, z: np.ndarray) -> tuple[float, float]:
        """A full code's coordinates on the map's plane (its projection onto a PCA plane)."""
        a, b = self.plane.coords(np.asarray(z, float))[0]
        return float(a), float(b)

    # ------------------------------------------------------------------ explorer overlays
    @property
    def sample_marks(self) -> np.ndarray | None:
        """(n, latent) codes of posterior samples the map marks, or None."""
        return self._marks

    def set_sample_marks(self, z: np.ndarray | None) -> None:
        if z is None and self._marks is None:
            return
        self._marks = None if z is None else np.array(z, float)
        self.sample_marks_changed.emit(self._marks)

    def set_manifold(self, mosaic: np.ndarray, extent: tuple, snapshot: Snapshot | None) -> None:
        """The map drew `mosaic` over `extent` for `snapshot` (the time-lapse records from it)."""
        self.manifold_shown.emit(mosaic, extent, snapshot)

    @property
    def replay(self):
        """The time-lapse frame (engine MapFrame) the map replays instead of the live model, or None."""
        return self._replay

    @property
    def replay_labels(self) -> np.ndarray | None:
        return self._replay_labels

    def set_replay(self, frame, labels: np.ndarray | None = None) -> None:
        if frame is None and self._replay is None:
            return
        self._replay, self._replay_labels = frame, labels
        self.replay_changed.emit(frame)

    @property
    def hidden_classes(self) -> frozenset:
        """Class indices whose test images the map hides."""
        return self._hidden

    def set_hidden_classes(self, hidden) -> None:
        hidden = frozenset(int(c) for c in hidden)
        if hidden == self._hidden:
            return
        self._hidden = hidden
        self.classes_changed.emit(hidden)

    # ------------------------------------------------------------------ selection and hover
    @property
    def selected(self) -> np.ndarray | None:
        return None if self._selected is None else self._selected.copy()

    def select(self, z: np.ndarray | None) -> None:
        z = None if z is None else np.asarray(z, float)
        if (z is None and self._selected is None) or (z is not None and self._selected is not None
                                                      and np.array_equal(z, self._selected)):
            return
        self._selected = z
        self.selection_changed.emit(None if z is None else z.copy())

    @property
    def hover(self) -> np.ndarray | None:
        return self._hover

    def set_hover(self, z: np.ndarray | None) -> None:
        if z is None and self._hover is None:
            return
        self._hover = None if z is None else np.asarray(z, float)
        self.hover_changed.emit(self._hover)

    # ------------------------------------------------------------------ inputs
    @property
    def dropped(self) -> InputImage | None:
        return self._dropped

    @property
    def drawing(self) -> InputImage | None:
        return self._drawing

    @property
    def input(self) -> InputImage | None:
        """The input the inspector shows: the one given last, else the other."""
        first, second = (self._drawing, self._dropped) if self._shown_input == "draw" else \
            (self._dropped, self._drawing)
        return first or second

    def drop_test_image(self, index: int) -> None:
        """The user dropped (or double-clicked) test image `index`."""
        ds = self.dataset
        if self._model is None or ds is None or not self.compatible:
            self.message.emit("No model for these images yet: train one (Start) or open one (Ctrl+O)")
            return
        label = ""
        if ds.y_test is not None and ds.class_names:
            label = f" ({ds.class_names[int(ds.y_test[index])]})"
        self._dropped = InputImage("drop", f"Test #{index}{label}", ds.test_float(index), index)
        self._shown_input = "drop"
        self.inputs_changed.emit()
        self.message.emit(f"Encoded test image #{index}{label}")

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The draw pad's image ((D,) in [0, 1]); blank or None clears the drawing."""
        if image is None or not np.any(image):
            if self._drawing is None:
                return
            self._drawing = None
            self._shown_input = "drop"
            self.inputs_changed.emit()
            self.message.emit("Cleared the drawing" + (f"; the Inspector shows {self._dropped.caption} again"
                                                       if self._dropped is not None else ""))
            return
        if self._model is None:
            self.message.emit("No model yet: train one (Start) or open one (Ctrl+O) to encode your drawing")
            return
        image = np.asarray(image, np.float32)
        if image.size != self._model.config.input_dim:
            return
        self._drawing = InputImage("draw", "Your drawing", image)
        self._shown_input = "draw"
        self.inputs_changed.emit()
        self.message.emit("Encoded your drawing: its reconstruction is in the Inspector, its posterior on the map")

    def _clear_inputs(self) -> None:
        if self._dropped is None and self._drawing is None:
            return
        self._dropped = self._drawing = None
        self.inputs_changed.emit()

    def encode(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar), each (latent,), of one image under the explored model."""
        mu, logvar = self.explore_model.encode(np.asarray(image)[None, :])   # floats, or stored uint8 rows
        return mu[0], logvar[0]

    # ------------------------------------------------------------------ interpolation
    @property
    def path_ends(self) -> tuple[PathEnd, PathEnd] | None:
        return self._ends

    @property
    def path_steps(self) -> int:
        return self._steps

    @property
    def picking(self) -> bool:
        return self._picking

    @property
    def picked(self) -> tuple[PathEnd, ...]:
        """Points clicked so far in pick mode (0 or 1)."""
        return tuple(self._picked)

    def set_picking(self, on: bool) -> None:
        if on == self._picking:
            return
        self._picking, self._picked = on, []
        self.path_changed.emit()
        if on:
            self.message.emit("Interpolation: click the start point on the map")

    def pick_point(self, z: np.ndarray, label: str) -> None:
        """A click in pick mode: the first sets the start, the second ends the pick."""
        self._picked.append(PathEnd(np.asarray(z, float), label))
        if len(self._picked) == 2:
            self._picking, ends, self._picked = False, tuple(self._picked), []
            self.set_path(*ends)
            return
        self.path_changed.emit()
        self.message.emit("Interpolation: now click the end point")

    def set_path(self, start: PathEnd | None, end: PathEnd | None = None) -> None:
        """The path between two codes (None clears it); says so in the status bar once."""
        ends = None if start is None or end is None else (start, end)
        self._ends = ends
        self.path_changed.emit()
        if ends is not None:
            self.message.emit(f"Interpolated {start.label} → {end.label} in {self._steps} steps")

    def path_between_test_images(self, i: int, j: int) -> None:
        if self.explore_model is None or self.dataset is None or not self.compatible:
            return
        ds = self.dataset
        self.set_path(PathEnd(self.encode(ds.test_float(i))[0].astype(float), f"test #{i}"),
                      PathEnd(self.encode(ds.test_float(j))[0].astype(float), f"test #{j}"))

    def set_path_steps(self, steps: int) -> None:
        if steps == self._steps:
            return
        self._steps = int(steps)
        self.path_changed.emit()

    # ------------------------------------------------------------------ training
    @property
    def training(self) -> TrainingState:
        return self._training

    def _set_training(self, **changes) -> None:
        state = replace(self._training, **changes)
        if state != self._training:
            self._training = state
            self.training_changed.emit(state)

    def start_training(self, vae_config, train_config, continue_run: bool = False) -> bool:
        """Train a new model (or the current one for more epochs) on the current data set.

        Returns False, with the reason in `message`, when it cannot start.
        """
        from engine import VAE, ConfigError, EngineError, Trainer
        if self._training.running:
            return False
        if self.dataset is None:
            self.message.emit("Cannot start: no data set")
            return False
        ds = self.dataset
        continue_run = continue_run and self._model is not None
        if not continue_run and self._dirty and not self.discard_guard("start a new model"):
            return False
        try:
            if continue_run:
                trainer = self._continuing_trainer(train_config)
            else:
                if not same_shape(vae_config.image_shape, ds.image_shape):
                    raise ConfigError("the model's image size differs from the data set's")
                trainer = Trainer(VAE(vae_config, seed=train_config.seed), ds, train_config)
        except (ValueError, EngineError) as exc:
            self.message.emit(f"Cannot start: {exc}")
            self.warning.emit("Cannot start training", str(exc))
            return False
        new_model = trainer.model is not self._model
        if new_model:
            self.set_model(trainer.model, trainer, encode=False)   # a conv model's scatter takes ~1 s
        self._trainer = trainer
        if self.workers.closed:
            return False
        n, bs = len(ds.x_train), trainer.config.batch_size
        batches = math.ceil(n / min(bs, n))
        first = trainer.epochs_done + 1
        x, y = self._scatter
        self._stepper = Stepper()
        worker = ClosingGeneratorWorker(training_events, trainer, x, y, stepper=self._stepper,
                                        scatter_idx=None if x is None else scatter_indices(ds),
                                        first_snapshot=new_model)
        self._stepper.pause = worker.pause
        worker.yielded.connect(self._on_yielded)
        worker.paused.connect(self._on_paused)
        worker.returned.connect(self._on_returned)
        worker.aborted.connect(self._on_aborted)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        self._resume_when_paused = False
        self._ending = None
        self._training = TrainingState("running", first, trainer.epochs_done + trainer.config.epochs, batches,
                                       x_offset=trainer.epochs_trained - trainer.epochs_done)
        self.training_changed.emit(self._training)
        self.message.emit(f"Training epochs {first}–{self._training.last_epoch} on {self.dataset_label}…")
        self.workers.start(worker)
        return True

    def _continuing_trainer(self, tcfg):
        from engine import ConfigError, TrainConfig, Trainer
        if not same_shape(self._model.config.image_shape, self.dataset.image_shape):
            raise ConfigError("the current model does not match this data set's image size")
        if self._trainer is not None and self._trainer.data is self.dataset:
            self._trainer.config = TrainConfig(**{**self._trainer.config.to_dict(), "epochs": tcfg.epochs})
            return self._trainer
        if self._model_file is not None:
            return Trainer.resume(self._model_file, self.dataset, epochs=tcfg.epochs)
        prev = self._trainer
        return Trainer(self._model, self.dataset, tcfg, history=prev.history if prev else None,
                       epochs_done=prev.epochs_done if prev else 0)

    def pause(self, notify: bool = True) -> None:
        if self._training.phase == "running":
            self._worker.pause()
            self._set_training(phase="pausing")
            if notify:
                self.message.emit("Pausing after this batch…")

    def resume(self, notify: bool = True) -> None:
        """Resume a paused (or pausing) run; notify=False for the end of a save's brief hold."""
        phase = self._training.phase
        if phase == "paused":
            self._worker.resume()
        elif phase == "pausing":
            self._resume_when_paused = True   # superqt resumes only a worker that has paused
        else:
            return
        self._set_training(phase="running")
        if notify:
            self.message.emit("Training resumed")

    def step(self, unit: str) -> None:
        """While paused: train one more batch ("batch") or to the end of the epoch ("epoch"),
        then pause again (every panel then shows the model as it is)."""
        if self._training.phase != "paused" or unit not in ("batch", "epoch"):
            return
        self._stepper.unit = unit
        self._worker.resume()
        self._set_training(phase="pausing")
        self.message.emit("Training one batch…" if unit == "batch" else "Training to the end of the epoch…")

    def change_settings(self, lr: float | None = None, beta: float | None = None) -> bool:
        """Train with this learning rate and beta from the next batch of the running run."""
        from engine import EngineError
        trainer = self._trainer
        if trainer is None or not self._training.running:
            self.message.emit("Start a run first: the learning rate and beta change between batches of a run")
            return False
        try:
            trainer.change_settings(lr=lr, beta=beta)
        except EngineError as exc:
            self.message.emit(f"Cannot change the settings: {exc}")
            return False
        self.message.emit(f"From the next batch: learning rate {lr:g}, beta {beta:g}" if lr is not None and
                          beta is not None else "The new setting applies from the next batch")
        self.settings_changed.emit()
        return True

    def stop(self) -> None:
        if self._training.phase in ("running", "pausing", "paused"):
            self._worker.quit()
            self._set_training(phase="stopping")
            self.message.emit("Stopping after this batch…")

    def hold_still(self, timeout_s: float = 5.0) -> bool:
        """Pause a running run and block until it is between batches (for a save); True if the
        weights are still. The caller resumes with `resume()` if it wants."""
        import time
        worker = self._worker
        if worker is None:
            return True
        if self._training.phase == "running":
            self.pause(notify=False)
        self._resume_when_paused = False
        deadline = time.monotonic() + timeout_s
        while not worker.is_paused and not worker.done.is_set() and time.monotonic() < deadline:
            time.sleep(0.002)             # the worker needs no GUI event to get there
        return worker.is_paused or worker.done.is_set()

    def _on_yielded(self, item) -> None:
        from engine import EpochReport
        if not self._ours():
            return
        if isinstance(item, Batches):
            if not self._dirty:
                self.set_dirty(True)
            self.batches_arrived.emit(item)
            if len(self._trainer.setting_changes) != self._n_changes:
                self._n_changes = len(self._trainer.setting_changes)
                self.settings_changed.emit()      # a requested change took effect
        elif isinstance(item, EpochReport):
            self.epoch_arrived.emit(item)
            self.message.emit(f"Epoch {item.epoch}/{item.epochs} — test loss {item.test_loss:.1f} "
                              f"(recon {item.recon:.1f} + KL {item.kl:.2f}), {item.epoch_seconds:.1f} s")
        elif isinstance(item, Snapshot):
            self.set_snapshot(item)

    def _on_paused(self) -> None:
        if not self._ours():
            return
        if self._resume_when_paused:
            self._resume_when_paused = False
            self._worker.resume()
            return
        if self._training.phase == "pausing":
            self._set_training(phase="paused")
            self._refresh_idle_snapshot()     # the weights are still: show them as they are now
            self.message.emit("Paused — the explorer shows the model as it is now; press Resume to go on")

    def _ours(self) -> bool:
        """True when the signal being handled comes from the current run's worker (a run
        joined by `shutdown()` may still have signals queued: they are dropped)."""
        return self._worker is not None and self.sender() is self._worker.signals

    def _on_returned(self, outcome) -> None:
        if self._ours():
            self._ending = (outcome or "completed", "")

    def _on_aborted(self) -> None:
        if self._ours():
            self._ending = ("stopped", "")

    def _on_errored(self, exc) -> None:
        from engine import TrainingDiverged
        if not self._ours():
            return
        if isinstance(exc, TrainingDiverged):
            self._ending = ("diverged", f"Training diverged: {exc}")
        else:
            self._ending = ("error", f"Training failed: {type(exc).__name__}: {exc}")

    def _on_worker_finished(self) -> None:
        if self._ours():
            self._finish_run()

    def _finish_run(self) -> None:
        """The run has ended (its worker has finished): explore the final model."""
        worker, self._worker = self._worker, None
        outcome, error = self._ending or ("stopped" if worker.abort_requested else "completed", "")
        self._ending = None
        trainer = self._trainer
        last = trainer.history[-1] if trainer.history else None
        loss = f", test loss {last.test_loss:.1f}" if last else ""
        n = trainer.epochs_done
        epochs = f"{n} epoch{'s' if n != 1 else ''}"
        trained = f" ({trainer.epochs_trained:.2f} trained)" if trainer.partial is not None else ""
        text = {"completed": f"Training complete — {epochs}{loss}",
                "stopped": f"Stopped with {epochs} complete{trained}{loss} — the model keeps what it learnt",
                "diverged": "Training diverged — the model keeps its last good weights",
                "error": "Training failed"}[outcome]
        self._training = replace(self._training, phase="idle", outcome=outcome, message=text)
        snap = self._snapshot
        if not (outcome == "completed" and snap is not None and snap.final and snap.epoch == trainer.epochs_done):
            self._refresh_idle_snapshot()   # a completed run's last snapshot already shows its final weights
        self.training_changed.emit(self._training)
        self.message.emit(error or text)
        if error:
            self.warning.emit("Training stopped", error)

    # ------------------------------------------------------------------ lifetime
    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Stop every job and join its thread, for good (the window is closing); the run's end
        is handled here, not by signals still queued."""
        if self._worker is not None:
            self._worker.quit()
        done = self.workers.close(timeout_ms)
        if done and self._worker is not None:
            self._finish_run()
        return done
