"""`evaluate`: a model's test-set ELBO and importance-weighted log-likelihood."""
from __future__ import annotations

import argparse
import json

import numpy as np

from ..storage import load_model
from ..text import printable
from ..threads import set_threads
from ..training import EVAL_CHUNK, elbo_terms
from . import checks as check
from .common import CliError, add_data_argument, add_model_argument, add_scan_arguments, data_for, scan_limits

NAME = "evaluate"


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(NAME, help="test-set ELBO and importance-weighted log-likelihood of a model")
    add_model_argument(e)
    add_data_argument(e)
    e.add_argument("--iw", type=check.integer(1, 10000), default=100, help="importance samples K for the log p(x) estimate (default 100)")
    e.add_argument("--seed", type=check.integer(0, check.MAX_SEED), default=0, help="random seed (default 0)")
    e.add_argument("--threads", type=check.threads, default=None, help="threads for the matrix products (default: one per core)")
    e.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_scan_arguments(e)


def run(a: argparse.Namespace) -> int:
    if a.threads:
        set_threads(a.threads)
    saved = load_model(a.model)
    data = data_for(a.data, saved, limits=scan_limits(a))
    if data.image_shape != saved.image_shape:
        raise CliError(f"the model is for {saved.image_shape} images but {data.name} has {data.image_shape}")
    rng = np.random.default_rng(a.seed)
    recon, kl = elbo_terms(saved.model, data.x_test, rng)
    # Float rows a chunk at a time, and the estimator's decoded batch held to MNIST's 20,000 x 784
    # values (63 MB), so a 64x64 colour model does not decode 20,000 rows of 12,288 at once.
    max_rows = max(1, 20000 * 784 // saved.model.config.input_dim)
    log_px = np.concatenate([saved.model.iwae_log_likelihood(data.test_float(slice(s, s + EVAL_CHUNK)), a.iw, rng,
                                                             max_rows=max_rows)
                             for s in range(0, len(data.x_test), EVAL_CHUNK)])
    result = {"images": len(data.x_test), "elbo": float(-(recon + kl).mean()), "recon": float(recon.mean()),
              "kl": float(kl.mean()), "iw_samples": a.iw, "log_likelihood": float(log_px.mean())}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"test ELBO     {result['elbo']:.2f} nats per image (recon {result['recon']:.2f}, KL {result['kl']:.2f}; "
              f"{result['images']:,} images of {printable(data.name)})")
        print(f"test log p(x) {result['log_likelihood']:.2f} nats per image (importance-weighted, K={a.iw})")
    return 0
