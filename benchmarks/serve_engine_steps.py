"""Our engine's training steps on request: the counterpart of torch_reference_vae.py --serve-steps.

For each line "N" on stdin it trains N more batches of MNIST through the engine's Trainer (the
loop the CLI and the app run, epoch after epoch) and prints {"steps": N, "seconds": ...}: the
wall time of those batches, without the test pass that ends each epoch.
benchmarks/compare_torch_conv_steps.py alternates such chunks with PyTorch's.

    python benchmarks/serve_engine_steps.py --arch conv --channels 32,64 --hidden 256 --latent 2
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import VAE, BatchReport, TrainConfig, Trainer, VAEConfig, load_mnist  # noqa: E402
from engine.architecture import family  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="conv")
    p.add_argument("--channels", default=None, help="conv channels, e.g. 32,64 (default: the family's)")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    channels = tuple(int(c) for c in a.channels.split(",")) if a.channels else family(a.arch).default_channels
    model = VAE(VAEConfig(hidden=(a.hidden,), latent_dim=a.latent, arch=a.arch, channels=channels), seed=a.seed)
    trainer = Trainer(model, load_mnist(), TrainConfig(epochs=10_000, batch_size=a.batch, seed=a.seed),
                      threads=a.threads)
    reports = trainer.run()
    for line in sys.stdin:
        steps, seconds = int(line), 0.0
        while steps:
            start = time.perf_counter()
            report = next(reports)
            if isinstance(report, BatchReport):     # an EpochReport's test pass is not a step
                seconds += time.perf_counter() - start
                steps -= 1
        print(json.dumps({"steps": int(line), "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
