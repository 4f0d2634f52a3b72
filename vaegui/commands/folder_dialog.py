"""Dialogs of folder loading: the options (folder, resolution, colour, background of transparent
areas, invert, test fraction) and the list of skipped files. The load itself runs in the session's
worker pool (folders.py).

The options dialog scans the chosen folder in a worker thread (the session's pool when it is
given one), so a huge or hostile folder never freezes the window: the scan is bounded by the
engine, a newer choice or closing the dialog cancels it, and only the latest scan's result is
shown (model/latest_job.py).
"""
from __future__ import annotations

import threading

import pyqtgraph as pg
from PyQt5.QtCore import QThreadPool
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import EngineError, ScanCancelled, scan_folder

from ..model.latest_job import LatestJob
from ..widgets.palette import rgb

INVERT_CHOICES = {"auto": None, "on": True, "off": False}
COLOR_CHOICES = {"auto": "auto", "colour (RGB)": "rgb", "grey": "grey"}
BACKGROUND_CHOICES = {"automatic": None, "white": "white", "black": "black", "custom": "custom"}


class FolderOptionsDialog(QDialog):
    """Choose a folder, the resolution (default: the scan's suggestion), colour, the background
    of transparent areas, invert and test fraction."""

    def __init__(self, path: str = "", parent: QWidget | None = None, workers=None) -> None:
        """workers: the session's Workers pool to scan in (None: a pool of the dialog's own)."""
        super().__init__(parent)
        self._pool = None if workers is not None else QThreadPool(self)
        self.scan_job = LatestJob(workers if workers is not None else self._pool, parent=self)
        self.scan_job.done.connect(self._on_scanned)
        self.scan_job.failed.connect(self._on_scan_failed)
        self._scanning = False
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
        self.scan_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)   # wraps, never widens the dialog
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
        self.color_combo = QComboBox(objectName="colorCombo")
        self.color_combo.addItems(list(COLOR_CHOICES))
        self.color_combo.setToolTip("auto: colour (RGB) if any image carries colour, else grey; or force "
                                    "colour or grey (grey uses the ITU-R 601 luma)")
        form.addRow("Colour", self.color_combo)
        bg_row = QHBoxLayout()
        self.background_combo = QComboBox(objectName="backgroundCombo")
        self.background_combo.addItems(list(BACKGROUND_CHOICES))
        self.background_combo.setToolTip("What transparent pixels are put on. automatic: white for colour "
                                         "images; for grey ones white or black, whichever contrasts with "
                                         "the drawing")
        self.background_button = pg.ColorButton(color=(255, 255, 255))
        self.background_button.setObjectName("backgroundColourButton")
        self.background_button.setToolTip("The custom background colour")
        self.background_button.setEnabled(False)
        self.background_combo.currentTextChanged.connect(
            lambda text: self.background_button.setEnabled(BACKGROUND_CHOICES[text] == "custom"))
        bg_row.addWidget(self.background_combo)
        bg_row.addWidget(self.background_button)
        bg_row.addStretch(1)
        form.addRow("Transparent areas", bg_row)
        self.invert_combo = QComboBox(objectName="invertCombo")
        self.invert_combo.addItems(list(INVERT_CHOICES))
        self.invert_combo.setToolTip("auto: make the ink bright on a dark background (like MNIST) when grey "
                                     "images' borders are light (colour images are left as they are); "
                                     "on / off: force it")
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
        """Scan the folder in a worker thread; the suggested resolution is filled in when it ends."""
        path = self.path_edit.text().strip()
        if not path:
            return
        cancel = threading.Event()
        self.scan = None
        self._scanning = True
        self._set_ok(False)
        self.scan_label.setText("Scanning the folder…")
        self.scan_job.submit(lambda: scan_folder(path, cancelled=cancel.is_set), cancel=cancel.set)

    @property
    def scanning(self) -> bool:
        return self._scanning

    def _on_scanned(self, scan) -> None:
        self._scanning = False
        self.scan = scan
        h, w = scan.suggested_size
        self.height_spin.setValue(h)
        self.width_spin.setValue(w)
        fixed = scan.kind != "images"
        for wdg in (self.width_spin, self.height_spin):
            wdg.setEnabled(not fixed)
        text = scan.describe() + f" — suggested {w}×{h}"
        if scan.skipped:
            n = len(scan.skipped)
            text += f"; {n:,} file{'s' if n != 1 else ''} will be skipped"
        self.scan_label.setText(text)
        self.scan_label.setToolTip(f"{text}\n\nWhat the folder holds (a quick scan: file names and a sample of "
                                   f"image headers)")
        self._set_ok(True)

    def _on_scan_failed(self, exc: Exception) -> None:
        if isinstance(exc, ScanCancelled):
            return
        self._scanning = False
        self.scan = None
        text = str(exc) if isinstance(exc, (EngineError, OSError)) else f"cannot scan the folder ({exc})"
        self.scan_label.setText(f"<span style='color:#d55'>{text}</span>")
        self._set_ok(False)

    def done(self, result: int) -> None:  # noqa: D102 (accept, reject and closing all end here)
        self.scan_job.forget()
        self._scanning = False
        super().done(result)
        if self._pool is not None:
            self._pool.waitForDone(5000)    # a cancelled scan stops at its next folder

    def options(self) -> tuple:
        """(path, (height, width), invert, test_fraction, color, background): load_folder's options;
        background is None (automatic), "white", "black" or an (r, g, b) triple."""
        background = BACKGROUND_CHOICES[self.background_combo.currentText()]
        if background == "custom":
            background = rgb(self.background_button)
        return (self.path_edit.text().strip(), (self.height_spin.value(), self.width_spin.value()),
                INVERT_CHOICES[self.invert_combo.currentText()], self.test_spin.value(),
                COLOR_CHOICES[self.color_combo.currentText()], background)


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
