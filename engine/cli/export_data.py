"""`export-data`: a data set as the loader decodes it, as uint8 arrays in an .npz."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..export_data import export_dataset
from ..text import printable
from .common import add_scan_arguments, load_with_progress, scan_limits

NAME = "export-data"


def add_parser(sub: argparse._SubParsersAction) -> None:
    x = sub.add_parser(NAME, help="write a data set as the loader decodes it, as uint8 arrays in an .npz")
    x.add_argument("data", help="'mnist', or a folder of images / IDX files / .npy arrays")
    x.add_argument("out", type=Path, help=".npz to write: x_train, x_test (uint8), y_train, y_test, class_names")
    add_scan_arguments(x)


def run(a: argparse.Namespace) -> int:
    data, summary = load_with_progress(a.data, scan_limits(a))
    if summary:
        print(summary, file=sys.stderr)
    path = export_dataset(data, a.out)
    labels = f", {len(data.class_names or [])} classes" if data.y_train is not None else ", unlabelled"
    print(f"wrote {printable(path)}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
          f"{printable(data.name)}{labels}", file=sys.stderr)
    return 0
