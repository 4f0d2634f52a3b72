"""A one-line label that elides its text ("…") instead of clipping it or widening its panel.

The full text is always one hover away: the tooltip shows it whenever it does not fit.
"""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QPainter
from PyQt5.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """QLabel for plain one-line text that never asks for more width than it gets."""

    def __init__(self, text: str = "", parent: QWidget | None = None, objectName: str = "",  # noqa: N803 (Qt style)
                 elide: Qt.TextElideMode = Qt.ElideRight) -> None:
        super().__init__(text, parent)
        if objectName:
            self.setObjectName(objectName)
        self._elide = elide
        self._tip = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setTextFormat(Qt.PlainText)

    def set_tip(self, tip: str) -> None:
        """What the label is, shown on hover above the full text when that is elided."""
        self._tip = tip
        self._update_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setText(text)
        self._update_tooltip()

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def _update_tooltip(self) -> None:
        full = self.text()
        if full and self.is_elided():
            self.setToolTip(f"{full}\n\n{self._tip}" if self._tip else full)
        else:
            self.setToolTip(self._tip or full)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(min(self.minimumWidth(), 10) or 10, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), self._elide, rect.width())
        p.setPen(self.palette().windowText().color())
        p.drawText(rect, int(self.alignment()) | Qt.TextSingleLine, text)
        p.end()
