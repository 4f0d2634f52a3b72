"""`mislabels`: images whose nearest neighbours in latent space mostly carry another label."""
from __future__ import annotations

import argparse
import json
import sys

from ..codes_export import encode_dataset
from ..mislabels import DEFAULT_K, MAX_K, find_mislabels
from ..storage import load_model
from . import checks as check
from .common import CliError, add_data_argument, add_model_argument, data_for

NAME = "mislabels"


def add_parser(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser(NAME, help="list likely mislabelled images: their latent neighbours mostly carry another label")
    add_model_argument(m)
    add_data_argument(m)
    m.add_argument("--k", type=check.integer(1, MAX_K), default=DEFAULT_K,
                   help=f"neighbours that vote (default {DEFAULT_K})")
    m.add_argument("--min-agreement", type=check.positive_number(0.0, 1.0), default=0.5,
                   help="least fraction of neighbours agreeing on the other label (default 0.5)")
    m.add_argument("--top", type=check.integer(1), default=None, help="print only the N most certain")
    m.add_argument("--json", action="store_true", help="one JSON object per line (path, label, suggested, agreement)")


def run(a: argparse.Namespace) -> int:
    saved = load_model(a.model)
    data = data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    if not data.labelled:
        raise CliError(f"{data.name} is unlabelled; mislabels need images in class subfolders")
    codes = encode_dataset(saved.model, data)
    found = find_mislabels(codes.mu, codes.labels, a.k, a.min_agreement)
    for i in range(len(found))[:a.top]:
        row = int(found.rows[i])
        item = {"path": codes.paths[row], "label": codes.label_name(int(found.labels[i])),
                "suggested": codes.label_name(int(found.suggested[i])), "agreement": float(found.agreement[i]),
                "own_label_fraction": float(found.own[i]), "split": str(codes.split[row]),
                "index": int(codes.index[row])}
        if a.json:
            print(json.dumps(item))
        else:
            print(f"{item['agreement']:5.0%}  {item['label']} -> {item['suggested']}  {item['path']}")
    print(f"{len(found):,} likely mislabels among {len(codes):,} images of {data.name} (k={found.k})", file=sys.stderr)
    return 0
