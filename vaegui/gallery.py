"""A gallery of test images: drag one onto the latent map to encode it.

Each item carries its test-set index; dragging puts it in the MIME type the latent view
accepts. Reshuffle picks a new random set. Selecting two images and pressing Interpolate
asks for the path between their codes.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QMimeData, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import (QAbstractItemView, QHBoxLayout, QListWidget, QListWidgetItem, QMenu,
                             QPushButton, QVBoxLayout, QWidget)

from .images import to_pixmap
from .latent_view import MIME_TEST_INDEX

GALLERY_SIZE = 40
THUMB = 48


class GalleryList(QListWidget):
    """The thumbnails (objectName gallery); drags carry the test-set index."""

    show_requested = pyqtSignal(int)
    interpolate_from = pyqtSignal(int)
    interpolate_to = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setToolTip("Test images: drag one onto the latent map to see its reconstruction and posterior; "
                        "double-click does the same at its mean; select two and press Interpolate")
        self.setViewMode(QListWidget.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 6, THUMB + 6))
        self.setResizeMode(QListWidget.Adjust)
        self.setMovement(QListWidget.Static)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragOnly)
        self.setUniformItemSizes(True)
        self.itemDoubleClicked.connect(lambda it: self.show_requested.emit(it.data(Qt.UserRole)))
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt override)
        return [MIME_TEST_INDEX]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 (Qt override)
        md = QMimeData()
        if items:
            md.setData(MIME_TEST_INDEX, str(int(items[0].data(Qt.UserRole))).encode())
        return md

    def mime_for(self, index: int) -> QMimeData:
        """The drag payload for one test-set index (what a drag of that thumbnail carries)."""
        md = QMimeData()
        md.setData(MIME_TEST_INDEX, str(int(index)).encode())
        return md

    def indices(self) -> list[int]:
        return [self.item(i).data(Qt.UserRole) for i in range(self.count())]

    def selected_indices(self) -> list[int]:
        return [it.data(Qt.UserRole) for it in self.selectedItems()]

    def _on_context_menu(self, pos) -> None:
        it = self.itemAt(pos)
        if it is None:
            return
        idx = it.data(Qt.UserRole)
        menu = QMenu(self)
        menu.addAction("Show on the map", lambda: self.show_requested.emit(idx))
        menu.addAction("Interpolate from here", lambda: self.interpolate_from.emit(idx))
        menu.addAction("Interpolate to here", lambda: self.interpolate_to.emit(idx))
        menu.exec_(self.viewport().mapToGlobal(pos))


class GalleryPanel(QWidget):
    """GalleryList plus Reshuffle and Interpolate buttons."""

    interpolate_selected = pyqtSignal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.list = GalleryList()
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.shuffle_button = QPushButton("Reshuffle", objectName="reshuffleButton")
        self.shuffle_button.setToolTip("Show a different random set of test images")
        self.shuffle_button.clicked.connect(self.reshuffle)
        self.interp_button = QPushButton("Interpolate selected", objectName="galleryInterpolateButton")
        self.interp_button.setToolTip("Select two images (Ctrl+click), then decode the path between their codes")
        self.interp_button.clicked.connect(self._on_interpolate)
        row.addWidget(self.shuffle_button)
        row.addWidget(self.interp_button)
        row.addStretch(1)
        lay.addLayout(row)
        self._images: np.ndarray | None = None
        self._shape: tuple[int, int] = (28, 28)
        self._rng = np.random.default_rng(0)

    def set_images(self, images: np.ndarray | None, image_shape: tuple[int, int]) -> None:
        """images: (n, H*W) test images in [0, 1] (None empties the gallery)."""
        self._images, self._shape = images, tuple(image_shape)
        self.reshuffle()

    def reshuffle(self) -> None:
        self.list.clear()
        if self._images is None or len(self._images) == 0:
            return
        n = min(GALLERY_SIZE, len(self._images))
        picks = np.sort(self._rng.choice(len(self._images), size=n, replace=False))
        h, w = self._shape
        for idx in picks:
            it = QListWidgetItem(QIcon(to_pixmap(self._images[idx].reshape(h, w), THUMB)), "")
            it.setData(Qt.UserRole, int(idx))
            it.setToolTip(f"Test image #{idx}")
            self.list.addItem(it)

    def _on_interpolate(self) -> None:
        sel = self.list.selected_indices()
        if len(sel) >= 2:
            self.interpolate_selected.emit(sel[0], sel[-1])
