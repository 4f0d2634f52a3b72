"""Memory soak: train in the app while clicking the latent map and drawing, and sample the RSS.

Issue 8 item 5: memory grew by about 2.9 MB a minute while clicking the map during training.
This script trains MNIST in the real window (offscreen unless a display is set), clicks a random
map point several times a second and draws on the draw pad every few seconds, samples the
process's resident memory every second, and reports the growth after the first epoch (the
first epoch allocates the training buffers and the explorer's first snapshot; what comes after
should be flat). Each epoch's test pass and each snapshot hold tens of MB for a moment, so a
single sample says little: the growth is that of the floor, the lowest RSS of each minute,
from the first minute after the first epoch to the last. The time-lapse keeps a frame of the
map per epoch on purpose (bounded by engine.timelapse.MAX_BYTES), so its bytes are reported
beside the growth and subtracted from it; the loss curves keep the batch history (bounded by
loss_plots.MAX_BATCH_ROWS). Once both are at their bounds, what grows is neither, and the
growth from then on is reported too. With --trace it also lists the Python allocation
sites that grew most.

OpenBLAS keeps one work buffer (a 32 MB mapping, of which the products touch a few MB) for each
thread that multiplies matrices while others do, and reuses it: the app's training threads, the
test pass's, a map decode's. A new one appears the first time that many threads overlap, which
in an app whose epochs take 5 s can be minutes after the first epoch; their resident bytes are
bounded by the number of threads and are reported and subtracted like the time-lapse's.

The floor of the resident size still moves by a few MB from run to run with the blocks of a few
MB that come and go (snapshots, decodes) and with when glibc last returned its free pages, so the
soak also reports what malloc holds (glibc's mallinfo2: bytes handed out and not given back,
vaegui.model.heap.allocated_bytes) the same way: a leak grows that too.

While a run trains, the map explores a new copy of the model every second (5 MB for the MLP
here); anything that keeps an old one holds that much more for as long as it does. So the soak
also says how often Python's garbage collector made a full pass (what only reference cycles
hold waits for one) and what such cycles still held at the end.

Usage:
    python benchmarks/soak_memory.py [--minutes 10] [--click-hz 5] [--draw-every 3] [--subset N] [--trace]
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LATENT_LAB_NO_CONFIRM"] = "1"

import numpy as np  # noqa: E402
from gui_settings import use_temporary_settings  # noqa: E402
from PyQt5.QtCore import QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PyQt5.QtTest import QTest  # noqa: E402

import engine  # noqa: E402,F401  first: it sets OpenBLAS's thread behaviour before NumPy loads
from vaegui.model.heap import allocated_bytes  # noqa: E402

MB = 1024 ** 2


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; ru_maxrss elsewhere, a peak not a level)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


BLAS_BUFFER_BYTES = 32 << 20      # OpenBLAS's BUFFER_SIZE on x86-64 (one anonymous mapping a buffer)


def blas_buffer_bytes() -> int:
    """Resident bytes of OpenBLAS's per-thread work buffers: anonymous mappings of exactly its
    buffer size (Linux /proc; 0 elsewhere). glibc's own mappings are 64 MB heaps or blocks of
    a page more than asked, so none has this size."""
    total, in_buffer = 0, False
    try:
        with open("/proc/self/smaps") as f:
            for line in f:
                head = line.split(" ", 1)[0]
                if "-" in head and ":" not in head:         # a mapping's first line
                    parts = line.split()
                    lo, hi = (int(x, 16) for x in head.split("-"))
                    in_buffer = hi - lo == BLAS_BUFFER_BYTES and len(parts) == 5     # no path: anonymous
                elif in_buffer and line.startswith("Rss:"):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0, help="soak duration (default 10)")
    p.add_argument("--click-hz", type=float, default=5.0, help="map clicks a second (default 5)")
    p.add_argument("--draw-every", type=float, default=3.0, help="seconds between draw-pad strokes (default 3)")
    p.add_argument("--sample-every", type=float, default=1.0, help="seconds between RSS samples (default 1)")
    p.add_argument("--hidden", default="400", help="hidden layer sizes (default 400)")
    p.add_argument("--subset", type=int, default=None,
                   help="train on the first N MNIST images (default: all 60,000; fewer gives more epochs)")
    p.add_argument("--trace", action="store_true", help="list the Python allocation sites that grew most")
    a = p.parse_args()

    if a.trace:
        import tracemalloc
        tracemalloc.start(8)
    from engine import load_mnist
    from vaegui import MainWindow, ensure_app
    app = ensure_app()
    use_temporary_settings()                    # never the user's own layout
    data = load_mnist()
    win = MainWindow(dataset=data.subset(a.subset, len(data.x_test)) if a.subset else data, confirm=False)
    win.show()
    panel = win.panels["training"]
    panel.hidden_edit.setText(a.hidden)
    panel.epochs_spin.setValue(panel.epochs_spin.maximum())      # outlasts the soak
    rng = np.random.default_rng(0)
    samples: list[tuple[float, int, int, int, int, int]] = []   # seconds, rss, epochs, time-lapse, BLAS, malloc
    full_at: list[float] = []                                    # when the bounded stores were full
    first_epoch_at: list[float] = []
    snapshot = []
    start = time.perf_counter()

    def lapse_bytes() -> int:
        return win.panels["timeline"].lapse.nbytes

    def stores_full() -> bool:
        """The bounded stores have reached their bounds: the time-lapse has thinned its frames
        (at most engine.timelapse.MAX_BYTES) and the loss curves their batch history (at most
        loss_plots.MAX_BATCH_ROWS rows); growth from then on is not theirs."""
        return win.panels["timeline"].lapse.stride > 1 and win.panels["loss"].batch_buf.stride > 1

    def epochs_done() -> int:
        return len(win.session.history())

    view = win.map_panel.view
    counts = {"clicks": 0, "strokes": 0}

    def click() -> None:
        """A real mouse click on the map (through pyqtgraph's scene), after hovering there."""
        if win.session.explore_model is None:
            return
        x, y = rng.uniform(-3, 3, 2)
        pos = view.mapFromScene(view.vb.mapViewToScene(QPointF(float(x), float(y))))
        QTest.mouseMove(view.viewport(), pos)
        QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, pos)
        counts["clicks"] += 1

    def draw() -> None:
        canvas = win.panels["draw"].canvas
        canvas.clear()
        pts = [(float(x), float(y)) for x, y in rng.uniform(0.2, 0.8, (6, 2))]
        canvas.stroke(pts)
        counts["strokes"] += 1

    def sample() -> None:
        now = time.perf_counter() - start
        samples.append((now, rss_bytes(), epochs_done(), lapse_bytes(), blas_buffer_bytes(), allocated_bytes() or 0))
        if not full_at and stores_full():
            full_at.append(now)
        if not first_epoch_at and samples[-1][2] >= 1:
            first_epoch_at.append(now)
            if a.trace:
                snapshot.append(tracemalloc.take_snapshot())
        t, rss, ep, lapse, blas, _ = samples[-1]
        if len(samples) % 10 != 1:
            return
        traced = f"  Python-traced {tracemalloc.get_traced_memory()[0] / MB:7.1f} MB" if a.trace else ""
        print(f"{t:7.1f} s  RSS {rss / MB:8.1f} MB  epoch {ep}  time-lapse {lapse / MB:5.1f} MB  "
              f"BLAS buffers {blas / MB:5.1f} MB{traced}",
              flush=True)

    full_collections: list[float] = []          # when Python's garbage collector made a full pass

    def on_gc(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            full_collections.append(time.perf_counter() - start)

    gc.callbacks.append(on_gc)
    timers = []
    for interval, fn in ((1000 / a.click_hz, click), (1000 * a.draw_every, draw), (1000 * a.sample_every, sample)):
        t = QTimer()
        t.timeout.connect(fn)
        t.start(int(interval))
        timers.append(t)
    loop = QEventLoop()
    QTimer.singleShot(int(a.minutes * 60 * 1000), loop.quit)
    panel.start()
    sample()
    loop.exec_()
    for t in timers:
        t.stop()
    sample()
    gc.callbacks.remove(on_gc)
    held_before = allocated_bytes() or 0
    gc.collect()                      # what only reference cycles still held at the end
    cyclic_garbage = held_before - (allocated_bytes() or 0)
    win.session.stop()
    if a.trace and snapshot:
        import tracemalloc
        stats = tracemalloc.take_snapshot().compare_to(snapshot[0], "traceback")
        print("\nPython allocation sites that grew most since the first epoch:")
        for s in stats[:8]:
            print(f"  {s.size_diff / 1024:+9.1f} KiB  {s.count_diff:+7d} blocks")
            for line in s.traceback.format()[-6:]:
                print("     ", line)
    win.session.shutdown()
    win.close()
    app.processEvents()

    if not first_epoch_at:
        print("\nthe first epoch did not end within the soak: run longer")
        return 1
    t0 = first_epoch_at[0]
    after = np.array([(t, rss, lapse, blas, held) for t, rss, _, lapse, blas, held in samples if t >= t0], np.float64)
    minutes = ((after[:, 0] - t0) // 60).astype(int)
    if minutes.max() < 1:
        print("\nless than two minutes after the first epoch: run longer")
        return 1
    per_minute = [after[minutes == m] for m in range(minutes.max() + 1)]
    floors = np.array([rows[rows[:, 1].argmin()] for rows in per_minute])    # the lowest RSS's sample
    first, last = floors[0], floors[-1]
    growth, lapse_growth, blas_growth, _ = (last[1:] - first[1:]) / MB
    print(f"\nsoak {a.minutes:g} min, {a.click_hz:g} clicks/s, a stroke every {a.draw_every:g} s, "
          f"{samples[-1][2]} epochs of {len(win.session.dataset.x_train):,} images, hidden {a.hidden}; "
          f"{counts['clicks']:,} clicks, {counts['strokes']} strokes")
    print("lowest RSS of each minute after the first epoch (MB): " + ", ".join(f"{f / MB:.1f}" for f in floors[:, 1]))
    print(f"peak RSS {after[:, 1].max() / MB:.1f} MB; at the end the time-lapse {samples[-1][3] / MB:.1f} MB, "
          f"BLAS work buffers {samples[-1][4] / MB:.1f} MB")
    print(f"growth of the floor after the first epoch: {growth:+.1f} MB, of which the time-lapse's frames "
          f"{lapse_growth:+.1f} MB and BLAS work buffers {blas_growth:+.1f} MB; "
          f"everything else {growth - lapse_growth - blas_growth:+.1f} MB")
    print(f"Python's full garbage collections during the soak: {len(full_collections)}"
          + (f", at {', '.join(f'{t:.0f}' for t in full_collections[:12])} s" if full_collections else ""))
    if held_before:
        print(f"held only by reference cycles at the end (freed by a full garbage collection): "
              f"{cyclic_garbage / MB:.1f} MB")
    if after[:, 4].any():                         # glibc: the same, for what malloc holds
        held = [rows[rows[:, 4].argmin()] for rows in per_minute]
        held_growth, held_lapse = (held[-1][4] - held[0][4]) / MB, (held[-1][2] - held[0][2]) / MB
        print("what malloc holds (lowest of each minute, MB): " + ", ".join(f"{h[4] / MB:.1f}" for h in held))
        print(f"its growth after the first epoch: {held_growth:+.1f} MB, of which the time-lapse's frames "
              f"{held_lapse:+.1f} MB; everything else {held_growth - held_lapse:+.1f} MB")
    if full_at:                                   # from the first whole minute with the stores full
        m0 = int(np.ceil((full_at[0] - t0) / 60))
        if m0 < len(floors) - 1:
            print(f"the time-lapse and the loss history reached their bounds {full_at[0]:.0f} s in; growth of the "
                  f"floor from minute {m0} to the end: {(last[1] - floors[m0][1]) / MB:+.1f} MB "
                  f"over {len(floors) - 1 - m0} min")
    else:
        print("the time-lapse and the loss history did not reach their bounds: every figure above includes them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
