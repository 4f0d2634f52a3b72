"""The window's menus and shortcuts: File, Training, View and Help.

Each action calls the session or the file commands; none reaches into a panel's widgets (the
exports take the map panel's view and mosaic, which is what they write). Actions that would
change the data or the model under a run are disabled while it trains.
"""
from __future__ import annotations

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QMainWindow, QMessageBox


def toggle_pause(session) -> None:
    """Pause a running run, or resume a paused (or pausing) one."""
    if session.training.phase in ("pausing", "paused"):
        session.resume()
    else:
        session.pause()


class Actions:
    """Builds the menu bar of `window` (a MainWindow with session, commands, docks, map_panel)."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        w, c, s = window, window.commands, window.session
        mb = w.menuBar()
        f = mb.addMenu("&File")
        f.setToolTipsVisible(True)
        self.file_actions = [
            self.action("&Open model…", lambda: c.open_model(), QKeySequence.Open,
                        "Open a saved model (.npz or .safetensors)", "openModelAction"),
            self.action("&Save model", lambda: c.save_model(), QKeySequence.Save,
                        "Save the current model", "saveModelAction"),
            self.action("Save model &as…", lambda: c.save_model(ask=True), "Ctrl+Shift+S",
                        "Save the current model under a new name", "saveAsAction")]
        for a in self.file_actions:
            f.addAction(a)
        f.addSeparator()
        self.open_folder_action = self.action("Open &folder…", lambda: c.open_folder(), "Ctrl+Shift+O",
                                              "Load a folder of your images as a data set", "openFolderAction")
        f.addAction(self.open_folder_action)
        self.recent_menu = f.addMenu("Recent folders")
        self.recent_menu.setToolTipsVisible(True)
        self.use_mnist_action = self.action("Use &MNIST", c.use_mnist, None,
                                            "Switch back to the bundled MNIST", "useMnistAction")
        f.addAction(self.use_mnist_action)
        f.addSeparator()
        for a in (self.action("Export view as PNG…", lambda: c.export_view(w.map_panel.view), None,
                              "Save the latent map as shown as a PNG", "exportViewAction"),
                  self.action("Export manifold as PNG…", lambda: c.export_manifold(w.map_panel.mosaic), None,
                              "Save the decoded manifold mosaic at full resolution", "exportManifoldAction"),
                  self.action("Export loss history as CSV…", lambda: c.export_history(), None,
                              "Save the per-epoch losses as a CSV file", "exportCsvAction")):
            f.addAction(a)
        f.addSeparator()
        f.addAction(self.action("&Quit", w.close, QKeySequence.Quit, "Close Latent Lab", "quitAction"))
        t = mb.addMenu("&Training")
        t.setToolTipsVisible(True)
        t.addAction(self.action("&Start", s.start, "Ctrl+Return", "Train a new model", "startAction"))
        t.addAction(self.action("&Pause / Resume", lambda: toggle_pause(s), "Ctrl+P",
                                "Pause or resume the current run", "pauseAction"))
        t.addAction(self.action("S&top", s.stop, "Ctrl+.", "Stop the current run", "stopAction"))
        v = mb.addMenu("&View")
        v.setToolTipsVisible(True)
        for dock in w.docks.values():
            a = dock.toggleViewAction()
            a.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
            a.setStatusTip(a.toolTip())
            v.addAction(a)
        v.addSeparator()
        v.addAction(self.action("Reset layout", w.reset_layout, None,
                                "Put every panel back where it started", "resetLayoutAction"))
        h = mb.addMenu("&Help")
        h.addAction(self.action("&About Latent Lab", self.about, None, "About this program", "aboutAction"))
        c.recent_changed.connect(self.refresh_recent_menu)
        s.training_changed.connect(self._on_training_changed)
        self.refresh_recent_menu()

    def action(self, text: str, slot, shortcut=None, tip: str = "", name: str = "") -> QAction:
        a = QAction(text, self.window)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setToolTip(tip or text)
        a.setStatusTip(tip or text)
        if name:
            a.setObjectName(name)
        a.triggered.connect(slot)
        self.window.addAction(a)
        return a

    def _on_training_changed(self, state) -> None:
        for a in (self.file_actions[0], self.open_folder_action, self.use_mnist_action, self.recent_menu.menuAction()):
            a.setEnabled(not state.running)

    def refresh_recent_menu(self) -> None:
        c = self.window.commands
        self.recent_menu.clear()
        rec = c.recent_folders()
        for p in rec:
            a = self.recent_menu.addAction(p, lambda p=p: c.open_folder(p))
            a.setToolTip(f"Open {p} again")
        self.recent_menu.setEnabled(bool(rec))

    def about(self) -> None:
        QMessageBox.about(self.window, "About Latent Lab",
                          "<b>Latent Lab</b><p>Train variational autoencoders (NumPy) and explore their "
                          "latent space: manifold, posteriors, interpolation and a draw pad.</p>")
