"""`runs`: list, show, delete and export the run history (see docs/runs.md).

    python -m engine runs [--data NAME] [--status S] [--json]
    python -m engine runs show ID [--json]
    python -m engine runs delete ID
    python -m engine runs export-csv FILE
Every form takes --home DIR (default: $LATENT_LAB_HOME, else the platform's data folder).
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from ..runs import STATUSES, RunHistory, RunSummary
from . import checks as check
from .common import CliError

NAME = "runs"


def add_home_argument(p: argparse.ArgumentParser, default=None) -> None:
    p.add_argument("--home", type=Path, default=default,
                   help="data folder holding the run history (default: $LATENT_LAB_HOME, else the platform's)")


def history_for(a: argparse.Namespace) -> RunHistory:
    return RunHistory(getattr(a, "home", None))


def add_record_arguments(p: argparse.ArgumentParser) -> None:
    """--home and --no-record, for commands that train."""
    add_home_argument(p)
    p.add_argument("--no-record", action="store_true", help="do not record this run in the run history")


def recording_history(a: argparse.Namespace) -> RunHistory | None:
    """The history a training command records into, or None with --no-record."""
    return None if a.no_record else history_for(a)


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(NAME, help="list, show, delete or export recorded runs")
    add_home_argument(r)
    r.add_argument("--data", default=None, help="only runs on the data set of this name")
    r.add_argument("--status", choices=STATUSES, default=None, help="only runs with this status")
    r.add_argument("--json", action="store_true", help="one JSON object a line")
    actions = r.add_subparsers(dest="action", parser_class=type(r))
    show = actions.add_parser("show", help="one run with its epochs")
    show.add_argument("id", type=check.integer(1), help="run id")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="as one JSON object")
    delete = actions.add_parser("delete", help="delete a run and its files")
    delete.add_argument("id", type=check.integer(1), help="run id")
    export = actions.add_parser("export-csv", help="write the history as CSV, one row per epoch")
    export.add_argument("file", type=Path, help="CSV file to write")
    for p in (show, delete, export):
        add_home_argument(p, default=argparse.SUPPRESS)


def run(a: argparse.Namespace) -> int:
    history = history_for(a)
    if a.action == "show":
        return _show(history, a.id, a.json)
    if a.action == "delete":
        history.delete(a.id)
        print(f"deleted run {a.id}", file=sys.stderr)
        return 0
    if a.action == "export-csv":
        if a.file.is_dir():
            raise CliError(f"{a.file} is a folder; name the CSV file to write")
        rows = history.export_csv(a.file)
        print(f"wrote {a.file} ({rows} rows)", file=sys.stderr)
        return 0
    runs = history.list_runs(data_name=a.data, status=a.status)
    if a.json:
        for r in runs:
            print(json.dumps(r.to_dict()))
    else:
        _table(runs)
    return 0


def _show(history: RunHistory, run_id: int, as_json: bool) -> int:
    run = history.get(run_id)
    epochs = history.epochs(run_id)
    if as_json:
        print(json.dumps({**run.to_dict(), "epoch_records": [e.to_dict() for e in epochs]}))
        return 0
    _table([run])
    for key in ("data_path", "data_fingerprint", "model_path", "thumbnail_path", "error"):
        if getattr(run, key):
            print(f"{key}: {getattr(run, key)}")
    print("config:", json.dumps(run.model_config), json.dumps(run.train_config))
    print(f"{'epoch':>5} {'train':>9} {'test':>9} {'recon':>9} {'KL':>8} {'active':>6}")
    for e in epochs:
        active = "" if e.active_units is None else e.active_units
        print(f"{e.epoch:>5} {e.train_loss:9.2f} {e.test_loss:9.2f} {e.recon:9.2f} {e.kl:8.2f} {active:>6}")
    return 0


def _table(runs: list[RunSummary]) -> None:
    if not runs:
        print("no runs recorded", file=sys.stderr)
        return
    print(f"{'id':>4}  {'status':<11} {'created':<16} {'data':<16} {'arch':<4} {'latent':>6} {'beta':>6} "
          f"{'epochs':>6} {'test loss':>9}")
    for r in runs:
        created = datetime.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M")
        loss = "" if r.final is None else f"{r.final.test_loss:9.2f}"
        epochs = f"{r.epochs}/{r.epochs_planned}" if r.epochs_planned else str(r.epochs)
        print(f"{r.id:>4}  {r.status:<11} {created:<16} {(r.data_name or '')[:16]:<16} "
              f"{r.model_config.get('arch', ''):<4} {r.latent_dim:>6} {r.beta:>6g} {epochs:>6} {loss:>9}")
