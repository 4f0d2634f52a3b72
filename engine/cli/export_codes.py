"""`export-codes`: every image's posterior mean, log-variance, map position, label and path as CSV."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..codes_export import encode_dataset, map_coordinates, write_codes_csv
from ..storage import load_model
from .common import CliError, add_data_argument, add_model_argument, data_for

NAME = "export-codes"
PROJECTIONS = ("auto", "slice", "pca", "neighbourhood")


def add_parser(sub: argparse._SubParsersAction) -> None:
    x = sub.add_parser(NAME, help="write every image's codes (mean, log-variance, map x/y, label, path) as CSV")
    add_model_argument(x)
    add_data_argument(x)
    x.add_argument("--projection", choices=PROJECTIONS, default="auto",
                   help="the map's x and y: slice (z0, z1), pca, neighbourhood, or auto: slice for a 2-D "
                        "latent space, else pca (default auto)")
    x.add_argument("--out", type=Path, default=Path("codes.csv"), help="CSV file to write (default codes.csv)")


def run(a: argparse.Namespace) -> int:
    if a.out.suffix.lower() != ".csv":
        raise CliError(f"--out {a.out}: the file name must end in .csv")
    saved = load_model(a.model)
    data = data_for(a.data, saved)
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    codes = encode_dataset(saved.model, data)
    xy, projection = map_coordinates(codes, a.projection)
    write_codes_csv(a.out, codes, xy)
    print(f"wrote {a.out}: {len(codes):,} images of {data.name}, latent {codes.mu.shape[1]}, x/y on the "
          f"{projection}", file=sys.stderr)
    return 0
