"""The window's file commands over (session, parent widget): models, folders, exports, settings.

Plain methods of one small object, no mixins: each asks what it must (file dialogs, the
unsaved-model question), does the work through the engine, and writes the outcome into the
session. Folder loads run in the session's worker pool (a `workers.Job`) behind a
progress dialog with Cancel; a failed or cancelled load changes nothing.
"""
from __future__ import annotations

import csv
import threading
from pathlib import Path

from PyQt5.QtCore import QObject, QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QDialog, QFileDialog, QMessageBox, QProgressDialog, QPushButton, QWidget

from .images import describe_shape, to_qimage
from .session import MNIST_SOURCE, Session, same_shape
from .workers import Job

MAX_RECENT = 10
# the engine writes either format, chosen by the extension; it opens both (and pytorch/examples
# VAEs saved with safetensors) by their content
SAVE_FILTERS = "Latent Lab model (*.npz);;safetensors model (*.safetensors)"
OPEN_FILTERS = "Models (*.npz *.safetensors);;All files (*)"
_MNIST_CACHE: dict[str, object] = {}


def load_default_dataset():
    """The bundled MNIST, loaded once per process."""
    from engine import load_mnist
    if "mnist" not in _MNIST_CACHE:
        _MNIST_CACHE["mnist"] = load_mnist()
    return _MNIST_CACHE["mnist"]


def describe_dataset(ds) -> str:
    """One line about a data set, e.g. "60,000 train / 10,000 test images, 28×28 px, 10 classes"."""
    labels = f"{len(ds.class_names)} classes" if ds.labelled and ds.class_names else "unlabelled"
    return f"{len(ds.x_train):,} train / {len(ds.x_test):,} test images, {describe_shape(ds.image_shape)} px, {labels}"


HISTORY_COLUMNS = ("epoch", "batches", "epochs_trained", "train_loss", "test_loss", "recon", "kl",
                   "epoch_seconds", "note")


def history_rows(history, restarted, current, changes=()) -> list[list]:
    """CSV rows of the loss history in training order: every complete epoch, every epoch a
    stop (or a save mid-epoch) cut short, whose batches are in the weights (test losses are only
    taken at an epoch's end), and every learning rate or beta changed mid-run (engine
    SettingChange, a row before the epoch it happened in ends). epochs_trained counts the
    training in the weights up to that row."""
    events = [(r.epoch, 1, r) for r in history] + [(p.epoch, 0, p) for p in restarted]
    events += [(c.epoch, 0.5, c) for c in changes]
    if current is not None:
        events.append((current.epoch, 2, current))
    rows, trained = [], 0.0
    for _, kind, r in sorted(events, key=lambda e: (e[0], e[1], getattr(e[2], "batch", 0))):
        if kind == 0.5:
            rows.append([r.epoch, f"{r.batch - 1}/{r.batches}", round(trained + r.at - (r.epoch - 1), 4),
                         "", "", "", "", "", f"{r.setting} {r.old:g} -> {r.new:g} from batch {r.batch}"])
        elif kind == 1:
            trained += 1.0
            rows.append([r.epoch, "all", round(trained, 4), r.train_loss, r.test_loss, r.recon, r.kl,
                         r.epoch_seconds, ""])
        else:
            trained += r.fraction
            note = "cut short; a later run restarted this epoch" if kind == 0 else "in progress or cut short"
            rows.append([r.epoch, f"{r.batches}/{r.of}", round(trained, 4), r.train_loss, "", "", "",
                         r.seconds, note])
    return rows


def settings_path(settings: QSettings, key: str, default: str = "") -> str:
    """A folder path kept in the settings, or `default` when the value is missing or not a
    non-empty string (a damaged settings file must never break a command)."""
    value = settings.value(key, default)
    return value if isinstance(value, str) and value else default


