"""Latent size above 2: which two dimensions the map shows, and where the others are held."""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QComboBox, QFormLayout, QGridLayout, QLabel, QPushButton, QScrollArea,
                             QSlider, QVBoxLayout, QWidget)

SLIDER_RANGE = 4.0   # sliders span [-4, 4]
SLIDER_STEPS = 400


class LatentDimsPanel(QWidget):
    """X / Y dimension choosers and one slider per other dimension."""

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentDimsPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        form = QFormLayout()
        self.x_combo = QComboBox(objectName="xDimCombo")
        self.x_combo.setToolTip("Latent dimension along the map's horizontal axis")
        self.y_combo = QComboBox(objectName="yDimCombo")
        self.y_combo.setToolTip("Latent dimension along the map's vertical axis")
        self.hold_combo = QComboBox(objectName="holdCombo")
        self.hold_combo.addItems(["zero", "last dropped image"])
        self.hold_combo.setToolTip("Where the dimensions not on the map are held: at 0 (the prior's mean) or "
                                   "at the posterior mean of the last image dropped on the map or drawn")
        form.addRow("Horizontal", self.x_combo)
        form.addRow("Vertical", self.y_combo)
        form.addRow("Others at", self.hold_combo)
        for combo in (self.x_combo, self.y_combo, self.hold_combo):
            form.labelForField(combo).setToolTip(combo.toolTip())
        lay.addLayout(form)
        self.reset_button = QPushButton("Reset sliders to 0", objectName="resetSlidersButton")
        self.reset_button.setToolTip("Hold every other dimension at 0")
        self.reset_button.clicked.connect(self._on_reset)
        lay.addWidget(self.reset_button)
        self._slider_host = QWidget()
        self._grid = QGridLayout(self._slider_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setWidget(self._slider_host)
        lay.addWidget(self._scroll, 1)
        self.note = QLabel("", objectName="dimsNote")
        self.note.setToolTip("Why the choosers are disabled for a latent size of 1 or 2")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        lay.addStretch(0)
        self._sliders: dict[int, QSlider] = {}
        self._value_labels: dict[int, QLabel] = {}
        self._base = np.zeros(2)
        self._last_code: np.ndarray | None = None
        self._building = False
        self.x_combo.currentIndexChanged.connect(self._on_dims_changed)
        self.y_combo.currentIndexChanged.connect(self._on_dims_changed)
        self.hold_combo.currentIndexChanged.connect(self._on_hold_changed)
        self.set_latent_dim(2)

    # -- state -------------------------------------------------------------------------
    def set_latent_dim(self, latent_dim: int) -> None:
        self._building = True
        self.latent_dim = latent_dim
        self._base = np.zeros(latent_dim)
        self._last_code = None
        for combo in (self.x_combo, self.y_combo):
            combo.clear()
            combo.addItems([f"z[{i}]" for i in range(latent_dim)])
        self.x_combo.setCurrentIndex(0)
        self.y_combo.setCurrentIndex(min(1, latent_dim - 1))
        enabled = latent_dim > 2
        for w in (self.x_combo, self.y_combo, self.hold_combo, self.reset_button):
            w.setEnabled(enabled)
        self._scroll.setVisible(enabled)
        self.note.setText("" if enabled else
                          "The model has 2 latent dimensions: the map shows all of them."
                          if latent_dim == 2 else "A 1-D latent space is shown against itself.")
        self._building = False
        self._rebuild_sliders()

    def dims(self) -> tuple[int, int]:
        return self.x_combo.currentIndex(), self.y_combo.currentIndex()

    def base(self) -> np.ndarray:
        """(latent_dim,) code whose other dimensions the plane keeps."""
        return self._base.copy()

    def set_last_code(self, mu: np.ndarray) -> None:
        """The posterior mean of the last dropped / drawn image; used when holding at it."""
        self._last_code = np.asarray(mu, float).copy()
        if self.hold_combo.currentIndex() == 1:
            self._set_base(self._last_code)

    # -- internals -----------------------------------------------------------------------
    def _rebuild_sliders(self) -> None:
        while self._grid.count():
            w = self._grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self._sliders.clear()
        self._value_labels.clear()
        dx, dy = self.dims()
        row = 0
        for d in range(self.latent_dim):
            if d in (dx, dy):
                continue
            name = QLabel(f"z[{d}]")
            name.setToolTip(f"Latent dimension {d}, held at the slider's value")
            s = QSlider(Qt.Horizontal, objectName=f"dimSlider{d}", minimum=-SLIDER_STEPS // 2,
                        maximum=SLIDER_STEPS // 2)
            s.setToolTip(f"Value at which latent dimension {d} is held for the map and clicks")
            s.setValue(self._to_slider(self._base[d]))
            val = QLabel(f"{self._base[d]:+.2f}")
            val.setToolTip(f"The value z[{d}] is held at")
            val.setMinimumWidth(44)
            s.valueChanged.connect(lambda v, d=d: self._on_slider(d, v))
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(s, row, 1)
            self._grid.addWidget(val, row, 2)
            self._sliders[d], self._value_labels[d] = s, val
            row += 1

    @staticmethod
    def _to_slider(v: float) -> int:
        return int(round(np.clip(v, -SLIDER_RANGE, SLIDER_RANGE) / SLIDER_RANGE * SLIDER_STEPS / 2))

    def _set_base(self, code: np.ndarray) -> None:
        code = np.asarray(code, float)
        if code.shape == self._base.shape and np.array_equal(code, self._base):
            return                      # unchanged: no redraw (and no feedback loop)
        self._base = code.copy()
        self._building = True
        for d, s in self._sliders.items():
            s.setValue(self._to_slider(self._base[d]))
            self._value_labels[d].setText(f"{self._base[d]:+.2f}")
        self._building = False
        self.changed.emit()

    def _on_slider(self, d: int, v: int) -> None:
        if self._building:
            return
        self._base[d] = v / (SLIDER_STEPS / 2) * SLIDER_RANGE
        self._value_labels[d].setText(f"{self._base[d]:+.2f}")
        self.changed.emit()

    def _on_dims_changed(self) -> None:
        if self._building:
            return
        self._rebuild_sliders()
        self.changed.emit()

    def _on_hold_changed(self, i: int) -> None:
        if i == 1 and self._last_code is not None:
            self._set_base(self._last_code)
        elif i == 0:
            self._set_base(np.zeros(self.latent_dim))

    def _on_reset(self) -> None:
        self.hold_combo.setCurrentIndex(0)
        self._set_base(np.zeros(self.latent_dim))
