"""Loading a folder of the user's images: the options dialog, the load worker with progress
and Cancel, and the list of skipped files.

FolderLoader runs engine.load_folder in a QThread (the superqt wiring from worker.py),
shows a QProgressDialog whose Cancel makes the loader's `cancelled()` callback return True,
and emits `loaded(path, FolderLoad)` or `failed(path, message, skipped)`. A failed or cancelled
load changes nothing: the window keeps its data set.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PyQt5.QtCore import QObject, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                             QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                             QProgressDialog, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from .worker import start_in_thread

INVERT_CHOICES = {"auto": None, "on": True, "off": False}


class FolderOptionsDialog(QDialog):
    """Choose a folder, the resolution (default: the scan's suggestion), invert and test fraction."""

    def __init__(self, path: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open image folder")
        self.setObjectName("folderDialog")
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.path_edit = QLineEdit(path, objectName="folderPathEdit")
        self.path_edit.setToolTip("The folder: images (subfolders = classes), MNIST-style IDX files, "
                                  "or .npy/.npz arrays")
        self.path_edit.editingFinished.connect(self.rescan)
        browse = QPushButton("Browse…", objectName="browseButton", autoDefault=False)
        browse.setToolTip("Choose the folder")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("Folder", row)
        self.scan_label = QLabel("", objectName="scanLabel")
        self.scan_label.setWordWrap(True)
        self.scan_label.setToolTip("What the folder holds (a quick scan: file names and a sample of image headers)")
        form.addRow("Contents", self.scan_label)
        size_row = QHBoxLayout()
        self.width_spin = QSpinBox(objectName="folderWidthSpin", minimum=4, maximum=128, value=28)
        self.width_spin.setToolTip("Width every image is resized to")
        self.height_spin = QSpinBox(objectName="folderHeightSpin", minimum=4, maximum=128, value=28)
        self.height_spin.setToolTip("Height every image is resized to")
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        size_row.addWidget(QLabel("pixels (width × height)"))
        size_row.addStretch(1)
        form.addRow("Resolution", size_row)
        self.invert_combo = QComboBox(objectName="invertCombo")
        self.invert_combo.addItems(list(INVERT_CHOICES))
        self.invert_combo.setToolTip("auto: make the ink bright on a dark background (like MNIST) when the "
                                     "images' borders are light; on / off: force it")
        form.addRow("Invert", self.invert_combo)
        self.test_spin = QDoubleSpinBox(objectName="testFractionSpin", decimals=2, minimum=0.01, maximum=0.9,
                                        singleStep=0.05, value=0.1)
        self.test_spin.setToolTip("Share of the images held out as the test set (stratified by class)")
        form.addRow("Test fraction", self.test_spin)
        lay.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Load")
        self.buttons.button(QDialogButtonBox.Ok).setDefault(True)
        self.buttons.button(QDialogButtonBox.Ok).setToolTip("Load the folder with these options")
        self.buttons.button(QDialogButtonBox.Cancel).setToolTip("Keep the current data set")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.scan = None
        if path:
            self.rescan()
        else:
            self._set_ok(False)

    def _set_ok(self, ok: bool) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(ok)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose an image folder", self.path_edit.text())
        if path:
            self.path_edit.setText(path)
            self.rescan()

    def rescan(self) -> None:
        """Scan the folder and fill in the suggested resolution."""
        from engine import EngineError
        from engine import scan_folder
        path = self.path_edit.text().strip()
        if not path:
            return
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            self.scan = scan_folder(path)
        except (EngineError, OSError) as exc:
            self.scan = None
            self.scan_label.setText(f"<span style='color:#d55'>{exc}</span>")
            self._set_ok(False)
            return
        finally:
            QApplication.restoreOverrideCursor()
        h, w = self.scan.suggested_size
        self.height_spin.setValue(h)
        self.width_spin.setValue(w)
        fixed = self.scan.kind != "images"
        for wdg in (self.width_spin, self.height_spin):
            wdg.setEnabled(not fixed)
        text = self.scan.describe() + f" — suggested {w}×{h}"
        if self.scan.skipped:
            n = len(self.scan.skipped)
            text += f"; {n:,} file{'s' if n != 1 else ''} will be skipped"
        self.scan_label.setText(text)
        self._set_ok(True)

    def options(self) -> tuple[str, tuple[int, int], bool | None, float]:
        """(path, (height, width), invert, test_fraction)."""
        return (self.path_edit.text().strip(), (self.height_spin.value(), self.width_spin.value()),
                INVERT_CHOICES[self.invert_combo.currentText()], self.test_spin.value())


class FolderLoadWorker(QObject):
    """Calls load_folder in its thread; progress and cancel through callbacks."""

    progress = pyqtSignal(int, int)
    loaded = pyqtSignal(object)
    failed = pyqtSignal(str, object)   # message, [(path, reason)] of the files skipped
    finished = pyqtSignal()

    def __init__(self, path: str, image_size, invert, test_fraction: float) -> None:
        super().__init__()
        self.args = (path, image_size, invert, test_fraction)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @pyqtSlot()
    def run(self) -> None:
        from engine import EngineError
        from engine import LoadCancelled, TooFewImages, load_folder
        path, size, invert, frac = self.args
        try:
            result = load_folder(path, image_size=size, invert=invert, test_fraction=frac,
                                 progress=lambda done, total: self.progress.emit(int(done), int(total)),
                                 cancelled=self._cancel.is_set)
            self.loaded.emit(result)
        except LoadCancelled:
            self.failed.emit("cancelled", [])
        except TooFewImages as exc:  # the details dialog lists why each file was left out
            self.failed.emit(str(exc), list(exc.skipped))
        except (EngineError, OSError) as exc:
            self.failed.emit(str(exc), [])
        except Exception as exc:  # noqa: BLE001 - shown in a message box, never a crash
            self.failed.emit(f"{type(exc).__name__}: {exc}", [])
        finally:
            self.finished.emit()


class FolderLoader(QObject):
    """One folder load at a time, with a progress dialog."""

    loaded = pyqtSignal(str, object)
    failed = pyqtSignal(str, str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: FolderLoadWorker | None = None
        self.thread = None
        self.progress_dialog: QProgressDialog | None = None
        self._path = ""

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def ask_and_load(self, parent: QWidget, path: str = "") -> None:
        dlg = FolderOptionsDialog(path, parent)
        if dlg.exec_() != QDialog.Accepted:
            return
        folder, size, invert, frac = dlg.options()
        self.load(parent, folder, size, invert, frac)

    def load(self, parent: QWidget, path: str, image_size=None, invert=None, test_fraction: float = 0.1) -> None:
        if self.busy:
            return
        self._path = path
        self.worker = FolderLoadWorker(path, image_size, invert, test_fraction)
        dlg = QProgressDialog(f"Loading {Path(path).name}…", "Cancel", 0, 0, parent)
        dlg.setObjectName("folderProgress")
        cancel = QPushButton("Cancel", objectName="cancelLoadButton")
        cancel.setToolTip("Stop loading; the current data set stays")
        dlg.setCancelButton(cancel)
        dlg.setWindowTitle("Loading images")
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(300)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(self.worker.cancel)
        self.progress_dialog = dlg
        self.worker.progress.connect(self._on_progress)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.thread = start_in_thread(self.worker, "folder-load")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _on_progress(self, done: int, total: int) -> None:
        dlg = self.progress_dialog
        if dlg is None:
            return
        dlg.setLabelText(f"Loading {Path(self._path).name}: {done:,} of {total:,} files")
        dlg.setMaximum(max(total, 1))
        dlg.setValue(done)   # a modal QProgressDialog processes events here: nothing after it

    def _on_loaded(self, result) -> None:
        self._close_dialog()
        self.loaded.emit(self._path, result)

    def _on_failed(self, message: str, skipped: list) -> None:
        self._close_dialog()
        self.failed.emit(self._path, message, skipped)

    def _on_finished(self) -> None:
        if self.thread is not None:
            self.thread.wait(5000)
        self.worker = None
        self.thread = None

    def _close_dialog(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.blockSignals(True)
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        if self.thread is not None:
            self.thread.wait(5000)


class SkippedDialog(QDialog):
    """Every skipped file of the last load, and why."""

    def __init__(self, skipped: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Skipped files ({len(skipped):,})")
        self.setObjectName("skippedDialog")
        self.resize(640, 400)
        lay = QVBoxLayout(self)
        table = QTableWidget(len(skipped), 2, objectName="skippedTable")
        table.setToolTip("Files that were not loaded, and the reason for each")
        table.setHorizontalHeaderLabels(["File", "Reason"])
        for i, (path, reason) in enumerate(skipped):
            table.setItem(i, 0, QTableWidgetItem(str(path)))
            table.setItem(i, 1, QTableWidgetItem(str(reason)))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        lay.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setToolTip("Close this list")
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.table = table
