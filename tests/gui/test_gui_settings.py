"""Damaged settings never break the app (issue 8, item 12): values of the wrong type are
ignored, folder lists are capped."""
import pytest
from PyQt5.QtCore import QByteArray, QSettings
from PyQt5.QtWidgets import QFileDialog


@pytest.fixture
def settings():
    from vaegui.app import APP_NAME, ORG_NAME
    s = QSettings(ORG_NAME, APP_NAME)
    yield s
    for key in ("recentFolders", "lastModelDir", "lastExportDir", "geometry", "windowState"):
        s.remove(key)
    s.sync()


def _window(qtbot, small_mnist):
    from vaegui import MainWindow
    win = MainWindow(dataset=small_mnist, confirm=False)
    qtbot.addWidget(win)
    return win


@pytest.mark.parametrize("value", [42, {"a": 1}, [1, None, b"x", "/data/ok"], QByteArray(b"junk"), 3.5, True])
def test_recent_folders_of_the_wrong_type_do_not_stop_the_app(qtbot, small_mnist, settings, value):
    settings.setValue("recentFolders", value)
    settings.setValue("geometry", "not a geometry")
    settings.setValue("windowState", 7)
    settings.sync()
    win = _window(qtbot, small_mnist)                 # starts
    entries = [a.text() for a in win.recent_menu.actions()]
    assert all(isinstance(p, str) and p for p in win.commands.recent_folders())
    assert entries == (["/data/ok"] if isinstance(value, list) else [])
    win.session.shutdown()


def test_recent_folders_are_capped(qtbot, small_mnist, settings):
    settings.setValue("recentFolders", [f"/data/{i}" for i in range(5000)])
    settings.sync()
    win = _window(qtbot, small_mnist)
    assert len(win.recent_menu.actions()) == 10
    win.commands.remember_folder("/data/new")
    assert win.commands.recent_folders()[:2] == ["/data/new", "/data/0"]
    assert len(settings.value("recentFolders")) == 10
    win.session.shutdown()


@pytest.mark.parametrize("value", [["/a", "/b"], b"/bytes", QByteArray(b"/qbytes"), 12, ""])
def test_a_damaged_last_model_folder_does_not_break_open_or_save(qtbot, small_mnist, settings, monkeypatch,
                                                                 value):
    from engine import VAE, VAEConfig
    settings.setValue("lastModelDir", value)
    settings.setValue("lastExportDir", value)
    settings.sync()
    win = _window(qtbot, small_mnist)
    starts = []

    def dialog(parent, title, start, *filters):
        starts.append(start)
        return "", ""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    assert not win.commands.open_model()               # Ctrl+O: the dialog opens, the user cancels
    win.session.set_model(VAE(VAEConfig(hidden=(8,))))
    assert not win.commands.save_model(ask=True)
    assert not win.commands.export_history()           # nothing to export yet: no dialog
    assert len(starts) == 2 and all(isinstance(s, str) for s in starts)
    win.session.shutdown()
