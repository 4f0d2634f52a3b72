"""The training panel: data set, architecture and optimiser settings, Start / Pause / Stop and progress.

It writes intent into the session (start, pause, resume, stop, the data set chosen) and shows
what the session says: the data sets, the training state and the batches as they arrive.
"""
from __future__ import annotations

import time

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QScrollArea,
                             QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy, QSpinBox,
                             QVBoxLayout, QWidget)

from .elided_label import ElidedLabel

DEFAULT_EPOCHS = 20       # a full MNIST run of the default model takes about a minute here (~2.5-3 s an epoch)
DEFAULT_HIDDEN = "400"
DEFAULT_CHANNELS = "32,64"
ARCHITECTURES = (("MLP", "mlp"), ("Convolutional", "conv"))


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
    """Settings and controls for one training run; the Start / Pause / Stop row and the
    progress stay in view below the scrolling settings however short the window is."""

    open_folder_requested = pyqtSignal()

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("trainingPanel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        settings = QWidget()
        inner = QVBoxLayout(settings)
        scroll = QScrollArea(objectName="trainingSettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(settings)
        outer.addWidget(scroll, 1)

        data_box = QGroupBox("Data")
        dl = QVBoxLayout(data_box)
        self.dataset_combo = QComboBox(objectName="datasetCombo")
        self.dataset_combo.setToolTip("The data set to train on and explore: the bundled MNIST or a folder you loaded")
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_combo.setMinimumContentsLength(6)
        self.dataset_combo.activated.connect(session.set_dataset)
        self.open_folder_button = QPushButton("Open folder…", objectName="openFolderButton")
        self.open_folder_button.setToolTip("Load a folder of your own images as a data set (Ctrl+Shift+O)")
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        row = QHBoxLayout()
        row.addWidget(self.dataset_combo, 1)
        row.addWidget(self.open_folder_button)
        dl.addLayout(row)
        self.dataset_info = QLabel("", objectName="datasetInfo")
        self.dataset_info.setWordWrap(True)
        self.dataset_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.dataset_info.setToolTip("Size, image shape and labels of the current data set")
        dl.addWidget(self.dataset_info)
        inner.addWidget(data_box)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.arch_combo = QComboBox(objectName="archCombo")
        for label, name in ARCHITECTURES:
            self.arch_combo.addItem(label, name)
        self.arch_combo.setToolTip("MLP: dense layers only (trains MNIST in about a minute). Convolutional: "
                                   "stride-2 4x4 convolutions before the hidden layers, transposed "
                                   "convolutions after them (sharper, about ten times slower)")
        form.addRow("Architecture", self.arch_combo)
        self.channels_edit = QLineEdit(DEFAULT_CHANNELS, objectName="channelsEdit", enabled=False)
        self.channels_edit.setToolTip("Channels of the convolutions, one stride-2 layer each (each halves the "
                                      "image's sides, so they must divide by 2 per layer), e.g. 32,64")
        form.addRow("Conv channels", self.channels_edit)
        self.arch_combo.currentIndexChanged.connect(self._on_arch_changed)
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
        inner.addWidget(model_box)

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
        inner.addWidget(train_box)
        for f in (form, tf):             # hovering a field's name explains it too
            for r in range(f.rowCount()):
                label, field = f.itemAt(r, QFormLayout.LabelRole), f.itemAt(r, QFormLayout.FieldRole)
                if label is not None and field is not None:
                    label.widget().setToolTip(field.widget().toolTip())
        self.continue_check = QCheckBox("Continue the current model", objectName="continueCheck", enabled=False)
        self.continue_check.setToolTip("Start trains the current model for more epochs (same architecture, "
                                       "optimizer state kept) instead of a new one")
        inner.addWidget(self.continue_check)
        inner.addStretch(1)

        footer = QVBoxLayout()              # never scrolls away
        footer.setContentsMargins(9, 4, 9, 6)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start", objectName="startButton")
        self.start_button.setToolTip("Train a new model with these settings (Ctrl+Return)")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause", objectName="pauseButton", checkable=True, enabled=False)
        self.pause_button.setToolTip("Pause training after the current batch (the explorer works while paused); "
                                     "press again to resume")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button = QPushButton("Stop", objectName="stopButton", enabled=False)
        self.stop_button.setToolTip("End training now; the model keeps what it has learnt so far")
        self.stop_button.clicked.connect(session.stop)
        for b in (self.start_button, self.pause_button, self.stop_button):
            b.setMinimumWidth(20)
            buttons.addWidget(b)
        footer.addLayout(buttons)
        self.progress_bar = QProgressBar(objectName="progressBar", minimum=0, maximum=1, value=0)
        self.progress_bar.setToolTip("Progress of the current run: epoch and batch")
        self.progress_bar.setFormat("Ready")
        self.progress_bar.setMinimumWidth(20)
        footer.addWidget(self.progress_bar)
        self.progress_label = ElidedLabel("", objectName="progressLabel")
        self.progress_label.set_tip("Training speed, time elapsed and estimated time left")
        footer.addWidget(self.progress_label)
        outer.addLayout(footer)
        self._t0 = time.perf_counter()
        self._paused_at: float | None = None
        self._bar_text = "Ready"
        self._phase = "idle"

        session.datasets_changed.connect(self._on_datasets_changed)
        session.dataset_changed.connect(self._on_dataset_changed)
        session.model_changed.connect(self._on_model_changed)
        session.training_changed.connect(self._on_training_changed)
        session.batches_arrived.connect(self._on_batches)
        self._on_datasets_changed()

    # -- settings ----------------------------------------------------------------------
    def hidden_sizes(self) -> tuple[int, ...]:
        return parse_hidden(self.hidden_edit.text())

    def arch(self) -> str:
        return self.arch_combo.currentData()

    def channels(self) -> tuple[int, ...]:
        """The conv channels, () for the MLP; raises ValueError on bad input."""
        if self.arch() != "conv":
            return ()
        try:
            return parse_hidden(self.channels_edit.text())
        except ValueError:
            raise ValueError("conv channels must be whole numbers between 1 and 8192, e.g. 32,64") from None

    def vae_config(self, image_shape: tuple):
        """The VAEConfig for these settings; raises ValueError / ConfigError on bad input."""
        from engine import VAEConfig
        return VAEConfig(image_shape=tuple(image_shape), hidden=self.hidden_sizes(),
                         latent_dim=self.latent_spin.value(), likelihood=self.likelihood_combo.currentText(),
                         arch=self.arch(), channels=self.channels())

    def _on_arch_changed(self) -> None:
        self.channels_edit.setEnabled(self.arch() == "conv" and not self.session.training.running)

    def train_config(self):
        from engine import TrainConfig
        return TrainConfig(epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(),
                           lr=self.lr_spin.value(), beta=self.beta_spin.value(), seed=self.seed_spin.value())

    def show_config(self, vae_config, train_config=None) -> None:
        """Fill the controls from a loaded model's settings."""
        self.hidden_edit.setText(",".join(str(h) for h in vae_config.hidden))
        self.arch_combo.setCurrentIndex(self.arch_combo.findData(vae_config.arch))
        if vae_config.channels:
            self.channels_edit.setText(",".join(str(c) for c in vae_config.channels))
        self.latent_spin.setValue(vae_config.latent_dim)
        self.likelihood_combo.setCurrentText(vae_config.likelihood)
        if train_config is not None:
            self.batch_spin.setValue(train_config.batch_size)
            self.lr_spin.setValue(train_config.lr)
            self.beta_spin.setValue(train_config.beta)
            self.seed_spin.setValue(train_config.seed)

    # -- intent ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start: a new model with these settings, or more epochs of the current one."""
        from engine import EngineError
        s = self.session
        if s.dataset is None or s.training.running:
            return
        try:
            vcfg = self.vae_config(s.dataset.image_shape)
            tcfg = self.train_config()
        except (ValueError, EngineError) as exc:
            s.notify(f"Cannot start: {exc}")
            s.warn("Cannot start training", str(exc))
            return
        s.start_training(vcfg, tcfg, continue_run=self.continue_check.isChecked() and s.model is not None)

    def _on_pause_clicked(self, checked: bool) -> None:
        if checked:
            self.session.pause()
        else:
            self.session.resume()

    # -- what the session says -------------------------------------------------------------
    def _on_datasets_changed(self) -> None:
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        for e in self.session.datasets:
            self.dataset_combo.addItem(e.label)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1,
                                           e.folder or "the bundled MNIST", Qt.ToolTipRole)
        self.dataset_combo.setCurrentIndex(self.session.dataset_index)
        self.dataset_combo.blockSignals(False)

    def _on_dataset_changed(self, ds) -> None:
        from .commands import describe_dataset
        s = self.session
        self.dataset_combo.setCurrentIndex(s.dataset_index)
        self.dataset_info.setText(describe_dataset(ds) if ds is not None else "")
        entry = s.datasets[s.dataset_index] if s.dataset_index >= 0 else None
        where = (entry.folder or "the bundled MNIST") if entry is not None else ""
        self.dataset_combo.setToolTip(f"{s.dataset_label} ({where}): the data set to train on and explore; "
                                      f"the bundled MNIST or a folder you loaded")

    def _on_model_changed(self, model) -> None:
        """Another model: its settings, and none of the previous run's progress."""
        mf = self.session.model_file
        if mf is not None:
            self.show_config(mf.model.config, mf.train_config)
        self.continue_check.setEnabled(model is not None and not self.session.training.running)
        if not self.session.training.running:
            self._set_bar(0, 1, "Ready" if model is None or mf is None else
                          f"Opened: {round(mf.epochs_trained, 2):g} epoch{'s' if mf.epochs_trained != 1 else ''} trained")
            self.progress_label.setText("")

    def _set_bar(self, value: int, maximum: int, text: str) -> None:
        self.progress_bar.setMaximum(max(1, maximum))
        self.progress_bar.setValue(min(value, max(1, maximum)))
        self._bar_text = text
        self.progress_bar.setFormat(text)
        self.progress_bar.setToolTip(f"{text}\n\nProgress of the current run: epoch and batch")

    def _on_training_changed(self, state) -> None:
        running = state.running
        for w in (self.start_button, self.dataset_combo, self.open_folder_button, self.arch_combo, self.hidden_edit,
                  self.latent_spin, self.likelihood_combo, self.epochs_spin, self.batch_spin,
                  self.lr_spin, self.beta_spin, self.seed_spin):
            w.setEnabled(not running)
        self.channels_edit.setEnabled(not running and self.arch() == "conv")
        self.continue_check.setEnabled(not running and self.session.model is not None)
        self.pause_button.setEnabled(state.phase in ("running", "pausing", "paused"))
        self.stop_button.setEnabled(state.phase in ("running", "pausing", "paused"))
        self.pause_button.setChecked(state.phase in ("pausing", "paused"))
        self.pause_button.setText("Resume" if state.phase in ("pausing", "paused") else "Pause")
        now = time.perf_counter()
        new_run, self._phase = self._phase == "idle" and running, state.phase
        if state.phase == "running" and self._paused_at is not None and not new_run:
            self._t0 += now - self._paused_at         # time paused does not count towards the estimate
            self._paused_at = None
        if new_run:
            self._t0, self._paused_at = now, None
            total = (state.last_epoch - state.first_epoch + 1) * state.batches
            self._set_bar(0, total, f"Starting epoch {state.first_epoch}…")
            self.progress_label.setText("")
        elif state.phase in ("pausing", "paused"):
            if self._paused_at is None:
                self._paused_at = now
            self.progress_bar.setFormat(self._bar_text.split(" — ")[0] + " — paused")
        elif state.phase == "running":
            self.progress_bar.setFormat(self._bar_text.split(" — ")[0])
        elif state.phase == "idle" and state.outcome:
            elapsed = (self._paused_at or now) - self._t0
            self._paused_at = None
            trained = round(self.session.epochs_trained, 2)
            short = {"completed": f"Complete: {trained:g} epochs", "stopped": f"Stopped: {trained:g} epochs trained",
                     "diverged": "Diverged", "error": "Failed"}[state.outcome]
            self._set_bar(self.progress_bar.maximum(), self.progress_bar.maximum(), short)
            self.progress_bar.setToolTip(state.message)
            self.progress_label.setText(f"{format_seconds(elapsed)} elapsed")   # nothing left: no estimate

    def _on_batches(self, batches) -> None:
        r = batches.report
        state = self.session.training
        done_epochs = r.epoch - state.first_epoch
        total = (r.epochs - state.first_epoch + 1) * r.batches
        done = done_epochs * r.batches + r.batch
        paused = " — paused" if state.phase in ("pausing", "paused") else ""
        self._set_bar(done, total, f"Epoch {r.epoch}/{r.epochs} · batch {r.batch}/{r.batches}")
        if paused:
            self.progress_bar.setFormat(self._bar_text + paused)
        frac = done / total if total else 0.0
        elapsed = time.perf_counter() - self._t0
        left = elapsed * (1 - frac) / frac if frac > 0 else 0.0
        self.progress_label.setText(f"{r.samples_per_sec:,.0f} samples/s · {format_seconds(left)} left "
                                    f"· {format_seconds(elapsed)} elapsed")
