"""`rank`: every image of a data set (train and test), most atypical for the model first."""
from __future__ import annotations

import argparse
import json
import sys

from ..atypical import DEFAULT_IW, MAX_IW, SCORES, rank_dataset
from ..storage import load_model
from ..threads import set_threads
from . import checks as check
from .common import CliError, add_data_argument, add_model_argument, data_for

NAME = "rank"


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(NAME, help="rank every image of a data set by how atypical the model finds it")
    add_model_argument(r)
    add_data_argument(r)
    r.add_argument("--score", choices=SCORES, default="atypical",
                   help="atypical (too complex or too simple, the default), nll (importance-weighted -log p(x)), "
                        "complexity (nll minus the PNG length), recon (reconstruction error)")
    r.add_argument("--iw", type=check.integer(1, MAX_IW), default=DEFAULT_IW,
                   help=f"importance samples K for the NLL (default {DEFAULT_IW})")
    r.add_argument("--top", type=check.integer(1), default=None, help="print only the N most atypical")
    r.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0, help="random seed (default 0)")
    r.add_argument("--threads", type=check.threads, default=None, help="threads for the matrix products")
    r.add_argument("--json", action="store_true", help="one JSON object per line (path, label, score, ...)")


def run(a: argparse.Namespace) -> int:
    if a.threads:
        set_threads(a.threads)
    saved = load_model(a.model)
    data = data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    ranking = rank_dataset(saved.model, data, a.score, a.iw, a.seed)
    rows = ranking.rows(a.top)
    if a.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(f"{'rank':>6} {a.score:>10}  {'label':<12} path")
        for row in rows:
            print(f"{row['rank']:>6} {row['score']:>10.3f}  {str(row['label']):<12} {row['path']}")
    print(f"ranked {len(ranking.order):,} images of {data.name} by {a.score} (K={a.iw})", file=sys.stderr)
    return 0
