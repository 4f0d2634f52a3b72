"""docs/figures/rate_distortion.png: a beta sweep's runs on the rate-distortion plane, drawn with Pillow.

Reads the runs from the run history (engine.runs.RunHistory): by default the newest sweep in
it.  Each run is a point at (rate = KL, distortion = reconstruction), nats per image on the
test split after its last epoch, labelled with its beta; grey lines join points of equal ELBO
(rate + distortion = const).  With the thumbnails recorded for each run, the figure also shows
each run's final map beside it.  --table prints the Markdown table for docs/runs.md.

Usage (the sweep first, then the figure):
    python -m engine sweep --home /tmp/sweep --data mnist --beta 0.25,0.5,1,2,4 --latent 2 \
        --epochs 5 --limit 20000 --jobs 2
    python benchmarks/beta_sweep_figure.py --home /tmp/sweep [--sweep ID] [--out PATH] [--table]
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from engine.runs import RunHistory, RunSummary  # noqa: E402
from engine.runs.plane import equal_elbo_levels, equal_elbo_segment, view_box  # noqa: E402

WIDTH, HEIGHT = 1200, 720
PLOT = (90, 60, 720, 640)                 # left, top, right, bottom of the axes, pixels
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127)]


def _font(size: int, bold: bool = False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    from engine.runs.plane import _round_step
    step = _round_step((hi - lo) / count)
    first = -(-lo // step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= hi]


def draw(runs: list[RunSummary], history: RunHistory, title: str) -> Image.Image:
    points = history.rate_distortion([r.id for r in runs])
    box = view_box(points, margin=0.12)
    r0, r1, d0, d1 = box
    left, top, right, bottom = PLOT

    def xy(rate: float, dist: float) -> tuple[float, float]:
        return (left + (rate - r0) / (r1 - r0) * (right - left), bottom - (dist - d0) / (d1 - d0) * (bottom - top))

    im = Image.new("RGB", (WIDTH, HEIGHT), "white")
    g = ImageDraw.Draw(im)
    small, normal, bold = _font(14), _font(17), _font(20, bold=True)
    g.text((left, 18), title, fill="black", font=bold)
    for level in equal_elbo_levels(points, 6):                 # lines of equal ELBO, behind the points
        segment = equal_elbo_segment(level, box)
        if segment is None:
            continue
        (a, b), (c, d) = xy(*segment[0]), xy(*segment[1])
        _dashed(g, (a, b), (c, d), (175, 175, 175))
        # at the line's upper-left end, where it enters the plot: labels of neighbours never meet
        g.text((a + 6, b + 4), f"{level:g}", fill=(120, 120, 120), font=small, anchor="la")
    g.text((right - 8, top + 8), "grey: equal ELBO, rate + distortion = −ELBO (labelled)", fill=(120, 120, 120),
           font=small, anchor="ra")
    g.rectangle(PLOT, outline="black", width=1)
    for t in _ticks(r0, r1):
        x, _ = xy(t, d0)
        g.line([(x, bottom), (x, bottom + 6)], fill="black")
        g.text((x, bottom + 9), f"{t:g}", fill="black", font=small, anchor="ma")
    for t in _ticks(d0, d1):
        _, y = xy(r0, t)
        g.line([(left - 6, y), (left, y)], fill="black")
        g.text((left - 9, y), f"{t:g}", fill="black", font=small, anchor="rm")
    g.text(((left + right) / 2, bottom + 34), "rate = KL(q(z|x) ‖ p(z))  [nats per image]", fill="black",
           font=normal, anchor="ma")
    label = Image.new("RGB", (bottom - top, 26), "white")
    ImageDraw.Draw(label).text(((bottom - top) / 2, 13), "distortion = −log p(x|z)  [nats per image]",
                               fill="black", font=normal, anchor="mm")
    im.paste(label.rotate(90, expand=True), (14, top))
    by_id = {r.id: r for r in runs}
    for i, p in enumerate(sorted(points, key=lambda p: p.beta)):
        colour = COLOURS[i % len(COLOURS)]
        x, y = xy(p.rate, p.distortion)
        g.ellipse([x - 7, y - 7, x + 7, y + 7], fill=colour, outline="black")
        g.text((x + 11, y - 3), f"β = {p.beta:g}", fill=colour, font=normal, anchor="ls")
        _thumbnail(im, g, history, by_id[p.run_id], i, colour, f"β = {p.beta:g}: ELBO {p.elbo:.1f}", normal)
    return im


def _thumbnail(im, g, history: RunHistory, run: RunSummary, i: int, colour, caption: str, font) -> None:
    """The run's recorded final map, in a column right of the plot."""
    png = history.thumbnail_png(run.id)
    if png is None:
        return
    side, cols = 180, 2
    x0, y0 = PLOT[2] + 50 + (i % cols) * (side + 30), PLOT[1] + (i // cols) * (side + 32)
    thumb = Image.open(io.BytesIO(png)).convert("RGB").resize((side, side), Image.NEAREST)
    im.paste(thumb, (int(x0), int(y0)))
    g.rectangle([x0 - 2, y0 - 2, x0 + side + 1, y0 + side + 1], outline=colour, width=3)
    g.text((x0, y0 + side + 6), caption, fill="black", font=_font(14))


def _dashed(g, a, b, colour, dash: float = 8.0) -> None:
    (x0, y0), (x1, y1) = a, b
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    steps = max(1, int(length // dash))
    for s in range(0, steps, 2):
        t0, t1 = s / steps, min(1.0, (s + 1) / steps)
        g.line([(x0 + t0 * (x1 - x0), y0 + t0 * (y1 - y0)), (x0 + t1 * (x1 - x0), y0 + t1 * (y1 - y0))],
               fill=colour, width=2)


def table(runs: list[RunSummary]) -> str:
    lines = ["| run | β | latent | rate (KL) | distortion (recon) | −ELBO (test loss) | active units | status |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(runs, key=lambda r: (r.latent_dim, r.beta)):
        f = r.final
        if f is None:
            lines.append(f"| {r.id} | {r.beta:g} | {r.latent_dim} | | | | | {r.status} |")
            continue
        lines.append(f"| {r.id} | {r.beta:g} | {r.latent_dim} | {f.kl:.2f} | {f.recon:.2f} | {f.test_loss:.2f} | "
                     f"{f.active_units} of {r.latent_dim} | {r.status} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, default=None, help="the history's data folder")
    p.add_argument("--sweep", default=None, help="the sweep's id (default: the newest in the history)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "rate_distortion.png")
    p.add_argument("--table", action="store_true", help="print the Markdown table too")
    a = p.parse_args()
    history = RunHistory(a.home)
    sweeps = [r.sweep for r in history.list_runs() if r.sweep]
    if not sweeps:
        print("no sweep in the history; run python -m engine sweep first", file=sys.stderr)
        return 1
    sweep = a.sweep or sweeps[-1]
    runs = history.list_runs(sweep=sweep)
    first = runs[0]
    epochs = first.train_config.get("epochs")
    title = (f"β sweep on {first.data_name}: latent {first.latent_dim}, {epochs} epochs, "
             f"hidden {first.model_config.get('hidden')}  (test split, nats per image)")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    draw(runs, history, title).save(a.out)
    print(f"wrote {a.out}", file=sys.stderr)
    if a.table:
        print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
