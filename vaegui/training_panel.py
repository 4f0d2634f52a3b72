"""The training panel: data set, architecture and optimiser settings, Start / Pause / Stop and progress.

The panel only collects settings and shows progress; MainWindow builds the model and the
worker from `vae_config()` / `train_config()` when `start_requested` fires.
"""
from __future__ import annotations

import time

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                             QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout,
                             QWidget)

DEFAULT_EPOCHS = 20       # a full MNIST run of the default model takes about a minute here (~2.5-3 s an epoch)
DEFAULT_HIDDEN = "400"


def parse_hidden(text: str) -> tuple[int, ...]:
    """'512, 256' -> (512, 256); raises ValueError with a readable message."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("give at least one hidden layer size, e.g. 400 or 512,256")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden layer sizes must be whole numbers, got {text!r}") from None
    if any(s < 1 or s > 8192 for s in sizes):
        raise ValueError("hidden layer sizes must lie between 1 and 8192")
    return sizes


def format_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class TrainingPanel(QWidget):
    """Settings and controls for one training run."""

    start_requested = pyqtSignal()
    pause_toggled = pyqtSignal(bool)          # True = pause, False = resume
    stop_requested = pyqtSignal()
    dataset_selected = pyqtSignal(int)        # index in the dataset combo
    open_folder_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        outer = QVBoxLayout(self)

        data_box = QGroupBox("Data")
        dl = QVBoxLayout(data_box)
        self.dataset_combo = QComboBox(objectName="datasetCombo")
        self.dataset_combo.setToolTip("The data set to train on and explore: the bundled MNIST or a folder you loaded")
        self.dataset_combo.activated.connect(self.dataset_selected)
        self.open_folder_button = QPushButton("Open folder…", objectName="openFolderButton")
        self.open_folder_button.setToolTip("Load a folder of your own images as a data set (Ctrl+Shift+O)")
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        row = QHBoxLayout()
        row.addWidget(self.dataset_combo, 1)
        row.addWidget(self.open_folder_button)
        dl.addLayout(row)
        self.dataset_info = QLabel("", objectName="datasetInfo")
        self.dataset_info.setWordWrap(True)
        self.dataset_info.setToolTip("Size, image shape and labels of the current data set")
        dl.addWidget(self.dataset_info)
        outer.addWidget(data_box)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.hidden_edit = QLineEdit(DEFAULT_HIDDEN, objectName="hiddenEdit")
        self.hidden_edit.setToolTip("Encoder hidden layer sizes, input side first, e.g. 400 or 512,256; "
                                    "the decoder mirrors them")
        form.addRow("Hidden layers", self.hidden_edit)
        self.latent_spin = QSpinBox(objectName="latentSpin", minimum=1, maximum=64, value=2)
        self.latent_spin.setToolTip("Size of the latent code z (2 gives a map you can read directly)")
        form.addRow("Latent size", self.latent_spin)
        self.likelihood_combo = QComboBox(objectName="likelihoodCombo")
        self.likelihood_combo.addItems(["bernoulli", "gaussian"])
        self.likelihood_combo.setToolTip("Pixel likelihood p(x|z): Bernoulli (binary cross-entropy) or "
                                         "Gaussian with a learnt per-pixel variance")
        form.addRow("Likelihood", self.likelihood_combo)
        outer.addWidget(model_box)

        train_box = QGroupBox("Training")
        tf = QFormLayout(train_box)
        self.epochs_spin = QSpinBox(objectName="epochsSpin", minimum=1, maximum=1000, value=DEFAULT_EPOCHS)
        self.epochs_spin.setToolTip(f"Passes over the training set (default {DEFAULT_EPOCHS}: about a minute on MNIST)")
        tf.addRow("Epochs", self.epochs_spin)
        self.batch_spin = QSpinBox(objectName="batchSpin", minimum=1, maximum=8192, value=128)
        self.batch_spin.setToolTip("Images per gradient step")
        tf.addRow("Batch size", self.batch_spin)
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin", decimals=5, minimum=0.00001, maximum=1.0,
                                      singleStep=0.0005, value=0.001)
        self.lr_spin.setToolTip("Adam learning rate")
        tf.addRow("Learning rate", self.lr_spin)
        self.beta_spin = QDoubleSpinBox(objectName="betaSpin", decimals=2, minimum=0.0, maximum=100.0,
                                        singleStep=0.1, value=1.0)
        self.beta_spin.setToolTip("Weight of the KL term (1 = the ELBO; >1 = beta-VAE)")
        tf.addRow("Beta", self.beta_spin)
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1, value=0)
        self.seed_spin.setToolTip("Random seed for the initial weights, shuffling and z samples")
        tf.addRow("Seed", self.seed_spin)
        outer.addWidget(train_box)
        for f in (form, tf):             # hovering a field's name explains it too
            for row in range(f.rowCount()):
                label, field = f.itemAt(row, QFormLayout.LabelRole), f.itemAt(row, QFormLayout.FieldRole)
                if label is not None and field is not None:
                    label.widget().setToolTip(field.widget().toolTip())

        self.continue_check = QCheckBox("Continue the current model", objectName="continueCheck", enabled=False)
        self.continue_check.setToolTip("Start trains the current model for more epochs (same architecture, "
                                       "optimizer state kept) instead of a new one")
        outer.addWidget(self.continue_check)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start", objectName="startButton")
        self.start_button.setToolTip("Train a new model with these settings")
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button = QPushButton("Pause", objectName="pauseButton", checkable=True, enabled=False)
        self.pause_button.setToolTip("Pause training after the current batch (the explorer works while paused); "
                                     "press again to resume")
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button = QPushButton("Stop", objectName="stopButton", enabled=False)
        self.stop_button.setToolTip("End training now; the model keeps what it has learnt so far")
        self.stop_button.clicked.connect(self.stop_requested)
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        outer.addLayout(buttons)

        self.progress_bar = QProgressBar(objectName="progressBar", minimum=0, maximum=1, value=0)
        self.progress_bar.setToolTip("Progress of the current run: epoch and batch")
        self.progress_bar.setFormat("Ready")
        outer.addWidget(self.progress_bar)
        self.progress_label = QLabel("", objectName="progressLabel")
        self.progress_label.setToolTip("Training speed and estimated time left")
        outer.addWidget(self.progress_label)
        outer.addStretch(1)
        self._run_first_epoch = 1
        self._t0 = time.perf_counter()
        self._paused_at: float | None = None

    # -- settings ----------------------------------------------------------------------
    def hidden_sizes(self) -> tuple[int, ...]:
        return parse_hidden(self.hidden_edit.text())

    def vae_config(self, image_shape: tuple[int, int]):
        """The VAEConfig for these settings; raises ValueError / ConfigError on bad input."""
        from engine import VAEConfig
        return VAEConfig(image_shape=tuple(image_shape), hidden=self.hidden_sizes(),
                         latent_dim=self.latent_spin.value(), likelihood=self.likelihood_combo.currentText())

    def train_config(self):
        from engine import TrainConfig
        return TrainConfig(epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(),
                           lr=self.lr_spin.value(), beta=self.beta_spin.value(), seed=self.seed_spin.value())

    def show_config(self, vae_config, train_config=None) -> None:
        """Fill the controls from a loaded model's settings."""
        self.hidden_edit.setText(",".join(str(h) for h in vae_config.hidden))
        self.latent_spin.setValue(vae_config.latent_dim)
        self.likelihood_combo.setCurrentText(vae_config.likelihood)
        if train_config is not None:
            self.batch_spin.setValue(train_config.batch_size)
            self.lr_spin.setValue(train_config.lr)
            self.beta_spin.setValue(train_config.beta)
            self.seed_spin.setValue(train_config.seed)

    # -- state ---------------------------------------------------------------------------
    def _on_pause_toggled(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self.pause_toggled.emit(checked)

    def set_running(self, running: bool) -> None:
        """Enable the controls that make sense while a run is (not) in progress."""
        for w in (self.start_button, self.dataset_combo, self.open_folder_button, self.hidden_edit,
                  self.latent_spin, self.likelihood_combo, self.epochs_spin, self.batch_spin,
                  self.lr_spin, self.beta_spin, self.seed_spin):
            w.setEnabled(not running)
        if running:
            self.continue_check.setEnabled(False)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def begin_run(self, first_epoch: int, last_epoch: int, batches: int | None = None) -> None:
        self._run_first_epoch = first_epoch
        self._paused_at = None
        self._t0 = time.perf_counter()
        self.progress_bar.setMaximum(max(1, (last_epoch - first_epoch + 1) * (batches or 1)))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"Starting epoch {first_epoch}…")
        self.progress_label.setText("")

    def show_progress(self, r) -> None:
        """Update from a BatchReport."""
        done_epochs = r.epoch - self._run_first_epoch
        total = (r.epochs - self._run_first_epoch + 1) * r.batches
        done = done_epochs * r.batches + r.batch
        if self.progress_bar.maximum() != total:
            self.progress_bar.setMaximum(total)
        self.progress_bar.setValue(min(done, total))
        paused = " — paused" if self._paused_at is not None else ""
        self.progress_bar.setFormat(f"Epoch {r.epoch}/{r.epochs} · batch {r.batch}/{r.batches}{paused}")
        frac = done / total if total else 0.0
        elapsed = time.perf_counter() - self._t0
        left = elapsed * (1 - frac) / frac if frac > 0 else 0.0
        self.progress_label.setText(f"{r.samples_per_sec:,.0f} samples/s · {format_seconds(left)} left "
                                    f"· {format_seconds(elapsed)} elapsed")

    def end_run(self, text: str) -> None:
        """A run ended: the bar reads its maximum, Start is enabled again."""
        self._paused_at = None
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.progress_bar.setFormat(text)
        self.set_running(False)

    def set_paused_text(self, paused: bool) -> None:
        """Mark the bar as paused; the time spent paused does not count towards the estimate."""
        now = time.perf_counter()
        if paused:
            self._paused_at = now
        elif self._paused_at is not None:
            self._t0 += now - self._paused_at
            self._paused_at = None
        if paused:
            self.progress_bar.setFormat(self.progress_bar.format().split(" — ")[0] + " — paused")
        else:
            self.progress_bar.setFormat(self.progress_bar.format().split(" — ")[0])