class FolderLoad(QObject):
    """One folder load in the session's pool, with a progress dialog polled at 10 Hz."""

    def __init__(self, commands: "FileCommands", path: str, image_size, invert, test_fraction: float,
                 color: str = "auto", background=None) -> None:
        super().__init__(commands)
        from engine import load_folder
        self.commands, self.path = commands, path
        self.cancel_event = threading.Event()
        self._progress = (0, 0)             # written by the worker thread, read by the timer
        self.worker = Job(load_folder, path, image_size=image_size, invert=invert,
                          test_fraction=test_fraction, color=color, background=background,
                          progress=self._on_progress, cancelled=self.cancel_event.is_set)
        self.worker.returned.connect(self._on_returned)
        self.worker.errored.connect(self._on_errored)
        self.worker.finished.connect(self._on_finished)
        dlg = QProgressDialog(f"Loading {Path(path).name}…", "Cancel", 0, 0, commands.parent_widget)
        dlg.setObjectName("folderProgress")
        cancel = QPushButton("Cancel", objectName="cancelLoadButton")
        cancel.setToolTip("Stop loading; the current data set stays")
        dlg.setCancelButton(cancel)
        dlg.setWindowTitle("Loading images")
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(300)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(self.cancel)
        self.dialog = dlg
        self._timer = QTimer(self, interval=100)
        self._timer.timeout.connect(self._show_progress)
        self._timer.start()

    def _on_progress(self, done: int, total: int) -> None:
        self._progress = (int(done), int(total))

    def cancel(self) -> None:
        self.cancel_event.set()

    def _show_progress(self) -> None:
        done, total = self._progress
        if self.dialog is not None and total:
            self.dialog.setLabelText(f"Loading {Path(self.path).name}: {done:,} of {total:,} files")
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(done)

    def _close_dialog(self) -> None:
        self._timer.stop()
        if self.dialog is not None:
            self.dialog.blockSignals(True)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_returned(self, result) -> None:
        self._close_dialog()
        self.commands._on_load_finished(self)       # another load may start from here on
        self.commands._on_folder_loaded(self.path, result)

    def _on_errored(self, exc) -> None:
        from engine import EngineError, LoadCancelled, TooFewImages
        self._close_dialog()
        self.commands._on_load_finished(self)
        if isinstance(exc, LoadCancelled):
            message, skipped = "cancelled", []
        elif isinstance(exc, TooFewImages):
            message, skipped = str(exc), list(exc.skipped)
        elif isinstance(exc, (EngineError, OSError)):
            message, skipped = str(exc), []
        else:
            message, skipped = f"{type(exc).__name__}: {exc}", []
        self.commands._on_folder_failed(self.path, message, skipped)

    def _on_finished(self) -> None:
        self._close_dialog()
        self.commands._on_load_finished(self)


