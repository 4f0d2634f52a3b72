"""Shared test set-up: Qt runs offscreen, QSettings writes to a temporary folder."""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LATENT_LAB_NO_CONFIRM"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """Keep window geometry and recent folders of test runs out of the user's settings."""
    from PyQt5.QtCore import QSettings
    path = str(tmp_path_factory.mktemp("qsettings"))
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, path)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, path)
    yield


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory):
    """Keep the run history (and anything else under engine.home.data_dir) of test runs, and of
    the commands they start, out of the user's data folder."""
    os.environ["LATENT_LAB_HOME"] = str(tmp_path_factory.mktemp("latent_lab_home"))
    yield


@pytest.fixture(scope="session")
def small_mnist():
    """2,000 train / 500 test MNIST images: quick runs through the real worker."""
    from engine import load_mnist
    return load_mnist().subset(2000, 500)


@pytest.fixture
def window(qtbot, small_mnist, monkeypatch):
    """A MainWindow on the small MNIST subset with a small, quick model; shut down afterwards.

    Its runs train with one BLAS thread: the tests measure no speed, and on a machine whose
    cores are all busy (the stress run: two busy loops on two cores) two BLAS threads wait for
    each other at every matrix product, which made each run of the GUI tests six times longer.
    """
    import engine.training
    from vaegui import MainWindow
    monkeypatch.setattr(engine.training, "default_workers", lambda: 1)
    win = MainWindow(dataset=small_mnist, confirm=False)
    qtbot.addWidget(win)
    win.session.run_settings.set(hidden="64", epochs=2, batch_size=100, lr=0.003)   # the Training panel follows
    win.show()
    qtbot.waitExposed(win)
    yield win
    assert win.session.shutdown(), "a worker of the test did not finish"   # joined: nothing outlives the test


@pytest.fixture
def train(qtbot):
    """train(win, start=None) starts a run (Start clicked, or `start()`) and waits until it
    has ended; returns the session's TrainingState."""
    def _train(win, start=None, timeout=120000):
        s = win.session
        with qtbot.waitSignal(s.training_changed, timeout=timeout, check_params_cb=lambda st: st.phase == "idle" and bool(st.outcome)):
            (start or win.panels["training"].start)()
        return s.training
    return _train


@pytest.fixture
def session(qtbot, small_mnist):
    """A Session (no window) on the small MNIST with an untrained 4-D model; joined afterwards."""
    import engine
    from vaegui.model.session import Session
    s = Session()
    s.add_dataset("MNIST", small_mnist)
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=4)))
    qtbot.waitUntil(lambda: s.snapshot.codes is not None, timeout=10000)    # encoded in a pool job
    yield s
    assert s.shutdown()


@pytest.fixture
def encoded(qtbot):
    """encoded(session): wait until the snapshot of the model at rest has its codes (a pool job
    encodes them after an open, a pause, a run's end or another data set)."""
    def _encoded(session, timeout=10000):
        qtbot.waitUntil(lambda: not session.encoding and session.snapshot is not None
                        and session.snapshot.codes is not None, timeout=timeout)
    return _encoded


@pytest.fixture
def emits():
    """emits(signal) -> a list that collects the argument tuple of every emission."""
    def _emits(signal):
        got = []
        signal.connect(lambda *a: got.append(a))
        return got
    return _emits


@pytest.fixture
def click(qtbot):
    """click(win, "startButton"): a left click on the QPushButton of that objectName."""
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QPushButton

    def _click(win, name):
        button = win.findChild(QPushButton, name)
        assert button is not None, name
        qtbot.mouseClick(button, Qt.LeftButton)
    return _click


@pytest.fixture
def view_pos():
    """view_pos(view, x, y): the viewport pixel of plane point (x, y) of a pyqtgraph PlotWidget."""
    from PyQt5.QtCore import QPointF

    def _pos(view, x, y):
        return view.mapFromScene(view.vb.mapViewToScene(QPointF(x, y)))
    return _pos


@pytest.fixture
def settled(qtbot):
    """settled(read): wait until read() gives the same value on two polls running (a layout or a
    view range that has stopped moving), instead of a fixed wait."""
    def _settled(read, timeout=5000):
        last = [object()]

        def same():
            now = read()
            done, last[0] = now == last[0], now
            return done
        qtbot.waitUntil(same, timeout=timeout)
    return _settled


@pytest.fixture
def started(qtbot, click):
    """started(win, batches=3): click Start and wait until that many batches are plotted."""
    def _started(win, batches=3):
        click(win, "startButton")
        qtbot.waitUntil(lambda: win.panels["loss"].batches_plotted >= batches, timeout=60000)
    return _started
