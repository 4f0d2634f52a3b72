"""Latent Lab's main window: it builds the shell (docks, status bar, size and settings) and
nothing else.

State lives in the session (model/), the File menu's work in commands/, the menus in
actions.py, and each panel is a view of the session in its own file under panels/. A new panel
is one file (a QWidget taking the session) plus one line in PANELS below.
"""
from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
from PyQt5.QtCore import QByteArray, QSettings, Qt
from PyQt5.QtWidgets import QApplication, QDockWidget, QMainWindow, QPushButton, QSizePolicy, QTabBar, QWidget

from .actions import Actions
from .app import APP_NAME, ORG_NAME, ensure_app
from .commands import FileCommands
from .model.describe import describe_dataset, load_default_dataset
from .model.session import Session
from .panels.classes import ClassesPanel
from .panels.dims import LatentDimsPanel
from .panels.draw_pad import DrawPadPanel
from .panels.gallery import GalleryPanel
from .panels.health import LatentHealthPanel
from .panels.inspector import ImagePanel
from .panels.interpolation import InterpolationPanel
from .panels.loss_plots import LossPlots
from .panels.map import MapPanel
from .panels.neighbours import NeighboursPanel
from .panels.poke import PokePanel
from .panels.sampling import SamplingPanel
from .panels.timeline import TimelinePanel
from .panels.training import TrainingPanel
from .panels.traversal import TraversalPanel
from .widgets.labels import ElidedLabel

__all__ = ["APP_NAME", "ORG_NAME", "MainWindow", "ensure_app"]

L, R, B = Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea, Qt.BottomDockWidgetArea
# (panel class, dock title, attribute and objectName stem, area[, the panel it shares tabs with]):
# one line per panel
PANELS = [
    (TrainingPanel, "Training", "training", L),
    (LatentDimsPanel, "Latent dimensions", "dims", L),
    (ImagePanel, "Inspector", "inspector", R),
    (DrawPadPanel, "Draw pad", "draw", R),
    (LossPlots, "Loss curves", "loss", B),
    (GalleryPanel, "Gallery", "gallery", B),
    (InterpolationPanel, "Interpolation", "interp", B),
    (PokePanel, "Poke training", "poke", L, "training"),
    (ClassesPanel, "Classes", "classes", L, "dims"),
    (LatentHealthPanel, "Latent health", "health", L, "dims"),
    (TraversalPanel, "Traversals", "traversal", L, "dims"),
    (NeighboursPanel, "Neighbours", "neighbours", L, "dims"),
    (SamplingPanel, "Samples", "samples", L, "dims"),
    (TimelinePanel, "Time-lapse", "timeline", B, "interp"),
]


