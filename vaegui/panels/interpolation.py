"""Interpolation controls and the decoded strip: pick two points (or two gallery images),
see the decoded path between their latent codes. A view of the session's path."""
from __future__ import annotations

from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from ..widgets.images import ImageWidget
from ..widgets.labels import ElidedLabel

NO_PATH = "Pick two map points or two gallery images"


class InterpolationPanel(QWidget):
    """Pick-mode button, steps, clear, and the strip (objectName interpolationStrip)."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        self.pick_button = QPushButton("Pick 2 points", objectName="pickPointsButton", checkable=True)
        self.pick_button.setToolTip("Then click two points on the latent map: the decoded path between them "
                                    "appears below and as a line on the map")
        self.pick_button.clicked.connect(session.set_picking)
        self.steps_spin = QSpinBox(objectName="stepsSpin", minimum=2, maximum=30, value=session.path_steps)
        self.steps_spin.setToolTip("Number of images along the path, both ends included")
        self.steps_spin.valueChanged.connect(session.set_path_steps)
        self.clear_button = QPushButton("Clear", objectName="clearPathButton")
        self.clear_button.setToolTip("Remove the path from the map")
        self.clear_button.clicked.connect(lambda: session.set_path(None))
        self.status = ElidedLabel(NO_PATH, objectName="interpolationStatus")
        self.status.set_tip("Where the path starts and ends")
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
        session.path_changed.connect(self._show)
        session.snapshot_changed.connect(lambda _: self._show())

    def _show(self) -> None:
        from engine import interpolate, tile_images
        s = self.session
        self.pick_button.setChecked(s.picking)
        with signals_blocked(self.steps_spin):
            self.steps_spin.setValue(s.path_steps)
        model, ends = s.explore_model, s.path_ends
        if model is None or ends is None or ends[0].z.size != model.config.latent_dim:
            self.strip.set_image(None)
            self.status.setText(NO_PATH if not s.picking else "Click the start point on the map"
                                if not s.picked else "Click the end point on the map")
            return
        codes = interpolate(ends[0].z, ends[1].z, s.path_steps)          # (steps, latent)
        strip = tile_images(model.decode(codes), model.config.image_shape, 1, s.path_steps)
        self.strip.set_image(strip)
        self.status.setText(f"{ends[0].label} → {ends[1].label}, {s.path_steps} steps")
