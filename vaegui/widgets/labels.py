"""A one-line label that elides its text ("…") instead of clipping it or widening its panel.

superqt's QElidingLabel does the eliding; this adds what the window needs on top: the full text
is always one hover away (the tooltip shows it whenever it does not fit, above what the label
is), and the label never asks for more width than it gets.
"""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt
from PyQt5.QtWidgets import QLabel, QSizePolicy, QWidget
from superqt import QElidingLabel


class ElidedLabel(QElidingLabel):
    """QElidingLabel for plain one-line text whose tooltip shows the full text when elided."""

    def __init__(self, text: str = "", parent: QWidget | None = None, objectName: str = "",  # noqa: N803 (Qt style)
                 elide: Qt.TextElideMode = Qt.ElideRight) -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self._tip = ""
        self.setTextFormat(Qt.PlainText)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setElideMode(elide)
        self.setText(text)

    def set_tip(self, tip: str) -> None:
        """What the label is, shown on hover above the full text when that is elided."""
        self._tip = tip
        self._update_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setText(text)
        self._update_tooltip()

    def is_elided(self) -> bool:
        return QLabel.text(self) != self.text()

    def _update_tooltip(self) -> None:
        if not hasattr(self, "_tip"):
            return                    # QElidingLabel's constructor sets the text before ours runs
        full = self.text()
        if full and self.is_elided():
            self.setToolTip(f"{full}\n\n{self._tip}" if self._tip else full)
        else:
            self.setToolTip(self._tip or full)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """The full text's size (QElidingLabel's is the elided text's: a label laid out by its hint
        would stay as narrow as it was first elided to)."""
        m = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 2 * self.margin() + 2
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(min(self.minimumWidth(), 10) or 10, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._update_tooltip()