class MainWindow(QMainWindow):
    """The whole application window.

    Parameters
    ----------
    dataset : engine.Dataset, optional
        Data to start with (default: the bundled MNIST).
    confirm : bool, optional
        Interactive: ask before discarding an unsaved model and show warnings in message boxes
        (default: yes, unless the environment variable LATENT_LAB_NO_CONFIRM=1). With False,
        every outcome still reaches the status bar; tests use that.
    """

    def __init__(self, dataset=None, confirm: bool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        confirm = (os.environ.get("LATENT_LAB_NO_CONFIRM", "") != "1") if confirm is None else confirm
        self.settings = QSettings(ORG_NAME, APP_NAME)
        self.session = Session(self)
        self.commands = FileCommands(self.session, self, self.settings, confirm)
        self.session.set_discard_guard(self.commands.maybe_discard)
        self._close_accepted = False   # the user already agreed to close (do not ask twice)

        self.map_panel = MapPanel(self.session)
        self.setCentralWidget(self.map_panel)
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        for cls, title, name, area, *_ in PANELS:
            self._add_panel(cls(self.session), title, name, area)
        self.splitDockWidget(self.docks["loss"], self.docks["gallery"], Qt.Horizontal)
        self.splitDockWidget(self.docks["gallery"], self.docks["interp"], Qt.Vertical)
        for _, _, name, _, *tab_with in PANELS:
            if tab_with:
                self.tabifyDockWidget(self.docks[tab_with[0]], self.docks[name])
        for first in ("training", "dims", "interp"):
            self.docks[first].raise_()
        for bar in self.findChildren(QTabBar):     # many tabbed panels must not widen the window
            bar.setUsesScrollButtons(True)
            bar.setElideMode(Qt.ElideNone)          # whole titles; the arrows scroll to the rest
        self.setCorner(Qt.BottomLeftCorner, L)
        self.setCorner(Qt.BottomRightCorner, R)
        self.panels["training"].open_folder_requested.connect(self.commands.open_folder)
        self.actions = Actions(self)
        self.recent_menu = self.actions.recent_menu
        self._build_status_bar()
        self._fit_to_screen(1600, 1000)
        self._default_state = None
        self._sized = False
        self._restore_settings()
        if dataset is None:
            dataset = load_default_dataset()
        self.session.add_dataset("MNIST" if dataset.name == "mnist" else dataset.name, dataset, None)
        self.session.notify(f"Ready — {describe_dataset(dataset)}. Press Start to train.")

    # ------------------------------------------------------------------ construction
    def _add_panel(self, panel: QWidget, title: str, name: str, area) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}Dock")
        dock.setWidget(panel)
        self.addDockWidget(area, dock)
        self.docks[name], self.panels[name] = dock, panel

    def _default_dock_sizes(self) -> None:
        """Dock sizes for a first start (and Reset layout): they need the window's real size."""
        w, h = self.width(), self.height()
        d = self.docks
        side = 300 if w >= 1500 else 260
        self.resizeDocks([d["training"], d["inspector"]], [side, side + 10], Qt.Horizontal)
        self.resizeDocks([d["training"], d["dims"]], [int(0.78 * h), int(0.16 * h)], Qt.Vertical)
        self.resizeDocks([d["inspector"], d["draw"]], [int(0.58 * h), int(0.34 * h)], Qt.Vertical)
        self.resizeDocks([d["loss"]], [int(0.33 * h)], Qt.Vertical)
        rest = max(200, w - 2 * side - 10)
        self.resizeDocks([d["loss"], d["gallery"]], [int(0.55 * rest), int(0.45 * rest)], Qt.Horizontal)
        self.resizeDocks([d["gallery"], d["interp"]], [int(0.2 * h), int(0.13 * h)], Qt.Vertical)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._fit_to_screen(self.width(), self.height())   # the docks' minimum sizes are final now
            if not self._restored:
                self._default_dock_sizes()
                self._default_state = self.saveState()

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setVisible(True)
            dock.setFloating(False)
        if self._default_state is not None:
            self.restoreState(self._default_state)
        self._default_dock_sizes()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = ElidedLabel("", objectName="statusLabel")
        self.status_label.set_tip("What happened last")
        sb.addWidget(self.status_label, 1)
        self.details_button = QPushButton("Details…", objectName="skippedDetailsButton")
        self.details_button.setToolTip("List the files of the last folder load that were skipped, and why")
        self.details_button.setFlat(True)
        self.details_button.setVisible(False)
        self.details_button.clicked.connect(self._show_skipped)
        sb.addPermanentWidget(self.details_button)
        self.model_label = ElidedLabel("No model", objectName="modelLabel")
        self.model_label.set_tip("The model the explorer shows, and whether it is saved")
        self.model_label.setMinimumWidth(160)
        self.model_label.setMaximumWidth(420)
        self.model_label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        sb.addPermanentWidget(self.model_label)
        s = self.session
        s.message.connect(self.status_label.setText)
        s.warning.connect(self.commands.warn)
        s.model_changed.connect(lambda _: self._update_model_label())
        s.file_changed.connect(self._update_model_label)
        self.commands.folder_loaded.connect(lambda _: self.details_button.setVisible(bool(self.commands.last_skipped)))
        self.commands.folder_failed.connect(lambda *_: self.details_button.setVisible(bool(self.commands.last_skipped)))

    # ------------------------------------------------------------------ what the session says
    def status_text(self) -> str:
        """The status bar's message: what happened last."""
        return self.status_label.text()

    def _update_model_label(self) -> None:
        s = self.session
        if s.model is None:
            self.model_label.setText("No model")
            self.setWindowTitle(APP_NAME)
            return
        c = s.model.config
        name = Path(s.path).name if s.path else "unsaved model"
        star = " *" if s.dirty else ""
        self.model_label.setText(f"{name}{star} · {c.latent_dim}-D latent · hidden {','.join(map(str, c.hidden))}")
        self.setWindowTitle(f"{APP_NAME} — {name}{star}")

    def _show_skipped(self) -> None:
        from .commands.folder_dialog import SkippedDialog
        SkippedDialog(self.commands.last_skipped, self).exec_()

    # ------------------------------------------------------------------ size and settings
    def available_geometry(self):
        """The primary screen's free area (QRect), or None without a screen."""
        screen = QApplication.primaryScreen()
        return None if screen is None else screen.availableGeometry()

    def _fit_to_screen(self, w: int, h: int) -> None:
        """w x h, or the screen's free area if that is smaller (a layout saved on a larger
        screen must not open with its lower docks and status bar off this one)."""
        free = self.available_geometry()
        if free is not None:
            w, h = min(w, free.width()), min(h, free.height())
            if not free.contains(self.frameGeometry().topLeft()) or self.y() + h > free.bottom() + 1:
                self.move(free.topLeft())
        self.resize(w, h)

    def _restore_settings(self) -> None:
        self._restored = False
        geo = self.settings.value("geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
            self._fit_to_screen(self.width(), self.height())
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restored = self.restoreState(state)

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        s = self.session
        if s.dirty and self.commands.confirm and not self._close_accepted:
            # hold a running run still while asking, so that Save writes the model as it is now
            was_running = s.training.phase == "running"
            if was_running:
                s.pause()
            if not self.commands.maybe_discard("quit"):
                if was_running:
                    s.resume()
                event.ignore()
                return
        self._close_accepted = True
        self.shutdown()
        self._save_settings()
        self._release_plots()
        event.accept()

    def shutdown(self) -> None:
        """Stop training and any folder load or decode, and join their threads."""
        self.session.shutdown()

    def _release_plots(self) -> None:
        """Take the pyqtgraph views apart now, the way pyqtgraph's close() does (scene cleared,
        view detached), while every Python wrapper is alive: left to the C++ destructor of the
        window, their items' Python handlers (LabelItem.resizeEvent) ran on half-deleted
        objects and crashed the process. The window is closed for good at this point."""
        for view in self.findChildren(pg.GraphicsView):
            view.close()
