"""GUI responsiveness benchmark: the numbers the README quotes.

1. click on the latent map -> decoded image painted (median over many clicks), target <= 8 ms
2. a 20x20 manifold decoded and drawn (median), target <= 30 ms
3. while training MNIST in the app: the longest gap of a 10 ms QTimer (event-loop stall),
   target <= 50 ms; plus in-app training speed as a share of headless speed, target >= 90 %
   (headless and in-app runs alternate, and the best of each is compared, so that load from
   other processes on the machine hits both sides alike)
4. closing the window mid-training until every thread is joined, target < 1 s
5. start-up: launching `python main.py` to the window being ready (median of runs), target <= 2.5 s

With --all-panels every tabbed panel floats in its own window, so all of them are visible (and
paint) while training, with a point selected so traversals and neighbours have work to do.
With --arch conv the runs train the README's conv model (channels 32,64, hidden 256) instead of
the default MLP (use --train-subset: a full MNIST conv epoch takes about 25 s).

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a display is set. Usage:
    python benchmarks/bench_gui.py [--epochs 3] [--rounds 2] [--train-subset N] [--skip-training] [--all-panels]
                                   [--arch mlp|conv]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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
from PyQt5.QtWidgets import QApplication  # noqa: E402

import engine  # noqa: E402,F401  first: it sets OpenBLAS's thread behaviour before NumPy loads


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def bench_click(win, n: int = 200) -> float:
    """Median ms from a left click on the map to the decoded image painted."""
    view = win.map_panel.view
    rng = np.random.default_rng(0)
    times = []
    for _ in range(n):
        x, y = rng.uniform(-3, 3, 2)
        pos = view.mapFromScene(view.vb.mapViewToScene(QPointF(x, y)))
        t0 = time.perf_counter()
        QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, pos)
        win.panels["inspector"].decoded.repaint()   # paint now, synchronously
        times.append(time.perf_counter() - t0)
        QApplication.processEvents()
    return _ms(statistics.median(times))


def bench_manifold(win, n: int = 40) -> float:
    """Median ms to decode a 20x20 manifold over the view and repaint the map."""
    win.map_panel.grid_spin.setValue(20)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        win.map_panel.refresh_manifold()
        win.map_panel.view.viewport().repaint()
        times.append(time.perf_counter() - t0)
    return _ms(statistics.median(times))


def _app_run(win, epochs: int) -> tuple[float, list[float]]:
    """One training run in the app; returns (wall seconds, gaps of a 10 ms QTimer in s)."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(tick)
    loop = QEventLoop()                     # a real event loop, as in the app (no polling)

    def quit_when_idle(state) -> None:
        if state.phase == "idle" and state.outcome:
            loop.quit()
    win.session.training_changed.connect(quit_when_idle)
    win.panels["training"].epochs_spin.setValue(epochs)
    t0 = time.perf_counter()
    win.panels["training"].start()
    last[0] = time.perf_counter()
    timer.start(10)
    loop.exec_()
    seconds = time.perf_counter() - t0
    timer.stop()
    win.session.training_changed.disconnect(quit_when_idle)
    return seconds, gaps[1:]


def _headless_run(win, ds, epochs: int) -> float:
    """The same run as the CLI does it: build the model, pull the generator, nothing else."""
    from engine import VAE, Trainer
    vcfg = win.panels["training"].vae_config(ds.image_shape)
    tcfg = win.panels["training"].train_config()
    t0 = time.perf_counter()
    trainer = Trainer(VAE(vcfg, seed=tcfg.seed), ds, tcfg)
    for _ in trainer.run():
        pass
    return time.perf_counter() - t0


def bench_training(win, epochs: int, subset: int | None, rounds: int = 2) -> dict:
    """Alternate headless and in-app runs (so background load hits both alike); compare the best."""
    from engine import load_mnist
    ds = load_mnist()
    if subset:
        ds = ds.subset(subset, 10000)
    win.session.add_dataset("bench", ds, None)
    win.panels["training"].epochs_spin.setValue(epochs)
    snapshots = []
    win.session.snapshot_changed.connect(snapshots.append)
    app_t, cli_t, gaps = [], [], []
    for _ in range(rounds):
        cli_t.append(_headless_run(win, ds, epochs))
        seconds, g = _app_run(win, epochs)
        app_t.append(seconds)
        gaps.extend(g)
    g = np.array(gaps) * 1000
    return {"max_gap_ms": float(g.max()), "p99_gap_ms": float(np.percentile(g, 99)),
            "ticks": len(g), "app_seconds": min(app_t), "cli_seconds": min(cli_t),
            "speed_ratio": min(cli_t) / min(app_t), "median_ratio": statistics.median(cli_t) / statistics.median(app_t),
            "snapshots": len(snapshots), "rounds": rounds}


