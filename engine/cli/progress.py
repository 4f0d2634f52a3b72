"""A data set's loading, said on stderr as it happens: one self-rewriting line while it scans and decodes.

The engine reports through callbacks (scan_folder's entries seen and images found, load_folder's
images decoded); a ticker thread redraws the latest numbers every REDRAW_SECONDS, so the line
appears within FIRST_SECONDS even while the walk sits in one huge folder or a slow disk.  Loads
that finish sooner print nothing.  On a terminal the line is erased at the end; in a log it
ends with a newline.
"""
from __future__ import annotations

import sys
import threading
from typing import TextIO

from ..text import printable

FIRST_SECONDS = 0.5
REDRAW_SECONDS = 0.25


class LoadProgress:
    """Use as `with LoadProgress(name) as p:` and give p.scanning and p.decoding to the loader."""

    def __init__(self, name: str, stream: TextIO | None = None, doing: str = "loading") -> None:
        self.name, self.stream = printable(name), stream or sys.stderr
        self._text = f"{doing} {self.name} ..."        # until the loader reports (arrays, IDX files never do)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._width = 0
        self._thread = threading.Thread(target=self._tick, name="load-progress", daemon=True)

    def scanning(self, seen: int, images: int) -> None:
        self._set(f"scanning {self.name}: {seen:,} files and folders seen, {images:,} images")

    def decoding(self, done: int, total: int) -> None:
        self._set(f"decoding {self.name}: {done:,} of {total:,} images")

    def _set(self, text: str) -> None:
        with self._lock:
            self._text = text

    def _tick(self) -> None:
        if self._stop.wait(FIRST_SECONDS):
            return
        while True:
            with self._lock:
                text = self._text
                self.stream.write("\r" + text + " " * max(0, self._width - len(text)))
                self.stream.flush()
                self._width = len(text)
            if self._stop.wait(REDRAW_SECONDS):
                return

    def __enter__(self) -> LoadProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self._width:
            tty = getattr(self.stream, "isatty", lambda: False)()
            self.stream.write("\r" + " " * self._width + "\r" if tty else "\n")
            self.stream.flush()
