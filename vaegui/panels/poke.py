"""Training you can poke: step a paused run by one batch or one epoch, and change the learning
rate and beta between batches without restarting.

Every panel moves after a step (the session takes a snapshot when the run pauses again). A
change applies from the next batch; the run records when (engine `Trainer.setting_changes`),
the model file keeps the record, and the list here shows it.
"""
from __future__ import annotations

from PyQt5.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget


class PokePanel(QWidget):
    """Step batch / Step epoch, lr and beta with Apply, and the record of changes."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        steps = QHBoxLayout()
        self.step_batch_button = QPushButton("Step 1 batch", objectName="stepBatchButton")
        self.step_batch_button.setToolTip("While paused: train exactly one more batch, then pause again")
        self.step_epoch_button = QPushButton("Step 1 epoch", objectName="stepEpochButton")
        self.step_epoch_button.setToolTip("While paused: train to the end of this epoch (or one whole epoch), "
                                          "then pause again")
        steps.addWidget(self.step_batch_button)
        steps.addWidget(self.step_epoch_button)
        lay.addLayout(steps)
        form = QFormLayout()
        self.lr_spin = QDoubleSpinBox(objectName="pokeLrSpin", decimals=5, minimum=1e-5, maximum=1.0,
                                      singleStep=1e-4, value=1e-3)
        self.lr_spin.setToolTip("Learning rate from the next batch on")
        self.beta_spin = QDoubleSpinBox(objectName="pokeBetaSpin", decimals=2, minimum=0.0, maximum=100.0,
                                        singleStep=0.1, value=1.0)
        self.beta_spin.setToolTip("Weight of the KL term from the next batch on (1 = the ELBO)")
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Beta", self.beta_spin)
        lay.addLayout(form)
        self.apply_button = QPushButton("Apply now", objectName="applySettingsButton")
        self.apply_button.setToolTip("Use this learning rate and beta from the next batch, without restarting")
        lay.addWidget(self.apply_button)
        self.changes = QListWidget(objectName="settingChangesList")
        self.changes.setToolTip("When the learning rate or beta was changed during training")
        self.changes.setMinimumHeight(36)
        lay.addWidget(self.changes, 1)
        self.note = QLabel("", objectName="pokeNote")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.step_batch_button.clicked.connect(lambda: session.step("batch"))
        self.step_epoch_button.clicked.connect(lambda: session.step("epoch"))
        self.apply_button.clicked.connect(self.apply)
        session.training_changed.connect(self._on_training_changed)
        session.model_changed.connect(lambda _: self._on_training_changed(session.training))
        session.settings_changed.connect(self._show_changes)
        self._on_training_changed(session.training)

    def apply(self) -> None:
        self.session.change_settings(lr=self.lr_spin.value(), beta=self.beta_spin.value())

    def _on_training_changed(self, state) -> None:
        paused = state.phase == "paused"
        live = state.phase in ("running", "paused", "pausing")
        self.step_batch_button.setEnabled(paused)
        self.step_epoch_button.setEnabled(paused)
        self.apply_button.setEnabled(live)
        trainer = self.session.trainer
        if trainer is not None and not live:
            self.lr_spin.setValue(trainer.config.lr)
            self.beta_spin.setValue(trainer.config.beta)
        self.note.setText("Pause to step one batch or one epoch at a time." if state.phase == "running" else
                          "Paused: step, or change the settings and resume." if paused else
                          "Start a run to poke it." if not live else "")
        self._show_changes()

    def _show_changes(self) -> None:
        trainer = self.session.trainer
        changes = [] if trainer is None else trainer.setting_changes
        self.changes.clear()
        for c in changes:
            name = "learning rate" if c.setting == "lr" else "beta"
            self.changes.addItem(f"epoch {c.at:.2f} (batch {c.batch} of epoch {c.epoch}): {name} {c.old:g} → {c.new:g}")
