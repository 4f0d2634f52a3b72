"""The folder dialog's scan runs off the GUI thread, can be cancelled, and proposes only sizes the
model can use (issue 8, item 4 GUI part and "also seen")."""
import os
import threading

import numpy as np
import pytest
from PIL import Image

import vaegui.commands.folder_dialog as folder_dialog
from engine import ScanCancelled
from vaegui.commands.folder_dialog import FolderOptionsDialog


def images(folder, n=3, size=(24, 18)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.zeros(size, np.uint8)).save(folder / f"{i}.png")
    return folder


def test_the_scan_runs_in_a_worker_and_closing_the_dialog_cancels_it(qtbot, tmp_path, monkeypatch):
    entered, scan_threads, saw_cancel = threading.Event(), [], threading.Event()
    real_scan = folder_dialog.scan_folder

    def slow_scan(path, cancelled):
        scan_threads.append(threading.current_thread())
        entered.set()
        while not cancelled():                 # a folder that takes forever to list
            threading.Event().wait(0.01)
        saw_cancel.set()
        raise ScanCancelled("scan cancelled")

    monkeypatch.setattr(folder_dialog, "scan_folder", slow_scan)
    dlg = FolderOptionsDialog(str(images(tmp_path / "slow")))   # returns while the scan runs
    qtbot.addWidget(dlg)
    assert entered.wait(10) and scan_threads[0] is not threading.main_thread()
    assert dlg.scanning and "Scanning" in dlg.scan_label.text()
    assert not dlg.buttons.button(dlg.buttons.Ok).isEnabled()
    dlg.reject()
    assert saw_cancel.wait(10)

    monkeypatch.setattr(folder_dialog, "scan_folder", real_scan)
    dlg = FolderOptionsDialog(str(images(tmp_path / "ok")))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.scan is not None, timeout=10000)
    assert not dlg.scanning and dlg.buttons.button(dlg.buttons.Ok).isEnabled()


def test_a_newer_choice_wins_over_an_older_scan(qtbot, tmp_path):
    dlg = FolderOptionsDialog(str(images(tmp_path / "a", size=(24, 18))))
    qtbot.addWidget(dlg)
    dlg.path_edit.setText(str(images(tmp_path / "b", size=(10, 12))))
    dlg.rescan()
    qtbot.waitUntil(lambda: dlg.scan is not None, timeout=10000)
    qtbot.waitUntil(lambda: dlg.scan_job.idle, timeout=10000)  # the first scan has ended too: its result was ignored
    assert dlg.scan.path.name == "b" and (dlg.width_spin.value(), dlg.height_spin.value()) == (12, 10)


def test_a_scan_error_is_one_red_line(qtbot, tmp_path):
    dlg = FolderOptionsDialog(str(tmp_path / "missing"))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: "no such folder" in dlg.scan_label.text(), timeout=10000)
    assert not dlg.buttons.button(dlg.buttons.Ok).isEnabled()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_to_the_root_is_not_walked_and_tiny_images_get_a_usable_size(qtbot, tmp_path):
    folder = images(tmp_path / "dots", size=(1, 1))
    os.symlink("/", folder / "all")
    dlg = FolderOptionsDialog(str(folder))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.scan is not None, timeout=10000)
    assert dlg.scan.skipped == [("all", "link to outside the folder (not followed)")]
    assert dlg.options()[1] == dlg.scan.suggested_size == (4, 4)   # proposed as used, never forced