class FileCommands(QObject):
    """Open / save models, open folders, exports and recent folders for one window.

    confirm: ask before discarding an unsaved model and show warnings in message boxes; with
    False (tests, scripts) every outcome still reaches the status bar.
    """

    folder_loaded = pyqtSignal(str)            # path: a folder became a data set of the session
    folder_failed = pyqtSignal(str, str, object)   # path, message, [(file, reason)] skipped
    recent_changed = pyqtSignal()

    def __init__(self, session: Session, parent_widget: QWidget, settings: QSettings, confirm: bool) -> None:
        super().__init__(parent_widget)
        self.session, self.parent_widget, self.settings, self.confirm = session, parent_widget, settings, confirm
        self.load: FolderLoad | None = None
        self.last_skipped: list[tuple[str, str]] = []
        self._pending_model = None            # (ModelFile, path) waiting for its data folder

    # ------------------------------------------------------------------ helpers
    def warn(self, title: str, text: str) -> None:
        """A warning box when interactive; scripted runs rely on the status bar."""
        if self.confirm:
            QMessageBox.warning(self.parent_widget, title, text)

    def maybe_discard(self, what: str) -> bool:
        """True if there is no unsaved model, or the user agrees to lose (or saves) it."""
        if not self.session.dirty or not self.confirm:
            return True
        box = QMessageBox(QMessageBox.Question, "Unsaved model",
                          f"The current model has not been saved. Save it before you {what}?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self.parent_widget)
        box.setDefaultButton(QMessageBox.Save)
        answer = box.exec_()
        if answer == QMessageBox.Save:
            return self.save_model()
        return answer == QMessageBox.Discard

    # ------------------------------------------------------------------ models
    def suggested_name(self) -> str:
        """vae_<data set the model was trained on>_z<latent>.npz (a folder-derived name's slash
        would be a path here)."""
        ds = (self.session.trained_on or "model").replace("/", "_")
        return f"vae_{ds}_z{self.session.latent_dim}.npz"

    def save_model(self, ask: bool = False, path: str | None = None) -> bool:
        """Save to the current file (or ask for one); True if saved. Works while training too:
        the run holds still between two batches while the file is written."""
        s = self.session
        if s.model is None:
            s.notify("Nothing to save: train or open a model first")
            return False
        if path is None:
            path = s.path if (s.path and not ask) else None
        if path is None:
            start = str(Path(settings_path(self.settings, "lastModelDir", str(Path.home()))) / self.suggested_name())
            path, chosen = QFileDialog.getSaveFileName(self.parent_widget, "Save model", start, SAVE_FILTERS)
            if not path:
                return False
            if Path(path).suffix.lower() not in (".npz", ".safetensors"):    # the chosen filter's format
                path += ".safetensors" if "safetensors" in chosen else ".npz"
        resume_after = s.training.phase == "running"
        try:
            if not s.hold_still():
                s.notify("Training did not pause in time; the model was not saved")
                return False
            return self._write_model(path)
        finally:
            if resume_after:
                s.resume(notify=False)

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
            self.warn("Could not save the model", str(exc))
            return False
        s.set_file(path, dirty=False)
        self.settings.setValue("lastModelDir", str(Path(path).parent))
        s.notify(f"Saved model to {path}")
        return True

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
            path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open model",
                                                  settings_path(self.settings, "lastModelDir"),
                                                  OPEN_FILTERS)
            if not path:
                return False
        try:
            mf = load_model(path)
        except (EngineError, OSError) as exc:
            s.notify(f"Could not open {Path(path).name}: {exc}")
            self.warn("Could not open the model", str(exc))     # one line: the file and the reason
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
        known = [e.folder for e in self.session.datasets if e.folder] + self.recent_folders()
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
        box = QMessageBox(QMessageBox.Question, "The model was trained on other data", text, parent=self.parent_widget)
        folder = self._folder_for(mf)
        is_mnist = mf.dataset_source == MNIST_SOURCE or (same_shape(shape, (28, 28)) and str(name).lower() in
                                                         ("mnist", "unknown data"))
        switch_mnist = box.addButton("Switch to MNIST", QMessageBox.AcceptRole) if is_mnist else None
        switch_folder = box.addButton(f"Load {Path(folder).name}", QMessageBox.AcceptRole) \
            if folder is not None and not is_mnist else None
        here = box.addButton("Open with the current data" if same_shape(ds.image_shape, shape)
                             else "Open without data", QMessageBox.DestructiveRole)
        box.addButton(QMessageBox.Cancel)
        box.setInformativeText("Switch to the data it was trained on, or open it anyway.")
        if not self.confirm:                  # scripted use: take the first offer
            chosen = switch_mnist or switch_folder or here
        else:
            box.exec_()
            chosen = box.clickedButton()
        if chosen is not None and chosen is switch_mnist:
            self.use_mnist()
            return True
        if chosen is not None and chosen is switch_folder:
            loaded = s.find_dataset(folder)
            if loaded is not None and same_shape(s.datasets[loaded].dataset.image_shape, shape):
                s.set_dataset(loaded)
                return True
            self._pending_model = (mf, path)
            opts = mf.folder_options() if mf.dataset_source == folder else {}
            self.load_folder(folder, shape[:2], opts.get("invert"), opts.get("test_fraction", 0.1),
                             opts.get("color", "rgb" if mf.model.config.image_shape.is_colour else "grey"),
                             opts.get("background"))
            return False
        if chosen is here:
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

    # ------------------------------------------------------------------ data sets
    def use_mnist(self) -> None:
        s = self.session
        found = s.find_dataset(MNIST_SOURCE)
        if found is not None:
            s.set_dataset(found)
        else:
            s.add_dataset("MNIST", load_default_dataset(), None)
        if s.dataset_label == "MNIST":
            s.notify(f"Data set: MNIST — {describe_dataset(s.dataset)}")

    def open_folder(self, path: str | bool | None = None) -> None:
        """Ask for a folder and its options (starting at `path` or the last folder), then load it.
        (QAction.triggered passes a bool here: it is ignored.)"""
        from .folder_dialog import FolderOptionsDialog
        if self.session.training.running:
            self.session.notify("Stop training before loading another data set")
            return
        start = path if isinstance(path, str) and path else (self.recent_folders() or [""])[0]
        dlg = FolderOptionsDialog(start, self.parent_widget, self.session.workers)
        if dlg.exec_() != QDialog.Accepted:
            return
        self.load_folder(*dlg.options())

    def load_folder(self, path: str, image_size=None, invert=None, test_fraction: float = 0.1,
                    color: str = "auto", background=None) -> bool:
        """Load a folder in the background (no dialog: --data, recent folders, tests); the
        options are engine.load_folder's.  False if another load is still running."""
        if self.load is not None:
            self.session.notify("Another folder is still loading")
            return False
        self.load = FolderLoad(self, path, image_size, invert, test_fraction, color, background)
        self.session.workers.start(self.load.worker, cancel=self.load.cancel)
        return True

    @property
    def busy(self) -> bool:
        return self.load is not None

    def cancel_load(self) -> None:
        if self.load is not None:
            self.load.cancel()

    def _on_load_finished(self, load: FolderLoad) -> None:
        if self.load is load:
            self.load = None
            load.deleteLater()

    def _on_folder_loaded(self, path: str, result) -> None:
        from engine import folder_name
        s = self.session
        ds = result.dataset
        self.last_skipped = list(result.skipped)
        label = folder_name(path)
        self.remember_folder(path)
        s.add_dataset(label, ds, path)
        n_ok = len(result.loaded) if hasattr(result.loaded, "__len__") else int(result.loaded)
        s.notify(f"{n_ok:,} images loaded, {len(result.skipped):,} skipped — {label}: {describe_dataset(ds)}")
        pending, self._pending_model = self._pending_model, None
        if pending is not None and same_shape(ds.image_shape, pending[0].model.config.image_shape):
            self._attach(*pending)
        self.folder_loaded.emit(path)

    def _on_folder_failed(self, path: str, message: str, skipped) -> None:
        s = self.session
        self._pending_model = None            # its data did not come: never attach it to a later load
        self.last_skipped = list(skipped or [])
        s.notify(f"Could not load {Path(path).name}: {message} — {s.dataset_label} stays loaded")
        if message != "cancelled":
            self.warn("Could not load the folder",
                      f"{path}\n\n{message}\n\nThe current data set ({s.dataset_label}) stays loaded.")
        self.folder_failed.emit(path, message, self.last_skipped)

    # ------------------------------------------------------------------ recent folders
    def recent_folders(self) -> list[str]:
        """The folders opened last, newest first: read defensively (a damaged settings file
        gives an empty or shorter list, never an error) and capped at MAX_RECENT."""
        value = self.settings.value("recentFolders", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return []
        return [p for p in value if isinstance(p, str) and p][:MAX_RECENT]

    def remember_folder(self, path: str) -> None:
        rec = [p for p in self.recent_folders() if p != path]
        self.settings.setValue("recentFolders", [path] + rec[: MAX_RECENT - 1])
        self.recent_changed.emit()

    # ------------------------------------------------------------------ exports
    def _ask_path(self, title: str, name: str, filt: str) -> str | None:
        start = str(Path(settings_path(self.settings, "lastExportDir", str(Path.home()))) / name)
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, title, start, filt)
        if path:
            self.settings.setValue("lastExportDir", str(Path(path).parent))
        return path or None

    def export_view(self, view: QWidget, path: str | None = None) -> bool:
        """The latent map as shown, as a PNG."""
        path = path or self._ask_path("Export view", "latent_view.png", "PNG images (*.png)")
        if not path:
            return False
        ok = view.grab().save(path, "PNG")
        self.session.notify(f"Exported the view to {path}" if ok else f"Could not write {path}")
        return ok

    def export_manifold(self, mosaic, path: str | None = None) -> bool:
        """The decoded manifold mosaic at full resolution, as a PNG."""
        if mosaic is None:
            self.session.notify("No manifold yet: train or open a model first")
            return False
        path = path or self._ask_path("Export manifold", "manifold.png", "PNG images (*.png)")
        if not path:
            return False
        ok = to_qimage(mosaic).save(path, "PNG")
        self.session.notify(f"Exported the manifold to {path}" if ok else f"Could not write {path}")
        return ok

    def export_history(self, path: str | None = None) -> bool:
        """The per-epoch losses as CSV."""
        rows = history_rows(self.session.history(), *self.session.partial_epochs(), self.session.setting_changes())
        if not rows:
            self.session.notify("No loss history yet: train at least one batch")
            return False
        path = path or self._ask_path("Export loss history", "loss_history.csv", "CSV files (*.csv)")
        if not path:
            return False
        try:
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(HISTORY_COLUMNS)
                w.writerows(rows)
        except OSError as exc:
            self.session.notify(f"Could not write {path}: {exc.strerror}")
            return False
        self.session.notify(f"Exported {len(rows)} rows of loss history to {path}")
        return True
