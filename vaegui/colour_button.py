"""A button that shows a colour swatch and picks a new colour with QColorDialog."""
from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtGui import QColor, QIcon, QPixmap
from PyQt5.QtWidgets import QColorDialog, QPushButton, QWidget


class ColourButton(QPushButton):
    """`colour()` is an (r, g, b) triple of 0..255; `colour_changed` fires with it."""

    colour_changed = pyqtSignal(tuple)

    def __init__(self, colour: tuple[int, int, int], title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._colour = (0, 0, 0)
        self.setAutoDefault(False)
        self.clicked.connect(self._pick)
        self.set_colour(colour)

    def colour(self) -> tuple[int, int, int]:
        return self._colour

    def set_colour(self, colour: tuple[int, int, int]) -> None:
        colour = tuple(int(c) for c in colour)
        if colour == self._colour and not self.icon().isNull():
            return
        self._colour = colour
        swatch = QPixmap(16, 16)
        swatch.fill(QColor(*colour))
        self.setIcon(QIcon(swatch))
        self.setText("#%02x%02x%02x" % colour)
        self.colour_changed.emit(colour)

    def _pick(self) -> None:
        chosen = QColorDialog.getColor(QColor(*self._colour), self, self._title)
        if chosen.isValid():
            self.set_colour((chosen.red(), chosen.green(), chosen.blue()))