def bench_close_mid_run(win) -> float:
    """Seconds from close() in the middle of a training run to the window closed with every
    thread joined (target: under 1 s)."""
    win.panels["training"].epochs_spin.setValue(50)
    win.panels["training"].start()
    deadline = time.perf_counter() + 60
    while win.panels["loss"].batches_plotted < 5 and time.perf_counter() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    t0 = time.perf_counter()
    win.close()
    seconds = time.perf_counter() - t0
    assert not win.session.workers.busy
    return seconds


def bench_startup(runs: int = 3) -> float:
    """Median seconds from launching `python main.py` to the window being shown and idle."""
    times = []
    env = dict(os.environ, LATENT_LAB_NO_CONFIRM="1")
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--startup-time"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        times.append(time.perf_counter() - t0)
        p.wait(timeout=30)
        assert "window ready" in line, line
    return statistics.median(times)


def show_all_panels(win) -> None:
    """Float every tabbed dock so that every panel is on screen at once."""
    for dock in win.docks.values():
        if win.tabifiedDockWidgets(dock):
            dock.setFloating(True)
            dock.show()
            dock.resize(360, 300)
    QApplication.processEvents()
    hidden = [name for name, panel in win.panels.items() if not panel.isVisible()]
    assert not hidden, f"panels not visible: {hidden}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3, help="epochs of full MNIST per training run (default 3)")
    ap.add_argument("--train-subset", type=int, default=None, help="train on the first N MNIST images only")
    ap.add_argument("--rounds", type=int, default=2, help="alternating headless / in-app runs (default 2)")
    ap.add_argument("--skip-training", action="store_true", help="skip the training / event-loop test")
    ap.add_argument("--all-panels", action="store_true", help="every panel visible at once (tabs floated)")
    ap.add_argument("--arch", choices=("mlp", "conv"), default="mlp", help="the model the training runs train")
    args = ap.parse_args()

    from engine import VAE, VAEConfig
    from vaegui import MainWindow, ensure_app
    app = ensure_app()
    use_temporary_settings()                    # never the user's own layout
    win = MainWindow(confirm=False)
    win.show()
    QApplication.processEvents()
    win.session.set_model(VAE(VAEConfig(hidden=(400,), latent_dim=2), seed=0))   # the default architecture
    QApplication.processEvents()
    if args.all_panels:
        show_all_panels(win)

    click = bench_click(win)
    manifold = bench_manifold(win)
    print(f"click -> decoded image on screen: {click:.2f} ms median (target <= 8 ms)", flush=True)
    print(f"20x20 manifold decoded and drawn: {manifold:.2f} ms median (target <= 30 ms)", flush=True)
    if not args.skip_training:
        if args.arch == "conv":
            panel = win.panels["training"]
            panel.arch_combo.setCurrentIndex(panel.arch_combo.findData("conv"))
            panel.channels_edit.setText("32,64")
            panel.hidden_edit.setText("256")
        if args.all_panels:     # each run starts a new model: select a point in it for the traversals
            win.session.training_changed.connect(
                lambda st: st.phase == "running" and win.session.selected is None and win.map_panel.click_at(0.5, -0.5))
        r = bench_training(win, args.epochs, args.train_subset, args.rounds)
        print(f"event loop while training MNIST, {args.arch} ({r['rounds']} runs of {args.epochs} epoch(s), {r['ticks']} ticks "
              f"of a 10 ms timer): longest gap {r['max_gap_ms']:.1f} ms, 99th percentile {r['p99_gap_ms']:.1f} ms "
              f"(target <= 50 ms)")
        print(f"training speed in the app: {100 * r['speed_ratio']:.1f} % of headless (best run {r['app_seconds']:.2f} s "
              f"in the app vs {r['cli_seconds']:.2f} s headless; medians give {100 * r['median_ratio']:.1f} %) "
              f"(target >= 90 %)", flush=True)
    close = bench_close_mid_run(win)
    print(f"close mid-training to every thread joined: {close:.2f} s (target < 1 s)", flush=True)
    start = bench_startup()
    print(f"start-up to window ready (MNIST loaded): {start:.2f} s median of 3 (target <= 2.5 s)", flush=True)
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
