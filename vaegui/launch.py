"""The app's command line: `latent-lab` (or `python main.py`) parses its options and opens the window."""
from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def _image_size(text: str) -> tuple[int, int]:
    from engine.cli import image_size_arg
    return image_size_arg(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="latent-lab", description="Latent Lab: train variational autoencoders "
                                "on MNIST or your own images and explore their latent space.")
    p.add_argument("--model", metavar="FILE", help="open a saved model (.npz or .safetensors) at start-up")
    p.add_argument("--data", metavar="PATH", default="mnist",
                   help="'mnist' (bundled, the default) or a folder of images / IDX files / .npy arrays")
    p.add_argument("--size", type=_image_size, metavar="N|HxW",
                   help="bring a folder's images to N x N or H x W pixels (default: their common size if at most "
                        "64x64, else 28x28)")
    p.add_argument("--color", choices=("auto", "rgb", "grey"), default="auto",
                   help="a folder's images in colour (rgb), grey, or auto: rgb if any carries colour (default)")
    p.add_argument("--background", metavar="COLOUR", default=None,
                   help="what transparent pixels go onto: white, black or #rrggbb (default: white for colour)")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs for the next run (default: about a minute on MNIST)")
    p.add_argument("--latent", type=int, metavar="N", help="latent size for the next run (default 2)")
    p.add_argument("--hidden", metavar="SIZES", help="hidden layer sizes, e.g. 400 or 512,256 (default 400)")
    p.add_argument("--train", action="store_true", help="start training as soon as the window is up")
    p.add_argument("--no-confirm", action="store_true",
                   help="never ask before discarding an unsaved model (also: LATENT_LAB_NO_CONFIRM=1)")
    p.add_argument("--startup-time", action="store_true",
                   help="print the time from launch to window ready, then quit (for benchmarks)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from PyQt5.QtCore import QTimer

    from vaegui import MainWindow, ensure_app

    app = ensure_app(sys.argv[:1])
    if args.no_confirm:
        os.environ["LATENT_LAB_NO_CONFIRM"] = "1"
    win = MainWindow()
    settings = win.session.run_settings         # the next run's settings (the Training panel follows them)
    if args.epochs:
        settings.set(epochs=args.epochs)
    if args.latent:
        settings.set(latent_dim=args.latent)
    if args.hidden:
        settings.set(hidden=args.hidden)
    win.show()

    def after_data(*_) -> None:
        if args.model:
            win.commands.open_model(args.model)
        if args.train:
            win.session.start()

    if args.data and args.data.lower() != "mnist":
        win.commands.folder_loaded.connect(after_data)     # once the folder is in, open / train on it
        win.commands.load_folder(args.data, args.size, color=args.color, background=args.background)
    else:
        QTimer.singleShot(0, after_data)
    if args.startup_time:
        def ready() -> None:
            print(f"window ready after {time.perf_counter() - T0:.3f} s", flush=True)
            win.commands.confirm = False
            win.close()
        QTimer.singleShot(0, ready)
    return app.exec_()


if __name__ == "__main__":
    sys.exit(main())
