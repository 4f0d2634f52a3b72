"""Time-lapse: the map as it was at every epoch (and a few times inside the first), replayable.

While a run trains, each manifold the map shows for a snapshot at a scheduled moment becomes a
frame (engine.TimeLapse decides which; a frame is the 8-bit manifold, the scatter positions
and the KL per dimension, never a model copy). The slider replays frames on the map through
the session (`set_replay`); "Live" returns to the current model. "Export time-lapse..." writes
an animated GIF with the engine's `write_timelapse_gif`.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from ..widgets.palette import distinct_colours


class TimelinePanel(QWidget):
    """timelineSlider, a caption, Live and Export time-lapse... buttons."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from engine import TimeLapse
        self.session = session
        self.lapse = TimeLapse()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        row, buttons = QHBoxLayout(), QHBoxLayout()
        self.slider = QSlider(Qt.Horizontal, objectName="timelineSlider", minimum=0, maximum=0)
        self.slider.setToolTip("Replay the run on the map: each step is the map at one moment of training")
        self.slider.setEnabled(False)
        self.live_button = QPushButton("Live", objectName="timelineLiveButton")
        self.live_button.setToolTip("Show the current model on the map again")
        self.export_button = QPushButton("Export time-lapse…", objectName="exportTimelapseButton")
        self.export_button.setToolTip("Save the run's time-lapse as an animated GIF")
        row.addWidget(self.slider, 1)
        buttons.addWidget(self.live_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        lay.addLayout(row)
        lay.addLayout(buttons)
        self.caption = QLabel("Frames are kept while a model trains", objectName="timelineCaption")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.slider.valueChanged.connect(self._on_slider)
        self.live_button.clicked.connect(self.go_live)
        self.export_button.clicked.connect(lambda: self.export_gif())
        session.manifold_shown.connect(self._on_manifold_shown)
        session.model_changed.connect(self._on_model_changed)
        session.training_changed.connect(self._on_training_changed)
        self._update_controls()

    # -- recording ------------------------------------------------------------------------
    def _on_model_changed(self, model) -> None:
        """A different model (a new run, or one opened): its time-lapse starts empty."""
        self.lapse.clear()
        self.session.set_replay(None)
        self._update_controls()

    def _on_training_changed(self, state) -> None:
        if state.phase == "running" and self.session.replay is not None:
            self.session.set_replay(None)           # training shows the live map

    def _on_manifold_shown(self, mosaic, extent, snap) -> None:
        """The map drew a manifold for `snap`: keep it as a frame when one is due."""
        from engine import kl_per_dim, make_map_frame
        s = self.session
        if snap is None or snap.codes is None or getattr(snap, "logvars", None) is None or s.replay is not None:
            return
        recording = s.training.running or snap.final
        if not recording or snap.model is not s.explore_model:
            return
        final = bool(snap.final and not s.training.running)
        if not self.lapse.due(snap.epoch, final=final):
            return
        if self.lapse.labels is None and snap.labels is not None:
            self.lapse.labels = snap.labels
        plane = s.plane
        frame = make_map_frame(snap.epoch, mosaic, extent, plane.coords(snap.codes),
                               kl_per_dim(snap.codes, snap.logvars), plane.kind)
        self.lapse.add(frame)
        self._update_controls(follow=True)

    def _update_controls(self, follow: bool = False) -> None:
        n = len(self.lapse)
        at_end = self.slider.value() >= self.slider.maximum()
        with signals_blocked(self.slider):
            self.slider.setMaximum(max(0, n - 1))
            if follow and at_end:
                self.slider.setValue(max(0, n - 1))
        self.slider.setEnabled(n > 1)
        self.export_button.setEnabled(n > 0)
        self.live_button.setEnabled(self.session.replay is not None)
        if n == 0:
            self.caption.setText("Frames are kept while a model trains: every epoch and a few times in the first")
        elif self.session.replay is None:
            self.caption.setText(f"{n} frames, epochs {self.lapse[0].epoch:.2f} to {self.lapse[n - 1].epoch:.2f} "
                                 f"({self.lapse.nbytes / 1e6:.1f} MB); move the slider to replay")

    # -- replay -----------------------------------------------------------------------------
    def _on_slider(self, i: int) -> None:
        if not 0 <= i < len(self.lapse):
            return
        if self.session.training.running and self.session.training.phase == "running":
            self.session.notify("Pause training to replay the time-lapse")
            self._update_controls()
            return
        frame = self.lapse[i]
        self.session.set_replay(frame, self.lapse.labels)
        self.live_button.setEnabled(True)
        self.caption.setText(f"Replaying epoch {frame.epoch:.2f} (frame {i + 1} of {len(self.lapse)}): "
                             f"the map shows the model as it was then. Live returns to now.")

    def go_live(self) -> None:
        self.session.set_replay(None)
        self._update_controls()

    # -- export -------------------------------------------------------------------------------
    def export_gif(self, path: str | None = None, colours: np.ndarray | None = None) -> bool:
        from engine import EngineError, write_timelapse_gif
        if len(self.lapse) == 0:
            self.session.notify("No time-lapse yet: train a model to record one")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export time-lapse", "timelapse.gif", "GIF animations (*.gif)")
            if not path:
                return False
        if colours is None and self.lapse.labels is not None:
            colours = distinct_colours(int(self.lapse.labels.max()) + 1)[self.lapse.labels]
        try:
            write_timelapse_gif(path, self.lapse, colours)
        except (OSError, EngineError) as exc:
            self.session.notify(f"Could not write {path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.session.notify(f"Exported a time-lapse of {len(self.lapse)} frames to {path}")
        return True
