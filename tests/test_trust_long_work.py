"""Issue 25, class 4: long work says what it is doing, can be limited, and stops cleanly.

Scans report (entries seen, images found) as they walk; the CLI shows it on stderr; a folder
over --max-files is refused naming the flag, folders below --max-depth are listed as skipped;
SIGTERM and SIGINT stop a load whose worker pool is running, leaving no pymp-* folder, no
leaked semaphore and no orphan worker.
"""
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PIL import Image

from engine.cli import common as cli_common
from engine.cli import main
from engine.cli import progress as cli_progress
from engine.data import ScanLimitReached, ScanLimits, load_folder, scan_folder
from engine.data import scan as scan_mod

ROOT = Path(__file__).resolve().parent.parent


def image_tree(root: Path, classes: int = 3, per_class: int = 10, depth: int = 1) -> Path:
    for c in range(classes):
        folder = root / f"class{c}"
        for d in range(depth - 1):
            folder = folder / f"level{d}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.new("L", (6, 6), (i * 20 + c) % 256).save(folder / f"{i}.png")
    return root


def test_class4_a_scan_reports_entries_seen_and_images_found(tmp_path, monkeypatch):
    root = image_tree(tmp_path / "data", classes=4, per_class=300)
    (root / "class0" / "notes.txt").write_text("not an image")
    monkeypatch.setattr(scan_mod, "PROGRESS_SECONDS", 0.0)     # every chance to report is taken
    calls = []
    scan = scan_folder(root, progress=lambda seen, images: calls.append((seen, images)))
    assert len(calls) >= 3 and calls == sorted(calls)
    assert calls[-1] == (4 + 1201, 1200) and len(scan.files) == 1201


def test_class4_a_scan_over_its_file_limit_is_refused_saying_so(tmp_path):
    root = image_tree(tmp_path / "data", classes=2, per_class=30)
    with pytest.raises(ScanLimitReached, match="holds more than 50 files and folders, the most a scan walks") as err:
        scan_folder(root, limits=ScanLimits(max_entries=50))
    assert err.value.limit == 50
    assert len(scan_folder(root, limits=ScanLimits(max_entries=62)).files) == 60


def test_class4_folders_below_the_depth_limit_are_listed_as_skipped(tmp_path):
    root = image_tree(tmp_path / "data", classes=2, per_class=3, depth=3)     # class/level0/level1/x.png
    scan = scan_folder(root, limits=ScanLimits(max_depth=2))
    assert scan.files == [] and ("class0/level0/level1", "more than 2 folders deep") in scan.skipped


def test_class4_the_cli_refuses_a_folder_over_max_files_naming_the_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))
    root = image_tree(tmp_path / "data", classes=2, per_class=30)
    assert main(["export-data", str(root), str(tmp_path / "out.npz"), "--max-files", "20"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "more than 20 files and folders" in err and "raise --max-files, now 20" in err
    assert main(["export-data", str(root), str(tmp_path / "out.npz"), "--max-depth", "0"]) == 1
    assert "more than 0 folders deep" in capsys.readouterr().err


def test_class4_the_progress_line_is_drawn_while_loading_takes_long(monkeypatch):
    monkeypatch.setattr(cli_progress, "FIRST_SECONDS", 0.0)
    stream = SignallingStream("1,234 files and folders seen, 1,000 images")
    with cli_progress.LoadProgress("faces\n", stream) as progress:
        progress.scanning(1234, 1000)
        assert stream.written.wait(10), "the ticker thread never drew the line"
        progress.decoding(10, 1000)
    text = stream.getvalue()
    assert "\rscanning faces\\n: 1,234 files and folders seen, 1,000 images" in text
    assert text.endswith("\n") and text.count("\n") == 1         # not on a terminal: ends with a newline


def test_class4_the_cli_passes_scan_and_decode_progress_to_the_loader(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cli_progress, "FIRST_SECONDS", 0.0)
    root = image_tree(tmp_path / "data", classes=2, per_class=5)
    real = cli_common.load_dataset_with_report
    seen = {}

    def loader(spec, **options):
        seen.update(options)
        options["scan_progress"](7, 5)
        assert stderr.written.wait(10), "the progress line was never drawn"   # a load as long as that
        return real(spec, **options)
    stderr = SignallingStream("scanning")
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(cli_common, "load_dataset_with_report", loader)
    assert main(["export-data", str(root), str(tmp_path / "out.npz"), "--max-depth", "3"]) == 0
    assert seen["scan_limits"] == ScanLimits(cli_common.MAX_SCAN_ENTRIES, 3)
    assert "scanning" in stderr.getvalue()
    report = load_folder(root, cache_dir=tmp_path / "c2", workers=1, progress=lambda d, t: seen.setdefault("d", d),
                         scan_progress=lambda s, i: seen.setdefault("s", (s, i)))
    assert seen["s"] == (12, 10) and report.loaded == 10


class SignallingStream(io.StringIO):
    """A text stream whose `written` event is set once what was written contains `text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.written = text, threading.Event()

    def write(self, s: str) -> int:
        n = super().write(s)
        if self.text in self.getvalue():
            self.written.set()
        return n


SLOW_DECODER = '''
import sys
import time
DECODING = 'slow decoder: a chunk started'
from engine.data import decode
_real = decode.decode_chunk


def decode_chunk(*args):
    print(DECODING, file=sys.stderr, flush=True)   # the test signals once a worker is at work
    time.sleep(0.3)          # each chunk takes a while, so the pool is busy when the signal comes
    return _real(*args)
'''

RUN_EXPORT = '''
import sys
import slow_decoder
from engine.data import decode, workers
workers.POOL_MIN_SECONDS = 0.0          # use the pool even for a small folder
workers.CHUNK_MAX_FILES = 2
decode.decode_chunk = slow_decoder.decode_chunk    # the workers import it by name
from engine.cli import main
sys.exit(main(["export-data", sys.argv[1], sys.argv[2]]))
'''


# SIGTERM as `kill PID` sends it; SIGINT as Ctrl-C in a terminal does, to the whole process group
@pytest.mark.parametrize("signum, group, code, word", [(signal.SIGTERM, False, 143, "terminated"),
                                                       (signal.SIGINT, True, 130, "interrupted")],
                         ids=["SIGTERM", "SIGINT to the group"])
def test_class4_a_signal_stops_the_worker_pool_cleanly(tmp_path, signum, group, code, word):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    (tmp_path / "slow_decoder.py").write_text(SLOW_DECODER)
    root = image_tree(tmp_path / "data", classes=2, per_class=20)
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]),
               LATENT_LAB_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(RUN_EXPORT), str(root), str(tmp_path / "o.npz")],
                            env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        before = []                              # stderr up to the first worker's "a chunk started"
        while not before or "slow decoder: a chunk started" not in before[-1]:
            line = proc.stderr.readline()
            assert line, "the load ended before a worker decoded: " + "".join(before)
            before.append(line)
        assert proc.poll() is None, "the load ended before the signal"
        os.killpg(proc.pid, signum) if group else proc.send_signal(signum)
        err = "".join(before) + proc.communicate(timeout=60)[1]   # returns once no process holds stderr: no orphans
    finally:
        try:                                     # whatever is left of the session this test started
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == code, err
    assert err.rstrip().endswith(f"\npython -m engine: {word}"), err
    assert "Traceback" not in err and "leaked" not in err and "Error" not in err, err
    assert list(private_tmp.iterdir()) == [] and not (tmp_path / "o.npz").exists()
