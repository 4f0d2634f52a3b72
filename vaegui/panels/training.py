"""The training panel: data set, architecture and optimiser settings, Start / Pause / Stop and progress.

Its settings controls are views of the session's `run_settings` (model/run_settings.py): each
writes its value there and follows it back, so main.py, a loaded model file or a script set the
next run without touching a spin box. Start, Pause and Stop write intent into the session, and
the panel shows what the session says: the data sets, the training state and the batches as
they arrive. The three settings sections fold (superqt's QCollapsible), so the panel fits a
720-pixel-high screen with the buttons in view.
"""
from __future__ import annotations

import time

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible
from superqt.utils import signals_blocked

from ..model.describe import describe_dataset, format_seconds
from ..model.run_settings import ARCHITECTURES, DEFAULT_EPOCHS, LIKELIHOODS
from ..widgets.labels import ElidedLabel


def section(title: str, name: str, body: QWidget) -> QCollapsible:
    """A folding section of the settings, open at start."""
    box = QCollapsible(title)
    box.setObjectName(name)
    box.toggleButton().setToolTip(f"Show or hide the {title.lower()} settings")
    box.setDuration(120)
    box.addWidget(body)
    box.expand(animate=False)
    return box


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

        data_box = QWidget()
        dl = QVBoxLayout(data_box)
        dl.setContentsMargins(0, 0, 0, 0)
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
        inner.addWidget(section("Data", "dataSection", data_box))

        model_box = QWidget()
        form = QFormLayout(model_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.arch_combo = QComboBox(objectName="archCombo")
        for label, name in ARCHITECTURES:
            self.arch_combo.addItem(label, name)
        self.arch_combo.setToolTip("MLP: dense layers only (trains MNIST in about a minute). Convolutional: "
                                   "stride-2 4x4 convolutions before the hidden layers, transposed "
                                   "convolutions after them (sharper, about ten times slower)")
        form.addRow("Architecture", self.arch_combo)
        self.channels_edit = QLineEdit(objectName="channelsEdit", enabled=False)
        self.channels_edit.setToolTip("Channels of the convolutions, one stride-2 layer each (each halves the "
                                      "image's sides, so they must divide by 2 per layer), e.g. 32,64")
        form.addRow("Conv channels", self.channels_edit)
        self.hidden_edit = QLineEdit(objectName="hiddenEdit")
        self.hidden_edit.setToolTip("Encoder hidden layer sizes, input side first, e.g. 400 or 512,256; "
                                    "the decoder mirrors them")
        form.addRow("Hidden layers", self.hidden_edit)
        self.latent_spin = QSpinBox(objectName="latentSpin", minimum=1, maximum=64)
        self.latent_spin.setToolTip("Size of the latent code z (2 gives a map you can read directly)")
        form.addRow("Latent size", self.latent_spin)
        self.likelihood_combo = QComboBox(objectName="likelihoodCombo")
        self.likelihood_combo.addItems(list(LIKELIHOODS))
        self.likelihood_combo.setToolTip("Pixel likelihood p(x|z): Bernoulli (binary cross-entropy) or "
                                         "Gaussian with a learnt per-pixel variance")
        form.addRow("Likelihood", self.likelihood_combo)
        inner.addWidget(section("Model", "modelSection", model_box))

        train_box = QWidget()
        tf = QFormLayout(train_box)
        tf.setContentsMargins(0, 0, 0, 0)
        self.epochs_spin = QSpinBox(objectName="epochsSpin", minimum=1, maximum=1000)
        self.epochs_spin.setToolTip(f"Passes over the training set (default {DEFAULT_EPOCHS}: about a minute on MNIST)")
        tf.addRow("Epochs", self.epochs_spin)
        self.batch_spin = QSpinBox(objectName="batchSpin", minimum=1, maximum=8192)
        self.batch_spin.setToolTip("Images per gradient step")
        tf.addRow("Batch size", self.batch_spin)
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin", decimals=5, minimum=0.00001, maximum=1.0,
                                      singleStep=0.0005)
        self.lr_spin.setToolTip("Adam learning rate")
        tf.addRow("Learning rate", self.lr_spin)
        self.beta_spin = QDoubleSpinBox(objectName="betaSpin", decimals=2, minimum=0.0, maximum=100.0,
                                        singleStep=0.1)
        self.beta_spin.setToolTip("Weight of the KL term (1 = the ELBO; >1 = beta-VAE)")
        tf.addRow("Beta", self.beta_spin)
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Random seed for the initial weights, shuffling and z samples")
        tf.addRow("Seed", self.seed_spin)
        inner.addWidget(section("Training", "trainingSection", train_box))
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
        self._bind_settings()
        self._on_datasets_changed()

    # -- settings: views of session.run_settings ----------------------------------------------
    def _bind_settings(self) -> None:
        """Each control writes its setting and follows it back (signals blocked while it does)."""
        a, lk = self.arch_combo, self.likelihood_combo
        self._fields = {
            "arch": (a, a.currentIndexChanged, a.currentData, lambda v: a.setCurrentIndex(a.findData(v))),
            "channels": (self.channels_edit, self.channels_edit.textChanged, self.channels_edit.text,
                         self.channels_edit.setText),
            "hidden": (self.hidden_edit, self.hidden_edit.textChanged, self.hidden_edit.text, self.hidden_edit.setText),
            "latent_dim": (self.latent_spin, self.latent_spin.valueChanged, self.latent_spin.value,
                           self.latent_spin.setValue),
            "likelihood": (lk, lk.currentTextChanged, lk.currentText, lk.setCurrentText),
            "epochs": (self.epochs_spin, self.epochs_spin.valueChanged, self.epochs_spin.value,
                       self.epochs_spin.setValue),
            "batch_size": (self.batch_spin, self.batch_spin.valueChanged, self.batch_spin.value,
                           self.batch_spin.setValue),
            "lr": (self.lr_spin, self.lr_spin.valueChanged, self.lr_spin.value, self.lr_spin.setValue),
            "beta": (self.beta_spin, self.beta_spin.valueChanged, self.beta_spin.value, self.beta_spin.setValue),
            "seed": (self.seed_spin, self.seed_spin.valueChanged, self.seed_spin.value, self.seed_spin.setValue),
            "continue_run": (self.continue_check, self.continue_check.toggled, self.continue_check.isChecked,
                             self.continue_check.setChecked),
        }
        rs = self.session.run_settings
        for name, (widget, changed, get, _) in self._fields.items():
            changed.connect(lambda *_, name=name, get=get: rs.set(**{name: get()}))
            self._show_setting(name, getattr(rs, name))
        rs.changed.connect(self._show_setting)

    def _show_setting(self, name: str, value) -> None:
        widget, _, get, put = self._fields[name]
        if get() != value:
            with signals_blocked(widget):
                put(value)
        if name == "arch":
            self._on_arch_changed()

    def arch(self) -> str:
        return self.session.run_settings.arch

    def _on_arch_changed(self) -> None:
        self.channels_edit.setEnabled(self.arch() == "conv" and not self.session.training.running)

    # -- intent ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start: a new model with the run settings, or more epochs of the current one."""
        self.session.start()

    def _on_pause_clicked(self, checked: bool) -> None:
        if checked:
            self.session.pause()
        else:
            self.session.resume()

    # -- what the session says -------------------------------------------------------------
    def _on_datasets_changed(self) -> None:
        with signals_blocked(self.dataset_combo):
            self.dataset_combo.clear()
            for e in self.session.datasets:
                self.dataset_combo.addItem(e.label)
                self.dataset_combo.setItemData(self.dataset_combo.count() - 1,
                                               e.folder or "the bundled MNIST", Qt.ToolTipRole)
            self.dataset_combo.setCurrentIndex(self.session.dataset_index)

    def _on_dataset_changed(self, ds) -> None:
        s = self.session
        self.dataset_combo.setCurrentIndex(s.dataset_index)
        self.dataset_info.setText(describe_dataset(ds) if ds is not None else "")
        entry = s.datasets[s.dataset_index] if s.dataset_index >= 0 else None
        where = (entry.folder or "the bundled MNIST") if entry is not None else ""
        self.dataset_combo.setToolTip(f"{s.dataset_label} ({where}): the data set to train on and explore; "
                                      f"the bundled MNIST or a folder you loaded")

    def _on_model_changed(self, model) -> None:
        """Another model: its settings, and none of the previous run's progress."""
        mf = self.session.model_file           # its settings are in run_settings already
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
