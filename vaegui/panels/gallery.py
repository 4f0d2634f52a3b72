"""A gallery of test images: drag one onto the latent map to encode it.

Each item carries its test-set index; dragging puts it in the MIME type the latent view
accepts. Reshuffle picks a new random set. Selecting two images and pressing Interpolate
asks for the path between their codes.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QMimeData, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..widgets.images import as_image, to_pixmap
from ..widgets.latent_view import MIME_TEST_INDEX

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
    """GalleryList plus Reshuffle and Interpolate buttons, showing the session's data set."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
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
        self._shape: tuple = (28, 28)
        self._rng = np.random.default_rng(0)
        self._from: tuple[int, int] | None = None   # (start 0 | end 1, index) waiting for the other end
        self.list.show_requested.connect(session.drop_test_image)
        self.list.interpolate_from.connect(lambda i: self._set_end(0, i))
        self.list.interpolate_to.connect(lambda i: self._set_end(1, i))
        session.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed(session.dataset)

    def _on_dataset_changed(self, ds) -> None:
        self._from = None
        if ds is None:
            self.set_images(None, (28, 28))
        else:
            self.set_images(ds.x_test, ds.image_shape)

    def _set_end(self, which: int, index: int) -> None:
        """Context menu: test image `index` starts (0) or ends (1) the path."""
        if self._from is None or self._from[0] == which:
            self._from = (which, index)
            self.session.notify(f"Interpolation {'start' if which == 0 else 'end'}: test #{index}; "
                                f"now choose the {'end' if which == 0 else 'start'}")
            return
        other = self._from[1]
        self._from = None
        i, j = (index, other) if which == 0 else (other, index)
        self.session.path_between_test_images(i, j)

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
        for idx in picks:
            it = QListWidgetItem(QIcon(to_pixmap(as_image(self._images[idx], self._shape), THUMB)), "")
            it.setData(Qt.UserRole, int(idx))
            it.setToolTip(f"Test image #{idx}")
            self.list.addItem(it)

    def _on_interpolate(self) -> None:
        sel = self.list.selected_indices()
        if len(sel) >= 2:
            self.session.path_between_test_images(sel[0], sel[-1])
        else:
            self.session.notify("Select two gallery images (Ctrl+click) to interpolate between them")
