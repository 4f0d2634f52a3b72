"""`export-model`: a model file as encoder.onnx and decoder.onnx (see docs/onnx.md)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..storage import load_model
from .common import add_model_argument

NAME = "export-model"


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(NAME, help="write a model as ONNX: encoder.onnx and decoder.onnx")
    add_model_argument(e)
    e.add_argument("--onnx", type=Path, required=True, metavar="DIR",
                   help="folder to write encoder.onnx and decoder.onnx into (made if missing)")


def run(a: argparse.Namespace) -> int:
    from ..onnx_export import export_onnx, require_onnx

    require_onnx()                       # missing onnx: one sentence, before the model is read
    saved = load_model(a.model)
    encoder, decoder = export_onnx(saved.model, a.onnx)
    print(f"wrote {encoder} and {decoder}", file=sys.stderr)
    return 0
