"""Issue 25, class 6: file names are printed escaped, so a name cannot forge a line or reach the
terminal as an escape sequence."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine import DataError
from engine.data import load_folder
from engine.text import printable

ROOT = Path(__file__).resolve().parent.parent
FORGED = "evil\nerror: FAKE LINE.png"
COLOURED = "\x1b[31mred\x1b[0m.png"


@pytest.mark.parametrize("name, shown", [
    (FORGED, "evil\\nerror: FAKE LINE.png"),
    (COLOURED, "\\x1b[31mred\\x1b[0m.png"),
    ("tab\there\r.png", "tab\\there\\r.png"),
    ("rtl\u202egnp.exe", "rtl\\u202egnp.exe"),
    (b"bad\xff.png".decode("utf-8", "surrogateescape"), "bad\\xff.png"),
    (b"raw\xfe.png", "raw\\xfe.png"),
    ("C:\\Users\\ana\\caf\u00e9 digits", "C:\\Users\\ana\\caf\u00e9 digits"),   # printable text is kept
    (Path("a\nb"), "a\\nb"),
])
def test_class6_printable_escapes_what_a_terminal_would_act_on(name, shown):
    assert printable(name) == shown
    assert printable(printable(name)) == shown          # escaping twice changes nothing


def hostile_folder(root: Path) -> Path:
    folder = root / "digits"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (8, 8), 40 * i).save(folder / f"ok{i}.png")
    (folder / FORGED).write_bytes(b"not an image")
    (folder / COLOURED).write_bytes(b"")
    return folder


def test_class6_the_skipped_files_report_escapes_names(tmp_path):
    report = load_folder(hostile_folder(tmp_path), cache_dir=tmp_path / "cache", workers=1)
    details = report.details()
    assert len(details.splitlines()) == 2 and "\x1b" not in details
    assert "evil\\nerror: FAKE LINE.png: " in details


def test_class6_an_engine_error_naming_a_file_is_one_printable_line(tmp_path):
    with pytest.raises(DataError) as err:
        load_folder(tmp_path / "gone\n\x1b[2J")
    assert str(err.value).isprintable() and "gone\\n\\x1b[2J" in str(err.value)


def test_class6_the_cli_report_has_no_forged_line_and_no_escape_sequence(tmp_path):
    folder = hostile_folder(tmp_path)
    r = subprocess.run([sys.executable, "-m", "engine", "export-data", str(folder), str(tmp_path / "out.npz")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, LATENT_LAB_CACHE=str(tmp_path / "cache")))
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stderr
    assert not any(line.startswith("error: FAKE") for line in r.stderr.splitlines()), r.stderr
    assert "evil\\nerror: FAKE LINE.png" in r.stderr


def test_class6_a_cli_error_about_a_hostile_path_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "engine", "evaluate", str(tmp_path / "x\nerror: FAKE.npz")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "x\\nerror: FAKE.npz" in r.stderr
