"""Latent size above 2: which two dimensions the map shows, and where the others are held.

Writes the plane into the session (two different dimensions: choosing the other axis's
dimension swaps the two) and where the others are held, and follows the session's plane and
model. Holding at the last input is the session's (`set_hold("input")`): the plane follows an
input or a snapshot itself, before they are announced, so this panel never answers a snapshot
with `set_plane` (the map would draw twice) and only shows the base the session holds.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

HOLD_CHOICES = (("zero", "zero"), ("input", "last dropped image"))

SLIDER_RANGE = 4.0   # sliders span [-4, 4]
SLIDER_STEPS = 400


class LatentDimsPanel(QWidget):
    """X / Y dimension choosers and one slider per other dimension."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("latentDimsPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        form = QFormLayout()
        self.projection_combo = QComboBox(objectName="projectionCombo")
        self.projection_combo.addItem("Slice (2 dims)", "slice")
        self.projection_combo.addItem("PCA projection", "pca")
        self.projection_combo.setToolTip("Slice: the map shows two latent dimensions and holds the others fixed. "
                                         "PCA: the map is the plane through the mean of the test images' codes "
                                         "along their two directions of largest variance; every code is "
                                         "projected onto it, and a point (a, b) decodes mean + a·u1 + b·u2.")
        form.addRow("Map", self.projection_combo)
        self.x_combo = QComboBox(objectName="xDimCombo")
        self.x_combo.setToolTip("Latent dimension along the map's horizontal axis")
        self.y_combo = QComboBox(objectName="yDimCombo")
        self.y_combo.setToolTip("Latent dimension along the map's vertical axis")
        self.hold_combo = QComboBox(objectName="holdCombo")
        for key, text in HOLD_CHOICES:
            self.hold_combo.addItem(text, key)
        self.hold_combo.setToolTip("Where the dimensions not on the map are held: at 0 (the prior's mean) or "
                                   "at the posterior mean of the last image dropped on the map or drawn")
        form.addRow("Horizontal", self.x_combo)
        form.addRow("Vertical", self.y_combo)
        form.addRow("Others at", self.hold_combo)
        for combo in (self.projection_combo, self.x_combo, self.y_combo, self.hold_combo):
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
        self.latent_dim = 0
        self._shown_dims: tuple[int, int] | None = None
        self.x_combo.currentIndexChanged.connect(lambda i: self._on_combo(0, i))
        self.y_combo.currentIndexChanged.connect(lambda i: self._on_combo(1, i))
        self.hold_combo.currentIndexChanged.connect(lambda _: session.set_hold(self.hold_combo.currentData()))
        self.projection_combo.currentIndexChanged.connect(
            lambda _: session.set_projection(self.projection_combo.currentData()))
        session.projection_changed.connect(lambda _: self._rebuild())
        session.model_changed.connect(lambda _: self._rebuild())
        session.plane_changed.connect(self._on_plane_changed)
        session.snapshot_changed.connect(lambda _: self._on_plane_changed())   # a held input's base moved
        session.hold_changed.connect(self._on_hold_changed)
        self._rebuild()

    # -- the session -> the controls ------------------------------------------------------------
    def _rebuild(self) -> None:
        """Combos for the model's latent size (the session has reset the plane)."""
        latent_dim = self.session.latent_dim
        self.latent_dim = latent_dim
        for combo in (self.x_combo, self.y_combo):
            with signals_blocked(combo):
                combo.clear()
                combo.addItems([f"z[{i}]" for i in range(latent_dim)])
        pca = self.session.projection == "pca"
        self.projection_combo.setCurrentIndex(1 if pca else 0)
        self.projection_combo.setEnabled(latent_dim >= 2)
        enabled = latent_dim > 2 and not pca
        for w in (self.x_combo, self.y_combo, self.hold_combo, self.reset_button):
            w.setEnabled(enabled)
        self._scroll.setVisible(enabled)
        self.note.setText("The map is a projection onto the test codes' first two principal components; "
                          "the slice choosers apply to slices only." if pca else "" if enabled else
                          "The model has 2 latent dimensions: the map shows all of them."
                          if latent_dim == 2 else "A 1-D latent space is shown against itself.")
        self._shown_dims = None
        self._on_plane_changed()

    def _on_plane_changed(self) -> None:
        s = self.session
        if s.latent_dim != self.latent_dim:
            return                                   # the model changes next: _rebuild follows
        for combo, d in ((self.x_combo, s.dims[0]), (self.y_combo, s.dims[1])):
            with signals_blocked(combo):
                combo.setCurrentIndex(d)
        if s.dims != self._shown_dims:
            self._rebuild_sliders()
        base = s.base
        if base.size != self.latent_dim:
            return
        for d, slider in self._sliders.items():
            with signals_blocked(slider):
                slider.setValue(self._to_slider(base[d]))
            self._value_labels[d].setText(f"{base[d]:+.2f}")

    def _on_hold_changed(self, hold: str) -> None:
        with signals_blocked(self.hold_combo):
            self.hold_combo.setCurrentIndex(self.hold_combo.findData(hold))

    # -- the controls -> the session ------------------------------------------------------------
    def _on_combo(self, axis: int, index: int) -> None:
        """A dimension chosen for one axis; the other axis's dimension swaps in if they clash."""
        if index < 0:
            return
        dims = list(self.session.dims)
        other = 1 - axis
        if index == dims[other]:
            dims[other] = dims[axis]
        dims[axis] = index
        self.session.set_plane(dims=tuple(dims))

    def _rebuild_sliders(self) -> None:
        while self._grid.count():
            w = self._grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self._sliders.clear()
        self._value_labels.clear()
        dx, dy = self.session.dims
        self._shown_dims = (dx, dy)
        row = 0
        for d in range(self.latent_dim):
            if d in (dx, dy):
                continue
            name = QLabel(f"z[{d}]")
            name.setToolTip(f"Latent dimension {d}, held at the slider's value")
            s = QSlider(Qt.Horizontal, objectName=f"dimSlider{d}", minimum=-SLIDER_STEPS // 2,
                        maximum=SLIDER_STEPS // 2)
            s.setToolTip(f"Value at which latent dimension {d} is held for the map and clicks")
            val = QLabel("+0.00")
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

    def slider_values(self) -> dict[int, float]:
        """{dimension: held value} as the sliders show them."""
        return {d: s.value() / (SLIDER_STEPS / 2) * SLIDER_RANGE for d, s in self._sliders.items()}

    def _on_slider(self, d: int, v: int) -> None:
        base = self.session.base
        base[d] = v / (SLIDER_STEPS / 2) * SLIDER_RANGE
        self.session.set_plane(base=base)

    def _on_reset(self) -> None:
        self.session.set_hold("zero")           # and the plane through 0
        self.session.set_plane(base=np.zeros(self.latent_dim))
