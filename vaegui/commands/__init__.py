"""The window's File menu work over (session, parent widget): models, folders, exports.

`FileCommands` is what the window and its menus hold (`win.commands`); it composes one object per
job (models.py, folders.py, exports.py) over the one place questions are asked (dialogs.py), and
answers their methods itself so a menu line needs no knowledge of which holds what.
"""
from __future__ import annotations

from PyQt5.QtCore import QObject, QSettings
from PyQt5.QtWidgets import QWidget

from .dialogs import Dialogs
from .exports import ExportCommands, history_rows
from .folders import FolderCommands
from .models import ModelCommands

__all__ = ["FileCommands", "history_rows"]


class FileCommands(QObject):
    """Open / save models, open folders, exports and recent folders for one window.

    confirm: ask before discarding an unsaved model and show warnings in message boxes; with
    False (tests, scripts) every outcome still reaches the status bar.
    """

    def __init__(self, session, parent_widget: QWidget, settings: QSettings, confirm: bool) -> None:
        super().__init__(parent_widget)
        self.session, self.settings = session, settings
        self.dialogs = Dialogs(parent_widget, confirm)
        self.folders = FolderCommands(session, self.dialogs, settings, self)
        self.models = ModelCommands(session, self.dialogs, settings, self.folders, self)
        self.exports = ExportCommands(session, self.dialogs, settings)
        f, m, e = self.folders, self.models, self.exports
        # signals and methods of the parts, answered here (a menu line or a test names one object)
        self.folder_loaded, self.folder_failed, self.recent_changed = f.folder_loaded, f.folder_failed, f.recent_changed
        self.model_saved = m.model_saved
        self.open_model, self.save_model, self.maybe_discard = m.open_model, m.save_model, m.maybe_discard
        self.suggested_name = m.suggested_name
        self.use_mnist, self.open_folder, self.load_folder = f.use_mnist, f.open_folder, f.load_folder
        self.cancel_load, self.recent_folders, self.remember_folder = f.cancel_load, f.recent_folders, f.remember_folder
        self.export_view, self.export_manifold, self.export_history = e.export_view, e.export_manifold, e.export_history
        self.warn = self.dialogs.warn

    @property
    def confirm(self) -> bool:
        return self.dialogs.confirm

    @confirm.setter
    def confirm(self, value: bool) -> None:
        self.dialogs.confirm = value

    @property
    def parent_widget(self) -> QWidget:
        return self.dialogs.parent

    @property
    def busy(self) -> bool:
        """True while a folder loads."""
        return self.folders.busy

    @property
    def last_skipped(self) -> list[tuple[str, str]]:
        """The files the last folder load skipped, and why."""
        return self.folders.last_skipped
