"""Neighbours: the test images whose posterior means lie nearest the selected point.

Real data next to the decode: clicking the map lists the k nearest test images (k = 8 by
default) by Euclidean distance between posterior means in latent space, with their labels and
distances. The whole test set is encoded once per model snapshot, only when a point is
selected, in the session's worker pool (10,000 MNIST images take ~100 ms of CPU: on the GUI
thread that is a visible stall while training; a `LatestJob`: the newest model's encoding
wins); the search is the engine's (`nearest_neighbours`).
Double-clicking a neighbour drops it on the map.
"""
from __future__ import annotations

import weakref

import numpy as np
from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QSpinBox, QVBoxLayout, QWidget
from superqt.utils import qdebounced

from ..model.latest_job import LatestJob
from ..widgets.images import as_image, to_pixmap

THUMB = 56
DEBOUNCE_MS = 100       # a click or a marker drag searches once it settles, off the click's path


def _dead() -> None:
    """A weak reference that never had a referent."""


class NeighboursPanel(QWidget):
    """k spin box over a list of thumbnails (neighboursView)."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.neighbours = None                # the engine's Neighbours on show
        self._codes = None                    # (N, L) posterior means of the test set ...
        # ... under this (model, data set), the model weakly: while a run trains, the explored model
        # is a new snapshot copy every second, and a cache of the codes must not keep an old one
        # alive (an MLP copy is 5 MB, a conv copy 13 MB)
        self._codes_for: tuple = (_dead, None)
        self.encode_job = LatestJob(session.workers, parent=self)   # its tag: the (model, data set) encoded
        self.encode_job.done.connect(self._on_codes)
        self.encode_job.failed.connect(lambda _: self.caption.setText("Could not encode the test set"))
        self._stale = False                   # a refresh was skipped while the panel was hidden
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.caption = QLabel("Click a point on the map", objectName="neighboursCaption")
        self.caption.setWordWrap(True)
        self.k_spin = QSpinBox(objectName="neighboursSpin", minimum=1, maximum=64, value=8)
        self.k_spin.setToolTip("How many nearest test images to list")
        bar.addWidget(self.caption, 1)
        k_label = QLabel("k")
        k_label.setToolTip(self.k_spin.toolTip())
        bar.addWidget(k_label)
        bar.addWidget(self.k_spin)
        lay.addLayout(bar)
        self.view = QListWidget(objectName="neighboursView")
        self.view.setViewMode(QListView.IconMode)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setResizeMode(QListView.Adjust)
        self.view.setMovement(QListView.Static)
        self.view.setWordWrap(True)
        self.view.setGridSize(QSize(THUMB + 40, THUMB + 38))
        self.view.setToolTip("The test images nearest the selected point in latent space (by posterior mean), "
                             "nearest first; double-click one to drop it on the map")
        lay.addWidget(self.view, 1)
        self._debounced = qdebounced(self.refresh, timeout=DEBOUNCE_MS, parent=self)
        self.k_spin.valueChanged.connect(lambda _: self.refresh())
        self.view.itemDoubleClicked.connect(self._on_double_clicked)
        session.selection_changed.connect(lambda _: self._debounced())
        session.snapshot_changed.connect(self._on_snapshot)
        session.dataset_changed.connect(lambda _: self.refresh())

    def _on_snapshot(self, snap) -> None:
        # While a run trains, snapshots arrive every second: the list follows the model when the
        # weights are still (paused, or the run over); a click while training searches the
        # current model.
        if snap is None or self.session.training.phase in ("idle", "paused"):
            self.refresh()

    def test_codes(self) -> np.ndarray | None:
        """(N, L) posterior means of the whole test set under the explored model, if encoded
        already; otherwise None, and the encoding starts in the worker pool (refresh() runs
        again when it is done)."""
        s = self.session
        model, ds = s.explore_model, s.dataset
        if model is None or ds is None or not s.compatible:
            return None
        snap = s.snapshot
        if snap is not None and snap.test_codes is not None and snap.test_data is ds and snap.model is model:
            return snap.test_codes      # an epoch's end: its test pass encoded them (conv: ~0.4 s saved)
        if self._codes_for[0]() is model and self._codes_for[1] is ds:
            return self._codes
        if not (self.encode_job.busy and self._encoding(model, ds)):
            self.encode_job.submit(lambda: (model.encode(ds.x_test)[0], (model, ds)),
                                   tag=(weakref.ref(model), ds))   # weakly: the job holds the model, not the tag
        return None

    def _encoding(self, model, ds) -> bool:
        tag = self.encode_job.tag
        return tag is not None and tag[0]() is model and tag[1] is ds

    @property
    def encoding(self) -> bool:
        """True while the test set is being encoded for the explored model."""
        return self.encode_job.busy

    def _on_codes(self, result: tuple) -> None:
        codes, key = result
        self._codes, self._codes_for = codes, (weakref.ref(key[0]), key[1])
        if key == (self.session.explore_model, self.session.dataset):
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """List the neighbours of the selected point (deferred while the panel is hidden: encoding
        the test set takes CPU from training, which a hidden tab should not)."""
        from engine import nearest_neighbours
        self._debounced.cancel()
        s = self.session
        z = s.selected
        if z is not None and not self.isVisible():
            self._stale = True
            return
        self._stale = False
        codes = self.test_codes() if z is not None else None
        self.view.clear()
        self.neighbours = None
        if z is not None and codes is None and self.encode_job.busy:
            self.caption.setText("Encoding the test set…")
            return
        if z is None or codes is None or z.size != codes.shape[1]:
            self.caption.setText("Click a point on the map to list the test images nearest to it")
            return
        found = nearest_neighbours(codes, z, self.k_spin.value())
        self.neighbours = found
        ds = s.dataset
        for rank, (i, d) in enumerate(zip(found.indices, found.distances)):
            label = ""
            if ds.y_test is not None and ds.class_names:
                label = ds.class_names[int(ds.y_test[i])]
            item = QListWidgetItem(QIcon(to_pixmap(as_image(ds.x_test[i], ds.image_shape), THUMB)),
                                   f"{label or f'#{i}'}\nd = {d:.2f}")
            item.setData(Qt.UserRole, int(i))
            item.setToolTip(f"Test image #{i}{f' ({label})' if label else ''}: distance {d:.3f} "
                            f"between posterior means, rank {rank + 1}")
            self.view.addItem(item)
        self.caption.setText(f"{len(found.indices)} nearest of {len(codes):,} test images "
                             f"(distance between posterior means)")

    def _on_double_clicked(self, item: QListWidgetItem) -> None:
        self.session.drop_test_image(int(item.data(Qt.UserRole)))
