"""Latent health: KL per latent dimension as bars, active units, and a plain warning on collapse.

Measured on the session's scatter subset (a few thousand test images) whenever a new snapshot
arrives, so it moves with the scatter while training. The numbers are the engine's
(`engine.latent_health`); this panel only draws them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QVBoxLayout, QWidget

ACTIVE_BRUSH = (70, 160, 230)
INACTIVE_BRUSH = (110, 110, 120)


class LatentHealthPanel(QWidget):
    """KL bars (klDimsPlot), "N of L active" (activeUnitsLabel) and a collapse warning."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.health = None                        # the engine's LatentHealth shown, or None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.active_label = QLabel("No model yet", objectName="activeUnitsLabel")
        self.active_label.setToolTip("Active units (Burda et al. 2016): latent dimensions whose posterior mean "
                                     "varies across the test images (variance above 0.01). An inactive "
                                     "dimension gives every image the same code there.")
        self.active_label.setWordWrap(True)
        lay.addWidget(self.active_label)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("klDimsPlot")
        self.plot.setToolTip("KL divergence of each latent dimension from the prior, averaged over the test "
                             "images: how many nats of information each dimension carries. Blue: active, "
                             "grey: inactive.")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "KL (nats)")
        self.plot.setLabel("bottom", "latent dimension")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setMinimumHeight(70)
        self.bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.8, brush=ACTIVE_BRUSH, pen=None)
        self.plot.addItem(self.bars)
        lay.addWidget(self.plot, 1)
        self.warning = QLabel("", objectName="collapseWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #e0a040;")
        self.warning.setTextFormat(Qt.PlainText)
        lay.addWidget(self.warning)
        session.snapshot_changed.connect(self._on_snapshot)
        self._on_snapshot(session.snapshot)

    def _on_snapshot(self, snap) -> None:
        from engine import latent_health
        codes = None if snap is None else snap.codes
        logvars = None if snap is None else getattr(snap, "logvars", None)
        if codes is None or logvars is None or len(codes) < 2:
            self.health = None
            self.bars.setOpts(x=np.zeros(0), height=np.zeros(0), brushes=None)
            self.active_label.setText("No model yet" if snap is None else "No test images to measure with")
            self.warning.setText("")
            return
        h = latent_health(codes, logvars)
        self.health = h
        L = h.latent_dim
        brushes = [pg.mkBrush(ACTIVE_BRUSH if a else INACTIVE_BRUSH) for a in h.active]
        self.bars.setOpts(x=np.arange(L), height=h.kl, width=0.8, brushes=brushes)
        step = max(1, int(np.ceil(L / 12)))
        self.plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(0, L, step)]])
        self.plot.setXRange(-0.6, L - 0.4, padding=0)
        self.plot.setYRange(0, max(0.05, float(h.kl.max()) * 1.1), padding=0)
        self.plot.getViewBox().prepareForPaint()   # the new range now, not mid-paint (one paint, not two)
        self.active_label.setText(f"{h.summary} · KL {h.total_kl:.2f} nats per image "
                                  f"(epoch {snap.epoch:.2f})")
        self.warning.setText(h.warning() or "")
