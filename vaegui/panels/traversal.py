"""Traversals: from the selected point (or the latent mean), walk each dimension in turn and decode.

One row per latent dimension, largest KL first, labelled with the dimension and its KL; the
columns walk that dimension over the chosen range while every other dimension stays at the
point. The codes and decodes are the engine's (`engine.traverse`); export writes a PNG.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QRectF, QSaveFile, QSize, Qt
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qdebounced

from ..widgets.images import to_qimage

RANGES = [("prior", "Prior quantiles"),
          ("posterior", "Posterior ±2 SD")]
LABEL_W = 96          # pixels for the row labels
DEBOUNCE_MS = 120


class TraversalView(QWidget):
    """Paints a traversal mosaic with a label left of each row (objectName traversalView)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traversalView")
        self.setToolTip("Each row walks one latent dimension (largest KL at the top) from low to high "
                        "values; all other dimensions stay at the point")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(160, 60)
        self._mosaic: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._labels: list[str] = []
        self._placeholder = "Train or open a model"

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(360, 320)

    def set_grid(self, mosaic: np.ndarray | None, labels: list[str] | None = None) -> None:
        self._mosaic = mosaic
        self._qimage = None if mosaic is None else to_qimage(mosaic)
        self._labels = list(labels or [])
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def mosaic(self) -> np.ndarray | None:
        """The decoded grid on show, exactly as the engine returned it."""
        return self._mosaic

    def labels(self) -> list[str]:
        return list(self._labels)

    def render_image(self, cell: int = 56) -> QImage:
        """The grid with its labels at `cell` pixels per image row (for export)."""
        rows = max(1, len(self._labels))
        iw, ih = self._qimage.width(), self._qimage.height()
        height = cell * rows
        width = LABEL_W + round(iw * height / ih)
        img = QImage(width, height, QImage.Format_RGB32)
        img.fill(QColor(20, 20, 24))
        p = QPainter(img)
        self._paint(p, QRectF(0, 0, width, height))
        p.end()
        return img

    def _paint(self, p: QPainter, area: QRectF) -> None:
        iw, ih = self._qimage.width(), self._qimage.height()
        avail = QRectF(area.x() + LABEL_W, area.y(), max(1.0, area.width() - LABEL_W), area.height())
        scale = min(avail.width() / iw, avail.height() / ih)
        w, h = iw * scale, ih * scale
        target = QRectF(avail.x(), avail.y(), w, h)
        p.drawImage(target, self._qimage)
        row_h = h / max(1, len(self._labels))
        p.setPen(QColor(225, 225, 230))
        for r, text in enumerate(self._labels):
            p.drawText(QRectF(area.x() + 2, area.y() + r * row_h, LABEL_W - 6, row_h),
                       Qt.AlignRight | Qt.AlignVCenter, text)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(20, 20, 24))
        if self._qimage is None:
            p.setPen(QColor(140, 140, 150))
            p.drawText(QRectF(self.rect()), Qt.AlignCenter | Qt.TextWordWrap, self._placeholder)
        else:
            self._paint(p, QRectF(self.rect()).adjusted(2, 2, -2, -2))
        p.end()


