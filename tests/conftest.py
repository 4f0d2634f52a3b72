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
    panel = win.panels["training"]
    panel.hidden_edit.setText("64")
    panel.epochs_spin.setValue(2)
    panel.batch_spin.setValue(100)
    panel.lr_spin.setValue(0.003)
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
