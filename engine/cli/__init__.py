"""`python -m engine`: train, evaluate and sample VAEs without the GUI.

Each command is one module of this package with `NAME`, `add_parser(subparsers)` and `run(args)`;
a new command is a new module plus one entry in COMMANDS.  Errors print one line on stderr and
exit non-zero; there are no tracebacks for bad input.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import EngineError
from ..text import printable
from . import (
    decode,
    edit,
    encode,
    evaluate,
    export_codes,
    export_data,
    export_model,
    mislabels,
    rank,
    runs,
    sample,
    sweep,
    train,
)
from .common import PROG, CliError, Parser, Terminated, image_size_arg, os_error_message, stop_cleanly_on_sigterm

COMMANDS = (train, evaluate, sample, export_data,
            runs, sweep, export_model, encode, decode,
            edit, rank, mislabels, export_codes)

__all__ = ["COMMANDS", "CliError", "build_parser", "image_size_arg", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description="Train, evaluate and sample variational autoencoders (NumPy).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    stop_cleanly_on_sigterm()
    try:
        args = build_parser().parse_args(argv)
        run = {command.NAME: command.run for command in COMMANDS}[args.command]
        return run(args)
    except CliError as exc:
        print(f"{PROG}: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print(f"{PROG}: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
