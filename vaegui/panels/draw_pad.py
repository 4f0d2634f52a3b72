"""The draw pad panel: a DrawCanvas at the session's image shape, Clear, the pen width and, for
colour models, the pen and background colours (pyqtgraph's ColorButton); the drawing goes to
the session, which encodes it (widgets/draw_canvas.py has the drawing itself).
"""
from __future__ import annotations

import pyqtgraph as pg
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ..widgets.draw_canvas import BACKGROUND_COLOUR, PEN_COLOUR, DrawCanvas
from ..widgets.palette import rgb


class DrawPadPanel(QWidget):
    """DrawCanvas with Clear and a pen-width spin box; the drawing goes to the session."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.canvas = DrawCanvas()
        lay.addWidget(self.canvas, 1)
        row = QHBoxLayout()
        self.clear_button = QPushButton("Clear", objectName="drawClearButton")
        self.clear_button.setToolTip("Erase the drawing")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.width_spin = QSpinBox(objectName="penWidthSpin", minimum=1, maximum=8, value=2)
        self.width_spin.setToolTip("Pen width in image pixels")
        self.width_spin.valueChanged.connect(lambda v: setattr(self.canvas, "pen_width", v * 1.2))
        self.pen_button = pg.ColorButton(color=PEN_COLOUR)
        self.pen_button.setObjectName("penColourButton")
        self.pen_button.setToolTip("Pen colour (colour models)")
        self.pen_button.sigColorChanged.connect(lambda b: self.canvas.set_colours(pen=rgb(b)))
        self.ground_button = pg.ColorButton(color=BACKGROUND_COLOUR)
        self.ground_button.setObjectName("backgroundColourButton")
        self.ground_button.setToolTip("Background colour (colour models); changing it clears the drawing")
        self.ground_button.sigColorChanged.connect(lambda b: self.canvas.set_colours(background=rgb(b)))
        row.addWidget(self.clear_button)
        lbl = QLabel("Pen")
        lbl.setToolTip("Pen width in image pixels")
        row.addWidget(lbl)
        row.addWidget(self.width_spin)
        row.addWidget(self.pen_button)
        row.addWidget(self.ground_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.canvas.drawing_changed.connect(session.set_drawing)
        session.dataset_changed.connect(lambda _: self._fit_shape())
        session.model_changed.connect(lambda _: self._fit_shape())
        self._fit_shape()

    def _fit_shape(self) -> None:
        """A blank canvas at the shape the session's images have now; the colour buttons show
        only for colour images."""
        shape = tuple(self.session.image_shape)
        shape = shape[:2] + ((3,) if shape[2:] == (3,) else ())
        if shape != self.canvas.image_shape or self.session.drawing is None:
            self.canvas.set_image_shape(shape)
        for button in (self.pen_button, self.ground_button):
            button.setVisible(self.canvas.colour)
