"""File > Open folder, Recent folders and Use MNIST: data sets from disk, loaded off the GUI thread.

Folder loads run in the session's worker pool (a `workers.Job`) behind a progress dialog with
Cancel; a failed or cancelled load changes nothing. The options dialog is folder_dialog.py.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PyQt5.QtCore import QObject, QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QDialog, QProgressDialog, QPushButton
from superqt.utils import signals_blocked

from ..model.datasets import MNIST_SOURCE
from ..model.describe import describe_dataset, load_default_dataset
from ..model.workers import Job
from .dialogs import Dialogs

MAX_RECENT = 10


class FolderLoad(QObject):
    """One folder load in the session's pool, with a progress dialog polled at 10 Hz."""

    def __init__(self, folders: FolderCommands, path: str, image_size, invert, test_fraction: float,
                 color: str = "auto", background=None) -> None:
        super().__init__(folders)
        from engine import load_folder
        self.folders, self.path = folders, path
        self.cancel_event = threading.Event()
        self._progress = (0, 0)             # written by the worker thread, read by the timer
        self.worker = Job(load_folder, path, image_size=image_size, invert=invert,
                          test_fraction=test_fraction, color=color, background=background,
                          progress=self._on_progress, cancelled=self.cancel_event.is_set)
        self.worker.returned.connect(self._on_returned)
        self.worker.errored.connect(self._on_errored)
        self.worker.finished.connect(self._on_finished)
        dlg = QProgressDialog(f"Loading {Path(path).name}…", "Cancel", 0, 0, folders.dialogs.parent)
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
            with signals_blocked(self.dialog):     # closing is not the user's Cancel
                self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_returned(self, result) -> None:
        self._close_dialog()
        self.folders.load_ended(self)               # another load may start from here on
        self.folders.folder_in(self.path, result)

    def _on_errored(self, exc) -> None:
        from engine import EngineError, LoadCancelled, TooFewImages
        self._close_dialog()
        self.folders.load_ended(self)
        if isinstance(exc, LoadCancelled):
            message, skipped = "cancelled", []
        elif isinstance(exc, TooFewImages):
            message, skipped = str(exc), list(exc.skipped)
        elif isinstance(exc, (EngineError, OSError)):
            message, skipped = str(exc), []
        else:
            message, skipped = f"{type(exc).__name__}: {exc}", []
        self.folders.folder_not_in(self.path, message, skipped)

    def _on_finished(self) -> None:
        self._close_dialog()
        self.folders.load_ended(self)


class FolderCommands(QObject):
    """Folders and MNIST as data sets of the session, and the recent folders."""

    dataset_loaded = pyqtSignal(str, object)   # path, Dataset: in the session, before folder_loaded
    folder_loaded = pyqtSignal(str)            # path: a folder became a data set of the session
    folder_failed = pyqtSignal(str, str, object)   # path, message, [(file, reason)] skipped
    recent_changed = pyqtSignal()

    def __init__(self, session, dialogs: Dialogs, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.dialogs, self.settings = session, dialogs, settings
        self.load: FolderLoad | None = None
        self.last_skipped: list[tuple[str, str]] = []

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
        dlg = FolderOptionsDialog(start, self.dialogs.parent, self.session.workers)
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

    # ------------------------------------------------------------------ what a load says
    def load_ended(self, load: FolderLoad) -> None:
        if self.load is load:
            self.load = None
            load.deleteLater()

    def folder_in(self, path: str, result) -> None:
        from engine import folder_name
        s = self.session
        ds = result.dataset
        self.last_skipped = list(result.skipped)
        label = folder_name(path)
        self.remember_folder(path)
        s.add_dataset(label, ds, path)
        n_ok = len(result.loaded) if hasattr(result.loaded, "__len__") else int(result.loaded)
        s.notify(f"{n_ok:,} images loaded, {len(result.skipped):,} skipped — {label}: {describe_dataset(ds)}")
        self.dataset_loaded.emit(path, ds)
        self.folder_loaded.emit(path)

    def folder_not_in(self, path: str, message: str, skipped) -> None:
        s = self.session
        self.last_skipped = list(skipped or [])
        s.notify(f"Could not load {Path(path).name}: {message} — {s.dataset_label} stays loaded")
        if message != "cancelled":
            self.dialogs.warn("Could not load the folder",
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


