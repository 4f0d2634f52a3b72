"""Every question the File menu asks, in one place: file choosers, the unsaved-model question,
the "trained on other data" choice and warnings.

With confirm=False (tests, scripts, LATENT_LAB_NO_CONFIRM=1) nothing is asked: the unsaved model
may go, the first offer is taken, and warnings reach only the status bar.
"""
from __future__ import annotations

from PyQt5.QtWidgets import QFileDialog, QMessageBox, QWidget


class Dialogs:
    """The window's questions; `confirm` says whether to ask at all."""

    def __init__(self, parent: QWidget, confirm: bool) -> None:
        self.parent, self.confirm = parent, confirm

    def warn(self, title: str, text: str) -> None:
        """A warning box when interactive; scripted runs rely on the status bar."""
        if self.confirm:
            QMessageBox.warning(self.parent, title, text)

    def save_unsaved(self, what: str) -> str:
        """The unsaved-model question before `what`: "save", "discard" or "cancel"."""
        if not self.confirm:
            return "discard"
        box = QMessageBox(QMessageBox.Question, "Unsaved model",
                          f"The current model has not been saved. Save it before you {what}?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self.parent)
        box.setDefaultButton(QMessageBox.Save)
        answer = box.exec_()
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def choose(self, title: str, text: str, informative: str, offers: list[tuple[str, str]]) -> str | None:
        """offers: [(key, button text)], the last one the destructive "anyway"; a Cancel button is
        added. The key of the button chosen (the first offer when not interactive), or None."""
        box = QMessageBox(QMessageBox.Question, title, text, parent=self.parent)
        buttons = {}
        for i, (key, label) in enumerate(offers):
            role = QMessageBox.DestructiveRole if i == len(offers) - 1 else QMessageBox.AcceptRole
            buttons[box.addButton(label, role)] = key
        box.addButton(QMessageBox.Cancel)
        box.setInformativeText(informative)
        if not self.confirm:                  # scripted use: take the first offer
            return offers[0][0]
        box.exec_()
        return buttons.get(box.clickedButton())

    def save_path(self, title: str, start: str, filters: str) -> tuple[str, str]:
        """(path or "", the filter chosen)."""
        return QFileDialog.getSaveFileName(self.parent, title, start, filters)

    def open_path(self, title: str, start: str, filters: str) -> str:
        return QFileDialog.getOpenFileName(self.parent, title, start, filters)[0]
