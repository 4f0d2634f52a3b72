"""The session model: setters emit once and only on change, and the window's contract holds
(a new panel is one file plus one line; every panel listens to the session)."""
import numpy as np
import pytest
from PyQt5.QtWidgets import QDockWidget, QLabel, QVBoxLayout, QWidget


class CodeNormPanel(QWidget):
    """The README's example panel, verbatim in spirit: the length of the selected code."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.label = QLabel("Click the map", objectName="codeNormLabel")
        QVBoxLayout(self).addWidget(self.label)
        session.selection_changed.connect(
            lambda z: self.label.setText("" if z is None else f"|z| = {(z ** 2).sum() ** 0.5:.2f}"))


def test_a_new_panel_is_one_file_and_one_line(qtbot, small_mnist, monkeypatch):
    from vaegui import MainWindow, main_window
    monkeypatch.setattr(main_window, "PANELS", main_window.PANELS + [(CodeNormPanel, "Code norm", "codeNorm",
                                                                      main_window.R)])
    win = MainWindow(dataset=small_mnist, confirm=False)
    qtbot.addWidget(win)
    dock = win.findChild(QDockWidget, "codeNormDock")
    assert dock is not None and dock.windowTitle() == "Code norm"
    assert any(a.text() == "Code norm" for a in win.menuBar().actions()[2].menu().actions())   # View menu
    win.session.set_model(__import__("engine").VAE(__import__("engine").VAEConfig(hidden=(8,))))
    win.session.select(np.array([3.0, 4.0]))
    assert win.findChild(QLabel, "codeNormLabel").text() == "|z| = 5.00"
    win.session.shutdown()


def test_setters_emit_once_and_only_on_change(session, emits):
    s = session
    plane, sel = emits(s.plane_changed), emits(s.selection_changed)
    s.set_plane(dims=(2, 3))
    s.set_plane(dims=(2, 3))
    s.select(np.ones(4))
    s.select(np.ones(4))
    s.set_dataset(s.dataset_index)
    assert len(plane) == 1 and len(sel) == 1


def test_the_plane_refuses_one_dimension_on_both_axes(session):
    """Stale case 8: Horizontal = Vertical is refused by the session, and the chooser swaps."""
    with pytest.raises(ValueError):
        session.set_plane(dims=(1, 1))
    assert session.dims == (0, 1)


def test_a_model_change_resets_what_belonged_to_the_old_one(session):
    from engine import VAE, VAEConfig
    s = session
    s.set_plane(dims=(3, 1), base=np.arange(4.0))
    s.select(np.ones(4))
    s.drop_test_image(3)
    s.set_model(VAE(VAEConfig(hidden=(8,), latent_dim=3)))
    assert s.dims == (0, 1) and np.array_equal(s.base, np.zeros(3))
    assert s.selected is None and s.input is None and s.path_ends is None


def test_reloading_a_folder_replaces_its_entry(session, tmp_path):
    """Issue 8, item 3: one entry per folder; a reload replaces it (the old copy is freed)."""
    import gc
    import weakref
    s = session
    first = s.dataset.subset(100, 20)
    s.add_dataset("f", first, str(tmp_path))
    old = weakref.ref(first)
    n = len(s.datasets)
    del first
    s.add_dataset("f", s.datasets[0].dataset.subset(120, 20), str(tmp_path / "." ))
    gc.collect()
    assert len(s.datasets) == n and len(s.dataset.x_train) == 120
    assert old() is None                                   # nothing keeps the replaced copy
