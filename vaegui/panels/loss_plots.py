"""Live loss curves: smoothed batch loss, reconstruction and KL, and the test loss per epoch.

Items are created once; updates only call setData on them. The batch history lives in a
preallocated NumPy buffer that doubles when full (pyqtgraph's scrollingPlots pattern).

Training shares two cores with the GUI, so drawing is kept cheap: new batches are buffered
and the curves redrawn by a timer at most REDRAW_MS apart; during a run the x axis spans the
whole run from the start (no axis relayout per update) and the y range only moves when it
changes by more than a few percent.  Every millisecond the GUI thread draws is taken from a
training thread and stalls its partner in the matrix products, so redraws (their setData and
paint CPU time measured) may take at most REDRAW_BUDGET of the time: where painting is slow
(a large window, software rendering) the curves update less often instead of slowing training.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QVBoxLayout, QWidget

from ..widgets.plot_buffers import GrowingBuffer, TimedPlotWidget

SMOOTHING = 0.05  # EMA weight of the newest batch
REDRAW_MS = 250        # batch curves are redrawn at most 4 times a second
REDRAW_MAX_MS = 2000   # ... and at least every 2 s while batches arrive
MAX_BATCH_ROWS = 4096   # batch history kept (older batches averaged in pairs beyond it): more points
                       # than a plot has pixels across; each redraw copies every curve's points
REDRAW_BUDGET = 0.01   # share of the time redrawing may use: every ms of GUI CPU costs training
                       # about a ms (both cores run its products); ~5 ms redraws, so about 2 Hz


class LossPlots(QWidget):
    """Two stacked plots sharing the epoch axis: losses (lossPlot) and KL (klPlot).

    Listens to the session: a different model shows its history; a run's batches and epochs
    stream in (placed after any partial epoch an earlier stop left, never over it).
    """

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.loss_plot = TimedPlotWidget()
        self.loss_plot.setObjectName("lossPlot")
        self.loss_plot.setToolTip("Negative ELBO per image (nats): smoothed batch loss, its reconstruction "
                                  "part, and the test loss after each epoch")
        self.kl_plot = TimedPlotWidget()
        self.kl_plot.setObjectName("klPlot")
        self.kl_plot.setToolTip("KL divergence from the prior per image (nats), smoothed over batches")
        lay.addWidget(self.loss_plot, 3)
        lay.addWidget(self.kl_plot, 2)
        lp, kp = self.loss_plot.getPlotItem(), self.kl_plot.getPlotItem()
        lp.setLabel("left", "loss (nats)")
        kp.setLabel("left", "KL (nats)")
        kp.setLabel("bottom", "epoch")
        kp.setXLink(lp)
        for plot in (lp, kp):
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            plot.getAxis("left").enableAutoSIPrefix(False)
        lp.showGrid(x=True, y=True, alpha=0.2)
        kp.showGrid(x=True, y=True, alpha=0.2)
        lp.addLegend(offset=(-6, 6), labelTextSize="8pt", brush=(0, 0, 0, 140), verSpacing=-6)
        # (batch x, loss, recon, kl, loss_ema, recon_ema, kl_ema)
        self.batch_buf = GrowingBuffer(7, max_rows=MAX_BATCH_ROWS)
        self._batches_received = 0
        # (epoch, train loss, test loss)
        self.epoch_buf = GrowingBuffer(3, capacity=256)
        self._ema: np.ndarray | None = None
        self.raw_curve = lp.plot(pen=pg.mkPen((90, 140, 220, 45), width=1))
        self.loss_curve = lp.plot(pen=pg.mkPen((90, 160, 255), width=2), name="batch loss (smoothed)")
        self.recon_curve = lp.plot(pen=pg.mkPen((255, 170, 60), width=2), name="reconstruction")
        self.train_epoch_curve = lp.plot(pen=None, symbol="s", symbolSize=6, symbolBrush=(200, 200, 200),
                                         name="train loss / epoch")
        self.test_curve = lp.plot(pen=pg.mkPen((80, 220, 120), width=2), symbol="o", symbolSize=7,
                                  symbolBrush=(80, 220, 120), name="test loss / epoch")
        self.train_epoch_curve.setZValue(10)
        self.test_curve.setZValue(11)
        self.kl_curve = kp.plot(pen=pg.mkPen((230, 90, 200), width=2))
        # Until the user zooms the loss plot, its y range leaves out the first batches' transient
        # (loss ~550 falling to ~160 within a fraction of an epoch) so the later curve is readable.
        self._auto_y = True
        self._dirty = False
        self._redraw_cost_ms = REDRAW_MS * REDRAW_BUDGET
        self._redraw_timer = QTimer(self, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw_tick)
        self._redraw_timer.start()
        lp.getViewBox().sigRangeChangedManually.connect(self._on_manual_range)
        lp.getViewBox().sigStateChanged.connect(self._on_state_changed)
        for c in (self.raw_curve, self.loss_curve, self.recon_curve, self.kl_curve):
            c.setDownsampling(auto=True, method="peak")
            c.setClipToView(True)
            c.setSkipFiniteCheck(True)
        self._x_offset = 0.0
        self._phase = "idle"
        session.model_changed.connect(lambda _: self.show_history(session.history(), session.partial_epochs()[0]))
        session.training_changed.connect(self._on_training_changed)
        session.batches_arrived.connect(lambda b: self.add_batches(b.chunk))
        session.epoch_arrived.connect(self.add_epoch)

    def _on_training_changed(self, state) -> None:
        new_run, self._phase = self._phase == "idle" and state.running, state.phase
        if new_run:
            self._x_offset = state.x_offset
            self.begin_run(state.first_epoch + state.x_offset, state.last_epoch + state.x_offset)
        elif state.phase == "idle":
            self.flush()

    def _on_manual_range(self, *_) -> None:
        self._auto_y = False

    def _on_state_changed(self, vb) -> None:
        if vb.state["autoRange"][1]:          # the "A" button or View All: our y range again
            self._auto_y = True

    def _fit_y(self) -> None:
        """y range: from the lowest curve to the 97th percentile of the smoothed loss."""
        if not self._auto_y:
            return
        v = self.batch_buf.view()
        e = self.epoch_buf.view()
        if len(v) < 30 and len(e) == 0:
            return
        vals = [v[:, 5].min()] if len(v) else []
        top = []
        if len(v):      # nearest rank: np.percentile imports numpy.ma on its first call (20 ms)
            k = int(0.97 * (len(v) - 1))
            top.append(np.partition(v[:, 4], k)[k])
        if len(e):
            vals.append(e[:, 1:].min())
            # without batches (a loaded model's history) nothing else shows the train losses' top
            top.append(e[:, 2].max() if len(v) else e[:, 1:].max())
        recon = self.recon_curve.yData              # the data itself, not the view's downsampled copy
        if recon is not None and len(recon):
            vals.append(float(np.min(recon)))
        lo, hi = min(vals), max(top)
        pad = 0.08 * (hi - lo) + 1e-6
        lo, hi = lo - pad, hi + pad
        vb = self.loss_plot.getViewBox()
        (cur_lo, cur_hi) = vb.viewRange()[1]
        tol = 0.04 * (hi - lo)
        if vb.state["autoRange"][1] or abs(cur_lo - lo) > tol or abs(cur_hi - hi) > tol:
            vb.setYRange(lo, hi, padding=0)

    def begin_run(self, first_epoch: int, last_epoch: int) -> None:
        """Fix the x axis to the whole run and everything plotted before it (a continued model's
        history too), so it does not re-layout while the curves grow."""
        starts = [first_epoch - 1.0]
        if self.batch_buf.n:
            starts.append(float(self.batch_buf.view()[0, 0]))
        if self.epoch_buf.n:
            starts.append(float(self.epoch_buf.view()[0, 0]) - 1.0)
        self.loss_plot.getViewBox().setXRange(max(0.0, min(starts)), last_epoch, padding=0.02)

    @property
    def redraw_interval_ms(self) -> int:
        """How often the batch curves are redrawn now (stretched when redraws are slow)."""
        return self._redraw_timer.interval()

    def redraw_tick(self) -> None:
        """The redraw timer: draw what arrived, within the CPU budget."""
        if self._dirty:
            self._dirty = False
            start = time.thread_time()             # CPU time: what a redraw takes from training
            self.draw_batches()
            painted = 0.0                          # the paints since the last tick (of its redraw)
            for plot in (self.loss_plot, self.kl_plot):
                painted += plot.paint_seconds
                plot.paint_seconds = 0.0
            cost_ms = 1000.0 * (time.thread_time() - start + painted)
            # smoothed, so one slow redraw (an axis relayout) does not stall the curves for long
            self._redraw_cost_ms += 0.3 * (cost_ms - self._redraw_cost_ms)
            interval = min(REDRAW_MAX_MS, max(REDRAW_MS, int(self._redraw_cost_ms / REDRAW_BUDGET)))
            if interval != self._redraw_timer.interval():
                self._redraw_timer.setInterval(interval)

    def clear(self) -> None:
        self._auto_y = True
        self.batch_buf.clear()
        self._batches_received = 0
        self.epoch_buf.clear()
        self._ema = None
        for c in (self.raw_curve, self.loss_curve, self.recon_curve, self.kl_curve,
                  self.train_epoch_curve, self.test_curve):
            c.setData([], [])

    def add_batches(self, chunk: np.ndarray) -> None:
        """chunk: (k, 4) rows [x in epochs, loss, recon, kl] of consecutive batches."""
        rows = np.empty((len(chunk), 7))
        rows[:, :4] = chunk
        rows[:, 0] += self._x_offset
        ema = chunk[0, 1:4].copy() if self._ema is None else self._ema
        for i in range(len(chunk)):
            ema = ema + SMOOTHING * (chunk[i, 1:4] - ema)
            rows[i, 4:] = ema
        self._ema = ema
        self.batch_buf.append(rows)
        self._batches_received += len(rows)
        self._dirty = True

    def flush(self) -> None:
        """Draw any buffered batches now (end of a run, tests)."""
        if self._dirty:
            self._dirty = False
            self.draw_batches()

    def draw_batches(self) -> None:
        """Put the buffered batch history on the curves."""
        v = self.batch_buf.view()
        x = v[:, 0]
        self.raw_curve.setData(x, v[:, 1])
        self.loss_curve.setData(x, v[:, 4])
        self.recon_curve.setData(x, v[:, 5])
        self.kl_curve.setData(x, v[:, 6])
        self._fit_y()
        self._settle_views()

    def _settle_views(self) -> None:
        """Apply the new ranges' transforms now: pyqtgraph's ViewBox applies them when the scene is
        about to paint, which changes the items mid-paint and has Qt paint the plot a second
        time in the next turn (measured: two paints per redraw, one with this)."""
        for plot in (self.loss_plot, self.kl_plot):
            plot.getViewBox().prepareForPaint()

    def add_epoch(self, report) -> None:
        """An EpochReport: one point on the train and test loss curves."""
        self.flush()
        self.epoch_buf.append(np.array([report.epoch + self._x_offset, report.train_loss, report.test_loss]))
        self._redraw_epochs()

    def _redraw_epochs(self) -> None:
        v = self.epoch_buf.view()
        self.train_epoch_curve.setData(v[:, 0], v[:, 1])
        self.test_curve.setData(v[:, 0], v[:, 2])
        self._fit_y()
        self._settle_views()

    def show_history(self, history, restarted=()) -> None:
        """Epoch-level curves of a loaded model (no batch history is stored in a model file).

        Each epoch sits at the epochs of training it ended at: after any partial epoch that a
        stop cut short and a later run restarted (`restarted`, engine.PartialEpoch), never over it.
        """
        self.clear()
        self._x_offset = 0.0
        self.loss_plot.getViewBox().enableAutoRange(x=True)
        xs = [r.epoch + sum(p.fraction for p in restarted if p.epoch <= r.epoch) for r in history]
        for x, r in zip(xs, history):
            self.epoch_buf.append(np.array([x, r.train_loss, r.test_loss]))
        if history:
            self.kl_curve.setData(xs, [r.kl for r in history])
            self.recon_curve.setData(xs, [r.recon for r in history])
        self._redraw_epochs()

    @property
    def epochs_plotted(self) -> int:
        return self.epoch_buf.n

    @property
    def batches_plotted(self) -> int:
        """Batches received (drawn at the next redraw tick, or on flush())."""
        return self._batches_received
