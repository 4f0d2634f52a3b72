"""Interpolation controls and the decoded strip: pick two points (or two gallery images),
see the decoded path between their latent codes."""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from .images import ImageWidget


class InterpolationPanel(QWidget):
    """Pick-mode button, steps, clear, and the strip (objectName interpolationStrip)."""

    pick_toggled = pyqtSignal(bool)
    steps_changed = pyqtSignal(int)
    cleared = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        self.pick_button = QPushButton("Pick 2 points", objectName="pickPointsButton", checkable=True)
        self.pick_button.setToolTip("Then click two points on the latent map: the decoded path between them "
                                    "appears below and as a line on the map")
        self.pick_button.toggled.connect(self.pick_toggled)
        self.steps_spin = QSpinBox(objectName="stepsSpin", minimum=2, maximum=30, value=10)
        self.steps_spin.setToolTip("Number of images along the path, both ends included")
        self.steps_spin.valueChanged.connect(self.steps_changed)
        self.clear_button = QPushButton("Clear", objectName="clearPathButton")
        self.clear_button.setToolTip("Remove the path from the map")
        self.clear_button.clicked.connect(self.cleared)
        self.status = QLabel("Pick two map points or two gallery images",
                             objectName="interpolationStatus")
        self.status.setToolTip("Where the path starts and ends")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)   # never widens the dock
        row.addWidget(self.pick_button)
        steps_label = QLabel("Steps")
        steps_label.setToolTip("Number of images along the path")
        row.addWidget(steps_label)
        row.addWidget(self.steps_spin)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.status)
        self.strip = ImageWidget("", min_size=40)
        self.strip.setObjectName("interpolationStrip")
        self.strip.setToolTip("The decoded images along the straight line between the two latent codes")
        self.strip.set_placeholder("The interpolation strip appears here")
        lay.addWidget(self.strip, 1)

    def set_picking(self, on: bool) -> None:
        self.pick_button.blockSignals(True)
        self.pick_button.setChecked(on)
        self.pick_button.blockSignals(False)

    def show_strip(self, strip: np.ndarray | None, text: str) -> None:
        self.strip.set_image(strip)
        self.status.setText(text)
