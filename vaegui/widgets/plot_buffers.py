"""Plot building blocks with no knowledge of the session: a PlotWidget that times its paints,
and the growing, self-thinning row buffer the loss curves draw from (pyqtgraph's scrollingPlots
pattern: a preallocated NumPy buffer that doubles when full)."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that adds the CPU time of its paints to `paint_seconds` (the redraw budget
    counts painting, which Qt does after the redraw tick, in a later turn of the event loop)."""

    paint_seconds = 0.0

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt override)
        start = time.thread_time()
        super().paintEvent(ev)
        self.paint_seconds += time.thread_time() - start


class GrowingBuffer:
    """Rows of floats appended in chunks; `view()` is the filled part (no copy).

    With `max_rows`, a full buffer averages each pair of neighbouring rows into one and from
    then on stores the mean of every `stride` rows appended (the newest, incomplete group shows
    as the last row), so a run of any length holds at most max_rows + 1 rows, evenly spaced.
    """

    def __init__(self, columns: int, capacity: int = 4096, max_rows: int | None = None) -> None:
        self._data = np.empty((capacity, columns), dtype=np.float64)
        self.max_rows = max_rows
        self.clear()

    def append(self, rows: np.ndarray) -> None:
        rows = np.atleast_2d(rows)
        if self.stride == 1 and (self.max_rows is None or self.n + len(rows) <= self.max_rows):
            self._put(rows)
            return
        for row in rows:                  # a few dozen rows an update
            self._sum += row
            self._count += 1
            if self._count == self.stride:
                mean = self._sum[None] / self.stride
                self._sum[:] = 0.0
                self._count = 0
                self._put(mean)
        if self._count:
            self._data[self.n] = self._sum / self._count      # _put keeps a spare row for it

    def _put(self, rows: np.ndarray) -> None:
        need = self.n + len(rows) + 1
        if need > len(self._data):
            size = 2 * len(self._data)
            if self.max_rows is not None:     # it never holds more than max_rows + 1
                size = min(size, self.max_rows + 1)
            grown = np.empty((max(need, size), self._data.shape[1]), dtype=np.float64)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n: self.n + len(rows)] = rows
        self.n += len(rows)
        if self.max_rows is not None and self.n >= self.max_rows:
            self._halve()

    def _halve(self) -> None:
        pairs, odd, data = self.n // 2, self.n % 2, self._data
        last = data[self.n - 1].copy()
        data[:pairs] = 0.5 * (data[0:2 * pairs:2] + data[1:2 * pairs:2])
        self.n = pairs
        if odd:                           # the unpaired row is half of the next group
            self._sum += last * self.stride
            self._count += self.stride
        self.stride *= 2

    def view(self) -> np.ndarray:
        return self._data[: self.n + (1 if self._count else 0)]

    def clear(self) -> None:
        self.n = 0
        self.stride = 1                   # appended rows per stored row
        self._sum = np.zeros(self._data.shape[1])
        self._count = 0
