"""Names from the file system made safe to print: one line, no terminal escape sequences.

A file may be called `evil\\nerror: FAKE LINE.png` or hold ESC [ ... sequences that recolour or
clear a terminal, and a name that is not valid UTF-8 reaches Python as lone surrogates, which
cannot even be encoded for printing.  `printable` escapes all of these, the way repr does
(\\n, \\x1b, \\u202e, \\xff for an undecodable byte), and leaves every printable character,
backslashes (Windows paths) and spaces alone.  Every data report, error message and CLI line
that shows a name passes it through here; the GUI uses the same helper.
"""
from __future__ import annotations

import os

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:                 # os.fsdecode's surrogateescape: an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(name: str | os.PathLike | bytes) -> str:
    """The name with every non-printable character (control characters, line and paragraph
    separators, format characters such as bidirectional overrides, lone surrogates) escaped."""
    text = os.fsdecode(name) if isinstance(name, bytes) else os.fspath(name) if isinstance(name, os.PathLike) \
        else str(name)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)
