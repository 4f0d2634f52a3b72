"""`python -m engine`: train, evaluate and sample VAEs without the GUI.

Each command is one module of this package with `NAME`, `add_parser(subparsers)` and `run(args)`;
a new command is a new module plus one entry in COMMANDS.  Errors print one line on stderr and
exit non-zero; there are no tracebacks for bad input.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import EngineError
from . import evaluate, export_data, sample, train
from . import edit, export_codes, mislabels, rank
from .common import PROG, CliError, Parser, image_size_arg

COMMANDS = (train, evaluate, sample, export_data, edit, rank, mislabels, export_codes)

__all__ = ["COMMANDS", "CliError", "build_parser", "image_size_arg", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description="Train, evaluate and sample variational autoencoders (NumPy).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        run = {command.NAME: command.run for command in COMMANDS}[args.command]
        return run(args)
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
