"""Latent Lab: train and explore variational autoencoders. `python main.py --help` for options.

The same program as the installed `latent-lab` command (vaegui/launch.py).
"""
import sys

if __name__ == "__main__":        # the guard spawn-started worker processes need
    from vaegui.launch import main
    sys.exit(main())
