"""Latent Lab's main window: docks around the latent map, menus, status bar, settings.

MainWindow wires the panels together; the training run lives in TrainingController (a worker
thread), the latent-map logic in Explorer, data-folder loading in FolderLoader. The window
itself does no maths and no training work.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QByteArray, QSettings, Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (QAction, QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox,
                             QPushButton, QScrollArea, QWidget)

from .data_sets import DataSetsMixin, describe_dataset, load_default_dataset
from .dims_panel import LatentDimsPanel
from .draw_pad import DrawPadPanel
from .explorer import Explorer, MapWidget, scatter_subset
from .exports import ExportsMixin
from .folder_dialog import FolderLoader
from .gallery import GalleryPanel
from .image_panel import ImagePanel
from .interpolation import InterpolationPanel
from .loss_plots import LossPlots
from .model_files import ModelFilesMixin
from .training_controller import TrainingController
from .training_panel import TrainingPanel

APP_NAME = "Latent Lab"
ORG_NAME = "LatentLab"


class MainWindow(DataSetsMixin, ModelFilesMixin, ExportsMixin, QMainWindow):
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

    training_finished = pyqtSignal(str)
    dataset_changed = pyqtSignal()
    model_changed = pyqtSignal()

    def __init__(self, dataset=None, confirm: bool | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.confirm = (os.environ.get("LATENT_LAB_NO_CONFIRM", "") != "1") if confirm is None else confirm
        self.settings = QSettings(ORG_NAME, APP_NAME)
        self.model = None            # the model being trained or explored
        self.trainer = None          # its Trainer (None for a model opened from a file)
        self.model_file = None       # the ModelFile it was opened from, if any
        self.model_path: str | None = None
        self.dirty = False           # trained since last save
        self.scatter_updates = 0
        self.epochs_received = 0
        self._datasets: list[tuple[str, object, str | None]] = []   # (label, Dataset, folder path)
        self.dataset = None
        self._close_accepted = False   # the user already agreed to close (do not ask twice)
        self._pending_model = None     # (ModelFile, path) waiting for its data folder to load
        self._last_skipped: list = []

        self._build_panels()
        self._build_docks()
        self._build_actions()
        self._build_status_bar()
        self.training = TrainingController(self)
        self.explorer.manifold_params_changed.connect(self.training.set_manifold_params)
        self._connect_training()
        self.folders = FolderLoader(self)
        self.folders.loaded.connect(self._on_folder_loaded)
        self.folders.failed.connect(self._on_folder_failed)
        self._fit_to_screen(1600, 1000)
        self._restore_settings()
        if dataset is None:
            dataset = load_default_dataset()
        self.add_dataset("MNIST" if dataset.name == "mnist" else dataset.name, dataset, None)
        self.show_status(f"Ready — {describe_dataset(dataset)}. Press Start to train.")

    # ------------------------------------------------------------------ construction
    def _build_panels(self) -> None:
        self.panel = TrainingPanel()
        self.loss_plots = LossPlots()
        self.map = MapWidget()
        self.image_panel = ImagePanel()
        self.gallery_panel = GalleryPanel()
        self.interp_panel = InterpolationPanel()
        self.draw_panel = DrawPadPanel()
        self.dims_panel = LatentDimsPanel()
        self.explorer = Explorer(self.map, self.image_panel, self.gallery_panel, self.interp_panel,
                                 self.draw_panel, self.dims_panel)
        self.explorer.status.connect(self.show_status)
        self.setCentralWidget(self.map)
        self.panel.start_requested.connect(self.start_training)
        self.panel.pause_toggled.connect(self._on_pause_toggled)
        self.panel.stop_requested.connect(self.stop_training)
        self.panel.dataset_selected.connect(self._on_dataset_selected)
        self.panel.open_folder_requested.connect(self.open_folder)

    # convenient names for tests and scripts
    @property
    def latent_view(self):
        return self.map.view

    @property
    def gallery(self):
        return self.gallery_panel.list

    @property
    def draw_pad(self):
        return self.draw_panel.canvas

    def _dock(self, title: str, name: str, widget: QWidget, area, scroll: bool = False) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            sa = QScrollArea()
            sa.setWidgetResizable(True)
            sa.setWidget(widget)
            sa.setFrameShape(QScrollArea.NoFrame)
            widget = sa
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        self.dock_training = self._dock("Training", "trainingDock", self.panel, Qt.LeftDockWidgetArea, True)
        self.dock_dims = self._dock("Latent dimensions", "dimsDock", self.dims_panel, Qt.LeftDockWidgetArea)
        self.dock_inspector = self._dock("Inspector", "inspectorDock", self.image_panel, Qt.RightDockWidgetArea)
        self.dock_draw = self._dock("Draw pad", "drawDock", self.draw_panel, Qt.RightDockWidgetArea)
        self.dock_losses = self._dock("Loss curves", "lossDock", self.loss_plots, Qt.BottomDockWidgetArea)
        self.dock_gallery = self._dock("Gallery", "galleryDock", self.gallery_panel, Qt.BottomDockWidgetArea)
        self.dock_interp = self._dock("Interpolation", "interpDock", self.interp_panel, Qt.BottomDockWidgetArea)
        self.splitDockWidget(self.dock_losses, self.dock_gallery, Qt.Horizontal)
        self.splitDockWidget(self.dock_gallery, self.dock_interp, Qt.Vertical)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self._default_state = None
        self._sized = False

    def _default_dock_sizes(self) -> None:
        """Dock sizes for a first start (and Reset layout): they need the window's real size."""
        w = self.width()
        self.resizeDocks([self.dock_training, self.dock_inspector], [300, 310], Qt.Horizontal)
        self.resizeDocks([self.dock_training, self.dock_dims], [700, 160], Qt.Vertical)
        self.resizeDocks([self.dock_inspector, self.dock_draw], [560, 340], Qt.Vertical)
        self.resizeDocks([self.dock_losses], [330], Qt.Vertical)
        self.resizeDocks([self.dock_losses, self.dock_gallery], [int(0.55 * (w - 610)), int(0.45 * (w - 610))],
                         Qt.Horizontal)
        self.resizeDocks([self.dock_gallery, self.dock_interp], [200, 130], Qt.Vertical)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._restored:
                self._default_dock_sizes()
                self._default_state = self.saveState()

    def reset_layout(self) -> None:
        for d in self.findChildren(QDockWidget):
            d.setVisible(True)
            d.setFloating(False)
        if self._default_state is not None:
            self.restoreState(self._default_state)
        self._default_dock_sizes()

    def _action(self, text: str, slot, shortcut=None, tip: str = "", name: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setToolTip(tip or text)
        a.setStatusTip(tip or text)
        if name:
            a.setObjectName(name)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        f.setToolTipsVisible(True)
        self.open_model_action = self._action("&Open model…", self.open_model, QKeySequence.Open,
                                              "Open a saved model (.npz)", "openModelAction")
        self.save_model_action = self._action("&Save model", self.save_model, QKeySequence.Save,
                                              "Save the current model", "saveModelAction")
        self.save_as_action = self._action("Save model &as…", lambda: self.save_model(ask=True),
                                           "Ctrl+Shift+S", "Save the current model under a new name", "saveAsAction")
        self.open_folder_action = self._action("Open &folder…", self.open_folder, "Ctrl+Shift+O",
                                               "Load a folder of your images as a data set", "openFolderAction")
        self.use_mnist_action = self._action("Use &MNIST", self.use_mnist, None,
                                             "Switch back to the bundled MNIST", "useMnistAction")
        for a in (self.open_model_action, self.save_model_action, self.save_as_action):
            f.addAction(a)
        f.addSeparator()
        f.addAction(self.open_folder_action)
        self.recent_menu = f.addMenu("Recent folders")
        self.recent_menu.setToolTipsVisible(True)
        f.addAction(self.use_mnist_action)
        f.addSeparator()
        self.export_view_action = self._action("Export view as PNG…", self.export_view, None,
                                               "Save the latent map as shown as a PNG", "exportViewAction")
        self.export_manifold_action = self._action("Export manifold as PNG…", self.export_manifold, None,
                                                   "Save the decoded manifold mosaic at full resolution",
                                                   "exportManifoldAction")
        self.export_csv_action = self._action("Export loss history as CSV…", self.export_history, None,
                                              "Save the per-epoch losses as a CSV file", "exportCsvAction")
        for a in (self.export_view_action, self.export_manifold_action, self.export_csv_action):
            f.addAction(a)
        f.addSeparator()
        f.addAction(self._action("&Quit", self.close, QKeySequence.Quit, "Close Latent Lab", "quitAction"))
        t = mb.addMenu("&Training")
        t.setToolTipsVisible(True)
        t.addAction(self._action("&Start", self.start_training, "Ctrl+Return", "Train a new model", "startAction"))
        t.addAction(self._action("&Pause / Resume", self.panel.pause_button.click, "Ctrl+P",
                                 "Pause or resume the current run", "pauseAction"))
        t.addAction(self._action("S&top", self.stop_training, "Ctrl+.", "Stop the current run", "stopAction"))
        v = mb.addMenu("&View")
        v.setToolTipsVisible(True)
        for d in (self.dock_training, self.dock_dims, self.dock_inspector, self.dock_draw, self.dock_losses,
                  self.dock_gallery, self.dock_interp):
            a = d.toggleViewAction()
            a.setToolTip(f"Show or hide the {d.windowTitle()} panel")
            a.setStatusTip(a.toolTip())
            v.addAction(a)
        v.addSeparator()
        v.addAction(self._action("Reset layout", self.reset_layout, None,
                                 "Put every panel back where it started", "resetLayoutAction"))
        h = mb.addMenu("&Help")
        h.addAction(self._action("&About Latent Lab", self._about, None, "About this program", "aboutAction"))
        self._refresh_recent_menu()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = QLabel("", objectName="statusLabel")
        self.status_label.setToolTip("What happened last")
        sb.addWidget(self.status_label, 1)
        self.details_button = QPushButton("Details…", objectName="skippedDetailsButton")
        self.details_button.setToolTip("List the files of the last folder load that were skipped, and why")
        self.details_button.setFlat(True)
        self.details_button.setVisible(False)
        self.details_button.clicked.connect(self._show_skipped)
        sb.addPermanentWidget(self.details_button)
        self.model_label = QLabel("No model", objectName="modelLabel")
        self.model_label.setToolTip("The model the explorer shows, and whether it is saved")
        sb.addPermanentWidget(self.model_label)

    def _update_map_info(self) -> None:
        """The map's corner note: which model it shows, and whether it fits the data set."""
        if self.model is None:
            self.map.info.setText("")
            return
        h, w = self.model.config.image_shape
        text = f"{self.model.config.latent_dim}-D latent · {w}×{h} images"
        if self.dataset is not None and tuple(self.dataset.image_shape) != (h, w):
            dh, dw = self.dataset.image_shape
            text += f" — the data set has {dw}×{dh} images: Start trains a model for it"
        self.map.info.setText(text)

    def show_status(self, text: str) -> None:
        """The status bar's message: what happened last."""
        self.status_label.setText(text)

    def status_text(self) -> str:
        return self.status_label.text()

    def _update_model_label(self) -> None:
        self._update_map_info()
        if self.model is None:
            self.model_label.setText("No model")
            return
        c = self.model.config
        name = Path(self.model_path).name if self.model_path else "unsaved model"
        star = " *" if self.dirty else ""
        self.model_label.setText(f"{name}{star} · {c.latent_dim}-D latent · hidden {','.join(map(str, c.hidden))}")
        self.setWindowTitle(f"{APP_NAME} — {name}{star}")

    def _fit_to_screen(self, w: int, h: int) -> None:
        """First start: w x h, or the screen's free area if that is smaller."""
        screen = QApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    def _restore_settings(self) -> None:
        self._restored = False
        geo = self.settings.value("geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restored = self.restoreState(state)

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()

    # ------------------------------------------------------------------ training
    def _connect_training(self) -> None:
        tc = self.training
        tc.started.connect(self._on_run_started)
        tc.batches.connect(self._on_batches)
        tc.epoch_done.connect(self._on_epoch_done)
        tc.scatter_ready.connect(self._on_scatter)
        tc.paused.connect(self._on_paused)
        tc.failed.connect(self._on_failed)
        tc.finished.connect(self._on_finished)

    def start_training(self) -> None:
        """Start: a new model with the panel's settings, or more epochs of the current one."""
        from engine import VAE, EngineError, Trainer
        if self.training.running:
            return
        continue_run = self.panel.continue_check.isChecked() and self.model is not None
        if not continue_run and not self._maybe_discard("start a new model"):
            return
        try:
            tcfg = self.panel.train_config()
            if continue_run:
                trainer = self._continuing_trainer(tcfg)
            else:
                vcfg = self.panel.vae_config(self.dataset.image_shape)
                model = VAE(vcfg, seed=tcfg.seed)
                trainer = Trainer(model, self.dataset, tcfg)
        except (ValueError, EngineError) as exc:
            self.show_status(f"Cannot start: {exc}")
            self._warn("Cannot start training", str(exc))
            return
        self.trainer, self.model = trainer, trainer.model
        if not continue_run:
            self.model_file, self.model_path = None, None
            self.loss_plots.clear()
            self.explorer.set_dataset(self.dataset)
        self.epochs_received = 0
        self.scatter_updates = 0
        self.explorer.set_model(self.model.copy(), reset=not continue_run)
        x, y = scatter_subset(self.dataset)
        self.panel.set_running(True)
        self._set_file_actions(False)
        self.training.start(trainer, x, y)

    def _continuing_trainer(self, tcfg):
        from engine import ConfigError, TrainConfig, Trainer
        if self.model.config.image_shape != tuple(self.dataset.image_shape):
            raise ConfigError("the current model does not match this data set's image size")
        if self.trainer is not None and self.trainer.data is self.dataset:
            keep = self.trainer.config.to_dict()
            keep["epochs"] = tcfg.epochs
            self.trainer.config = TrainConfig(**keep)
            return self.trainer
        if self.model_file is not None:
            return Trainer.resume(self.model_file, self.dataset, epochs=tcfg.epochs)
        prev = self.trainer
        return Trainer(self.model, self.dataset, tcfg, history=prev.history if prev else None,
                       epochs_done=prev.epochs_done if prev else 0)

    def _on_run_started(self, first: int, last: int, batches: int) -> None:
        self.panel.begin_run(first, last, batches)
        self.loss_plots.begin_run(first, last)
        self.show_status(f"Training epochs {first}–{last} on {self._datasets[self.panel.dataset_combo.currentIndex()][0]}…")

    def _on_batches(self, report, chunk: np.ndarray) -> None:
        self.loss_plots.add_batches(chunk)
        self.panel.show_progress(report)
        if not self.dirty:
            self.dirty = True
            self._update_model_label()

    def _on_epoch_done(self, r) -> None:
        self.epochs_received += 1
        self.loss_plots.add_epoch(r)
        self.show_status(f"Epoch {r.epoch}/{r.epochs} — test loss {r.test_loss:.1f} "
                         f"(recon {r.recon:.1f} + KL {r.kl:.2f}), {r.epoch_seconds:.1f} s")

    def _on_scatter(self, payload) -> None:
        """A fresh snapshot and scatter from the worker. The manifold is re-decoded at epoch
        ends (and on pause) only: mid-epoch refreshes move the points, which is cheap."""
        self.scatter_updates += 1
        self.explorer.set_model(payload.model, refresh_manifold=payload.final or self.training.is_paused,
                                mosaic=payload.mosaic, mosaic_params=payload.mosaic_params)
        self.explorer.set_scatter(payload.mu, payload.labels)

    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.training.pause()
            self.show_status("Pausing after this batch…")
        else:
            self.training.resume()
            self.show_status("Training resumed")
        self.panel.set_paused_text(paused)

    def _on_paused(self) -> None:
        if self.panel.pause_button.isChecked():      # not the brief hold of a save
            self.show_status("Paused — the explorer shows the model as it is now; press Resume to go on")

    def stop_training(self) -> None:
        if self.training.running:
            self.training.stop()
            self.show_status("Stopping after this batch…")

    def _on_failed(self, message: str) -> None:
        self.show_status(message)
        self._warn("Training stopped", message)

    def _on_finished(self, outcome: str) -> None:
        trainer = self.trainer
        self.loss_plots.flush()
        self.explorer.set_model(self.model)         # the worker has let go: explore the live model
        if self.scatter_updates == 0 or outcome in ("diverged", "error"):
            self.explorer.compute_scatter()         # else the worker's last scatter is of these weights
        last = trainer.history[-1] if trainer.history else None
        loss = f", test loss {last.test_loss:.1f}" if last else ""
        epochs = f"{trainer.epochs_done} epoch{'s' if trainer.epochs_done != 1 else ''}"
        text = {"completed": f"Training complete — {epochs}{loss}",
                "stopped": f"Stopped with {epochs} complete{loss} — the model keeps what it learnt",
                "diverged": "Training diverged — the model keeps its last good weights",
                "error": "Training failed"}.get(outcome, outcome)
        self.panel.end_run(text.split(" — ")[0])
        self._set_file_actions(True)
        self.panel.continue_check.setEnabled(True)
        self.show_status(text)
        self._update_model_label()
        self.model_changed.emit()
        self.training_finished.emit(outcome)

    def _set_file_actions(self, enabled: bool) -> None:
        for a in (self.open_model_action, self.open_folder_action, self.use_mnist_action):
            a.setEnabled(enabled)

    def _warn(self, title: str, text: str) -> None:
        """A warning box when interactive (confirm=True); scripted runs rely on the status bar."""
        if self.confirm:
            QMessageBox.warning(self, title, text)

    def _about(self) -> None:
        QMessageBox.about(self, "About Latent Lab",
                          "<b>Latent Lab</b><p>Train variational autoencoders (NumPy) and explore their "
                          "latent space: manifold, posteriors, interpolation and a draw pad.</p>")

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self.dirty and self.confirm and not self._close_accepted:
            # hold a running run still while asking, so that Save writes the model as it is now
            paused_here = self.training.running and not self.training.is_paused
            if paused_here:
                self.panel.pause_button.setChecked(True)
            if not self._maybe_discard("quit"):
                if paused_here and self.training.running:
                    self.panel.pause_button.setChecked(False)
                event.ignore()
                return
        self._close_accepted = True
        self.shutdown()
        self._save_settings()
        event.accept()

    def shutdown(self) -> None:
        """Stop training and any folder load, and join their threads."""
        self.training.shutdown()
        self.folders.shutdown()


def ensure_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), with the names QSettings uses."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [APP_NAME])
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    return app
