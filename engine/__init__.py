"""Latent Lab's engine: a variational autoencoder in NumPy, with training, data and storage.

The GUI and the command line use only what this module exports.  Nothing here imports Qt.
"""
from .config import TrainConfig, VAEConfig
from .data import (Dataset, load_dataset, load_dataset_with_report, load_idx_dataset, load_idx_folder,
                   load_mnist, read_idx)
from .errors import ConfigError, DataError, EngineError, ModelFileError, TrainingDiverged
from .folder import FolderLoad, LoadCancelled, TooFewImages, load_folder
from .folder_scan import FolderScan, scan_folder
from .manifold import interpolate, latent_plane, manifold_grid, plane_codes, posterior_ellipse, tile_images
from .storage import ModelFile, load_model, save_model
from .threads import set_threads
from .training import BatchReport, EpochReport, Trainer
from .vae import VAE

__all__ = [
    "VAE", "VAEConfig", "TrainConfig", "Trainer", "BatchReport", "EpochReport",
    "Dataset", "load_dataset", "load_dataset_with_report", "load_mnist", "load_idx_dataset", "load_idx_folder", "read_idx",
    "FolderLoad", "FolderScan", "load_folder", "scan_folder", "LoadCancelled", "TooFewImages",
    "ModelFile", "save_model", "load_model",
    "tile_images", "plane_codes", "latent_plane", "manifold_grid", "interpolate", "posterior_ellipse",
    "set_threads",
    "EngineError", "DataError", "ModelFileError", "ConfigError", "TrainingDiverged",
]
