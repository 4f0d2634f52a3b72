"""The session: one Qt-side model of everything the window shows (napari's ViewerModel pattern).

State lives here and only here, in parts with one concern each:

- `data` (datasets.py): the data sets and the current one, with its scatter subset;
- `document` (document.py): the model, its latest snapshot, its file and unsaved flag;
- `plane_state` (plane.py): the plane the map shows and where the other dimensions are held;
- `inputs` (inputs.py): a dropped test image and a drawing, and their shared posteriors;
- `explorer` (explorer.py): the selection, hover, interpolation path and overlays;
- `training_control` (training.py) and `run_settings` (run_settings.py): the run.

Every change goes through a setter that emits one signal, and only when the value changed.
Panels subscribe to these signals and write user intent back only through the session's
methods; no panel touches another panel's widgets. The session answers the parts' names
directly (`session.select(z)`, `session.plane_changed`, `session.dims`), so a panel needs to
know the session, not which part holds a thing; `PARTS` lists what each part answers.

The session never asks the user anything itself: a question (may the unsaved model go?) is the
`discard_guard` callback the window sets, and warnings are the `warning` signal the window
shows. It owns every background job (`Workers`): closing, a new run, a folder load or the end of
a test joins what runs.
"""
from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject, pyqtSignal

from .datasets import DataSets
from .document import Document
from .explorer import Explorer
from .inputs import Inputs
from .plane import PlaneState
from .run_settings import RunSettings
from .training import TrainingControl
from .workers import Workers

# what each part answers on the session's behalf (signals, properties and methods)
PARTS = {
    "data": ("datasets_changed", "dataset_changed", "datasets", "dataset_index", "dataset", "dataset_label",
             "add_dataset", "find_dataset", "set_dataset"),
    "document": ("model_changed", "snapshot_changed", "file_changed", "model", "trainer", "model_file",
                 "snapshot", "explore_model", "image_shape", "latent_dim", "trained_on", "history",
                 "partial_epochs", "setting_changes", "epochs_trained", "encode", "set_model", "set_snapshot", "encoding",
                 "path", "dirty", "set_file", "set_dirty"),
    "plane_state": ("plane_changed", "projection_changed", "hold_changed", "dims", "base", "set_plane",
                    "hold", "set_hold", "projection", "plane", "set_projection", "plane_to_z", "project"),
    "inputs": ("inputs_changed", "dropped", "drawing", "input", "posterior", "drop_test_image", "set_drawing"),
    "explorer": ("selection_changed", "hover_changed", "path_changed", "sample_marks_changed", "manifold_shown",
                 "replay_changed", "classes_changed", "selected", "select", "hover", "set_hover", "path_ends",
                 "path_steps", "picking", "picked", "set_picking", "pick_point", "set_path",
                 "path_between_test_images", "set_path_steps", "sample_marks", "set_sample_marks",
                 "set_manifold", "replay", "replay_labels", "set_replay", "hidden_classes", "set_hidden_classes"),
    "training_control": ("training_changed", "batches_arrived", "epoch_arrived", "settings_changed", "training",
                         "start", "start_training", "pause", "resume", "step", "change_settings", "stop",
                         "when_still", "shutdown"),
}
_OWNER = {name: part for part, names in PARTS.items() for name in names}


class Session(QObject):
    """The state of one window: the root of the parts above; signals carry the new value."""

    message = pyqtSignal(str)                  # one line for the status bar
    warning = pyqtSignal(str, str)             # (title, text) worth a message box

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = Workers(self)
        self.run_settings = RunSettings(self)
        self.training_control = TrainingControl(self)
        self.data = DataSets(self)
        self.document = Document(self)
        self.plane_state = PlaneState(self)
        self.inputs = Inputs(self)
        self.explorer = Explorer(self)
        self.discard_guard: Callable[[str], bool] = lambda what: True

    def __getattr__(self, name: str):
        part = _OWNER.get(name)
        if part is None:
            raise AttributeError(f"'Session' has no attribute {name!r}")
        try:
            return getattr(self.__dict__[part], name)
        except KeyError:
            raise AttributeError(f"the session's {part} is not built yet") from None

    def set_discard_guard(self, guard: Callable[[str], bool]) -> None:
        """guard(what) -> bool: may the unsaved model go before `what` ("start a new model")?
        The window answers (a question box when interactive); by default it may."""
        self.discard_guard = guard

    def notify(self, text: str) -> None:
        """One line for the status bar: what happened last."""
        self.message.emit(text)

    def warn(self, title: str, text: str) -> None:
        """Something the user must see (a message box when the window is interactive)."""
        self.warning.emit(title, text)

    @property
    def compatible(self) -> bool:
        """True when the model (if any) takes the current data set's images."""
        from .datasets import same_shape
        model, ds = self.model, self.dataset
        return model is None or (ds is not None and same_shape(model.config.image_shape, ds.image_shape))
