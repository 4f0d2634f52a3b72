"""The README's figure: the conv model's manifold beside the MLP's, on MNIST and on Twemoji.

Trains four models with the CLI (`python -m engine train ... --json`, seed 0, 2 threads), one
after the other, takes each one's test loss and median seconds per epoch from its JSON lines,
decodes each 2-D latent space as Kingma & Welling's manifold (engine.manifold_grid: every cell
holds equal prior mass) and writes one labelled PNG. Twemoji graphics are CC-BY 4.0: the figure
carries their attribution.

Usage:
    python benchmarks/conv_vs_mlp_figure.py [--twemoji ../shared/data/twemoji/images]
        [--out assets/screenshots/conv_vs_mlp.png] [--mnist-epochs 10] [--twemoji-epochs 20]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

ARCHS = {"MLP": ["--arch", "mlp"], "conv": ["--arch", "conv", "--channels", "32,64"]}
HIDDEN = {("MLP", "MNIST"): "400", ("MLP", "Twemoji"): "512", ("conv", "MNIST"): "256", ("conv", "Twemoji"): "256"}
ATTRIBUTION = "Twemoji graphics by Twitter, Inc. and other contributors, CC-BY 4.0"


def train(data: list[str], arch: str, hidden: str, epochs: int, out: Path) -> dict:
    """One CLI run; returns its last epoch's record and the median epoch seconds."""
    cmd = [sys.executable, "-m", "engine", "train", *data, *ARCHS[arch], "--hidden", hidden, "--latent", "2",
           "--epochs", str(epochs), "--seed", "0", "--threads", "2", "--json", "--save", str(out)]
    print(" ".join(cmd[1:]), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    last = rows[-1]
    last["median_seconds"] = statistics.median(r["epoch_seconds"] for r in rows)
    print(f"  test loss {last['test_loss']:.1f}, {last['median_seconds']:.2f} s an epoch", flush=True)
    return last


def manifold(path: Path, n: int) -> Image.Image:
    from engine import load_model, manifold_grid
    mosaic = manifold_grid(load_model(path).model, n)
    pixels = np.clip(np.rint(mosaic * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").convert("RGB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--twemoji", default=str(ROOT.parent / "shared/data/twemoji/images"))
    ap.add_argument("--out", default=str(ROOT / "assets/screenshots/conv_vs_mlp.png"))
    ap.add_argument("--mnist-epochs", type=int, default=10)
    ap.add_argument("--twemoji-epochs", type=int, default=20)
    ap.add_argument("--grid", type=int, default=15, help="manifold cells per side (default 15)")
    a = ap.parse_args()

    sets = {"MNIST": (["--data", "mnist"], a.mnist_epochs),
            "Twemoji": (["--data", a.twemoji, "--size", "32"], a.twemoji_epochs)}
    side, label_h = 420, 50
    figure = Image.new("RGB", (2 * side, 2 * (side + label_h) + 26), "white")
    draw = ImageDraw.Draw(figure)
    font = ImageFont.load_default(size=15)      # Pillow's bundled scalable font: legible, no system fonts
    with tempfile.TemporaryDirectory() as tmp:
        for row, (name, (data, epochs)) in enumerate(sets.items()):
            for col, arch in enumerate(ARCHS):
                path = Path(tmp) / f"{arch}-{name}.npz"
                rec = train(data, arch, HIDDEN[arch, name], epochs, path)
                x, y = col * side, row * (side + label_h)
                figure.paste(manifold(path, a.grid).resize((side, side), Image.NEAREST), (x, y + label_h))
                draw.text((x + 8, y + 6), f"{arch} on {name}, {epochs} epochs (hidden {HIDDEN[arch, name]}, latent 2)",
                          fill="black", font=font)
                draw.text((x + 8, y + 26), f"test loss {rec['test_loss']:.1f} nats, {rec['median_seconds']:.2f} s an epoch",
                          fill="black", font=font)
    draw.text((8, figure.height - 21), ATTRIBUTION, fill="black", font=font)
    figure.save(a.out)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