class TraversalPanel(QWidget):
    """Range and size controls over a TraversalView; listens to the selection and the snapshot."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.traversal = None                     # the engine's Traversal on show
        self.point: np.ndarray | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar, bar2 = QHBoxLayout(), QHBoxLayout()
        self.range_combo = QComboBox(objectName="traversalRangeCombo")
        for key, text in RANGES:
            self.range_combo.addItem(text, key)
        self.range_combo.setToolTip("The values each dimension walks through: equally spaced quantiles of the "
                                    "prior N(0, 1) from 2.5% to 97.5%, or the mean ±2 standard deviations of "
                                    "where the data's codes actually are (the aggregate posterior)")
        self.steps_spin = QSpinBox(objectName="traversalStepsSpin", minimum=3, maximum=15, value=9)
        self.steps_spin.setToolTip("Images per row")
        self.rows_spin = QSpinBox(objectName="traversalRowsSpin", minimum=1, maximum=64, value=10)
        self.rows_spin.setToolTip("Rows: the dimensions with the largest KL first")
        self.export_button = QPushButton("Export…", objectName="exportTraversalButton")
        self.export_button.setToolTip("Save the traversal grid with its labels as a PNG")
        self.range_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.range_combo.setMinimumContentsLength(6)
        bar.addWidget(self.range_combo, 1)
        bar.addWidget(self.export_button)
        for text, w in (("Steps", self.steps_spin), ("Rows", self.rows_spin)):
            label = QLabel(text)
            label.setToolTip(w.toolTip())
            bar2.addWidget(label)
            bar2.addWidget(w)
        bar2.addStretch(1)
        lay.addLayout(bar)
        lay.addLayout(bar2)
        self.caption = QLabel("", objectName="traversalCaption")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.view = TraversalView()
        lay.addWidget(self.view, 1)
        self._debounced = qdebounced(self.refresh, timeout=DEBOUNCE_MS, parent=self)
        self.range_combo.currentIndexChanged.connect(lambda _: self.refresh())
        self.steps_spin.valueChanged.connect(lambda _: self.refresh())
        self.rows_spin.valueChanged.connect(lambda _: self.refresh())
        self.export_button.clicked.connect(lambda: self.export_png())
        session.selection_changed.connect(lambda _: self._debounced())   # off the click's path
        session.snapshot_changed.connect(self._on_snapshot)
        self.refresh()

    def _on_snapshot(self, snap) -> None:
        # A training run sends a snapshot every second; decoding the grid in the GUI thread costs
        # a few ms on an idle machine but far more when the cores are busy, so while the weights
        # move the grid follows the epoch ends (and any click), and every snapshot otherwise.
        if snap is None or snap.final or not self.session.training.running:
            self._debounced()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Decode the traversal for the current point, range and snapshot (skipped while hidden)."""
        from engine import latent_health, posterior_values, prior_values, traverse
        self._debounced.cancel()
        s = self.session
        snap = s.snapshot
        model = s.explore_model
        codes = None if snap is None else snap.codes
        logvars = None if snap is None else getattr(snap, "logvars", None)
        if model is None or codes is None or logvars is None or len(codes) < 2:
            self.traversal = self.point = None
            self.view.set_grid(None)
            self.view.set_placeholder("Train or open a model to see what each latent dimension does")
            self.caption.setText("")
            return
        if not self.isVisible() and self.traversal is not None:
            return                                # refreshed when shown again
        L = model.config.latent_dim
        selected = s.selected
        point = selected if selected is not None and selected.size == L else codes.mean(axis=0).astype(float)
        health = latent_health(codes, logvars)
        steps = self.steps_spin.value()
        key = self.range_combo.currentData()
        values = prior_values(L, steps) if key == "prior" else posterior_values(codes, logvars, steps)
        dims = health.order[:min(self.rows_spin.value(), L)]
        self.traversal = traverse(model, point, values, dims)
        self.point = point
        self.view.set_grid(self.traversal.mosaic, [f"z[{d}] · KL {health.kl[d]:.2f}" for d in dims])
        where = "the selected point" if selected is not None else "the mean of the test codes (click the map to choose a point)"
        self.caption.setText(f"From {where}; {len(dims)} of {L} dimensions, largest KL first")

    def export_png(self, path: str | None = None) -> bool:
        if self.traversal is None:
            self.session.notify("No traversal yet: train or open a model first")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export traversal", "traversal.png", "PNG images (*.png)")
            if not path:
                return False
        ok = save_image_atomically(self.view.render_image(), path)
        self.session.notify(f"Exported the traversal to {path}" if ok else f"Could not write {path}")
        return ok


def save_image_atomically(image: QImage, path: str) -> bool:
    """Write a PNG through QSaveFile: the target appears only complete, or not at all."""
    f = QSaveFile(path)
    if not f.open(QSaveFile.WriteOnly):
        return False
    if not image.save(f, "PNG"):
        f.cancelWriting()
        f.commit()
        return False
    return f.commit()
