"""File > Open model, Save model, Save model as: models from and to disk.

A save works while a run trains: the session holds the run still between two batches for the
write (`when_still`: the save continues when the worker reports it has paused, and the run goes
on), so the GUI thread never waits for the worker. Opening a model trained on other data offers
to switch to that data first.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QObject, QSettings, pyqtSignal

from ..model.datasets import MNIST_SOURCE, same_shape
from ..model.describe import describe_shape
from .dialogs import Dialogs
from .exports import settings_path
from .folders import FolderCommands

# the engine writes either format, chosen by the extension; it opens both (and pytorch/examples
# VAEs saved with safetensors) by their content
SAVE_FILTERS = "Latent Lab model (*.npz);;safetensors model (*.safetensors)"
OPEN_FILTERS = "Models (*.npz *.safetensors);;All files (*)"


class ModelCommands(QObject):
    """Open and save models of one window."""

    model_saved = pyqtSignal(str)              # path: the model was written there

    def __init__(self, session, dialogs: Dialogs, settings: QSettings, folders: FolderCommands,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.dialogs, self.settings, self.folders = session, dialogs, settings, folders
        self._pending_model = None            # (ModelFile, path) waiting for its data folder
        folders.dataset_loaded.connect(self._on_dataset_loaded)
        folders.folder_failed.connect(self._forget_pending)

    def maybe_discard(self, what: str) -> bool:
        """True if there is no unsaved model, or the user agrees to lose (or saves) it."""
        if not self.session.dirty or not self.dialogs.confirm:
            return True
        answer = self.dialogs.save_unsaved(what)
        if answer == "save":
            return self.save_model()
        return answer == "discard"

    # ------------------------------------------------------------------ saving
    def suggested_name(self) -> str:
        """vae_<data set the model was trained on>_z<latent>.npz (a folder-derived name's slash
        would be a path here)."""
        ds = (self.session.trained_on or "model").replace("/", "_")
        return f"vae_{ds}_z{self.session.latent_dim}.npz"

    def save_model(self, ask: bool = False, path: str | None = None) -> bool:
        """Save to the current file (or ask for one). True if saved, or, while a run trains,
        if the save will be written once the run is between two batches (`model_saved` says
        when); the run then goes on by itself."""
        s = self.session
        if s.model is None:
            s.notify("Nothing to save: train or open a model first")
            return False
        if path is None:
            path = s.path if (s.path and not ask) else None
        if path is None:
            start = str(Path(settings_path(self.settings, "lastModelDir", str(Path.home()))) / self.suggested_name())
            path, chosen = self.dialogs.save_path("Save model", start, SAVE_FILTERS)
            if not path:
                return False
            if Path(path).suffix.lower() not in (".npz", ".safetensors"):    # the chosen filter's format
                path += ".safetensors" if "safetensors" in chosen else ".npz"
        written: list[bool] = []
        if s.when_still(lambda: written.append(self._write_model(path))):
            return written[0]
        s.notify("Saving between two batches…")
        return True

    def _write_model(self, path: str) -> bool:
        from engine import EngineError, Trainer, save_model
        s = self.session
        try:
            trainer = s.trainer
            if trainer is None and s.model_file is not None and s.dataset is not None \
                    and same_shape(s.dataset.image_shape, s.model.config.image_shape):
                trainer = Trainer.resume(s.model_file, s.dataset)   # keeps history, optimizer, RNG
            if trainer is not None:
                save_model(path, s.model, trainer, trainer.data)
            else:                                                    # an opened model: keep its file's record
                save_model(path, s.model, source=s.model_file)
        except (EngineError, OSError) as exc:
            s.notify(f"Could not save: {exc}")
            self.dialogs.warn("Could not save the model", str(exc))
            return False
        s.set_file(path, dirty=False)
        self.settings.setValue("lastModelDir", str(Path(path).parent))
        s.notify(f"Saved model to {path}")
        self.model_saved.emit(path)
        return True

    # ------------------------------------------------------------------ opening
    def open_model(self, path: str | None = None) -> bool:
        """Open a saved model. If it was trained on other data than the current data set (a
        different image size, or a different recorded data set), offer to switch."""
        from engine import EngineError, load_model
        s = self.session
        if s.training.running:
            s.notify("Stop training before opening another model")
            return False
        if not self.maybe_discard("open another model"):
            return False
        if not path:
            path = self.dialogs.open_path("Open model", settings_path(self.settings, "lastModelDir"), OPEN_FILTERS)
            if not path:
                return False
        try:
            mf = load_model(path)
        except (EngineError, OSError) as exc:
            s.notify(f"Could not open {Path(path).name}: {exc}")
            self.dialogs.warn("Could not open the model", str(exc))     # one line: the file and the reason
            return False
        self.settings.setValue("lastModelDir", str(Path(path).parent))
        if not self._data_matches(mf) and not self._resolve_mismatch(mf, path):
            return False
        self._attach(mf, path)
        return True

    def _data_matches(self, mf) -> bool:
        """The current data set is the one the model was trained on, as far as the file says."""
        ds = self.session.dataset
        if ds is None or not same_shape(ds.image_shape, mf.model.config.image_shape):
            return False
        source, name = mf.dataset_source, mf.dataset_name
        here = getattr(ds, "source", None)
        if source and here:
            return source == here
        if name and ds.name:
            return name == ds.name
        return True                           # the file does not say: the size is all we know

    def _folder_for(self, mf) -> str | None:
        """The folder a model was trained on: the path its file records, else one of that name
        loaded or opened before (older files record only the name)."""
        source, name = mf.dataset_source, mf.dataset_name
        if source and source != MNIST_SOURCE and Path(source).exists():
            return source
        known = [e.folder for e in self.session.datasets if e.folder] + self.folders.recent_folders()
        for p in known:
            if p and name and (Path(p).name == name or p == name) and Path(p).exists():
                return p
        return None

    def _resolve_mismatch(self, mf, path: str) -> bool:
        """The model was trained on other data: switch to it, open it without data, or cancel."""
        s = self.session
        shape = tuple(mf.model.config.image_shape)
        name = mf.dataset_name or "unknown data"
        ds = s.dataset
        if same_shape(ds.image_shape, shape):
            text = (f"{Path(path).name} was trained on {name}, but the current data set is {s.dataset_label}; "
                    f"their images have the same size, but the labels and the gallery would not fit the model.")
        else:
            text = (f"{Path(path).name} was trained on {describe_shape(shape)} images ({name}), but the current "
                    f"data set has {describe_shape(ds.image_shape)} images.")
        folder = self._folder_for(mf)
        is_mnist = mf.dataset_source == MNIST_SOURCE or (same_shape(shape, (28, 28)) and str(name).lower() in
                                                         ("mnist", "unknown data"))
        offers = [("mnist", "Switch to MNIST")] if is_mnist else []
        if folder is not None and not is_mnist:
            offers.append(("folder", f"Load {Path(folder).name}"))
        offers.append(("here", "Open with the current data" if same_shape(ds.image_shape, shape)
                       else "Open without data"))
        chosen = self.dialogs.choose("The model was trained on other data", text,
                                     "Switch to the data it was trained on, or open it anyway.", offers)
        if chosen == "mnist":
            self.folders.use_mnist()
            return True
        if chosen == "folder":
            loaded = s.find_dataset(folder)
            if loaded is not None and same_shape(s.datasets[loaded].dataset.image_shape, shape):
                s.set_dataset(loaded)
                return True
            self._pending_model = (mf, path)
            opts = mf.folder_options() if mf.dataset_source == folder else {}
            self.folders.load_folder(folder, shape[:2], opts.get("invert"), opts.get("test_fraction", 0.1),
                                     opts.get("color", "rgb" if mf.model.config.image_shape.is_colour else "grey"),
                                     opts.get("background"))
            return False
        if chosen == "here":
            return True
        s.notify("Opening the model was cancelled")
        return False

    def _attach(self, mf, path: str) -> None:
        s = self.session
        s.set_model(mf.model, model_file=mf, path=path)
        last = mf.history[-1] if mf.history else None
        loss = f", test loss {last.test_loss:.1f}" if last else ""
        origin = f" ({mf.origin})" if getattr(mf, "origin", None) else ""
        s.notify(f"Opened {Path(path).name}{origin} — {mf.model.config.latent_dim}-D latent, "
                 f"{round(mf.epochs_trained, 2):g} epochs on {mf.dataset_name or 'unknown data'}{loss}")

    def _on_dataset_loaded(self, _path: str, ds) -> None:
        pending, self._pending_model = self._pending_model, None
        if pending is not None and same_shape(ds.image_shape, pending[0].model.config.image_shape):
            self._attach(*pending)

    def _forget_pending(self, *_) -> None:
        self._pending_model = None            # its data did not come: never attach it to a later load
