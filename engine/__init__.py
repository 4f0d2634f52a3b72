"""Latent Lab's engine: a variational autoencoder in NumPy, with training, data and storage.

The GUI and the command line use only what this module exports.  Nothing here imports Qt.
"""
import os

# OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) after every matrix product before they
# sleep, holding the second core through Adam's update, which runs there too (parallel.py).
# 2^17 cycles (~50 us) still bridges the short gaps between a step's products; measured over
# 10 alternating epochs: 2.76 -> 2.63 s median.  (2^4, sleeping at once, made waking them cost
# as much as it saved.)  OpenBLAS reads this when NumPy first loads, so it must run before
# anything imports NumPy; a user's own value wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "17")

from .architecture import FAMILIES as ARCHITECTURES  # name -> architecture.Family: defaults, what channels mean
from .config import TrainConfig, VAEConfig
from .data import (
                   Dataset,
                   FolderLoad,
                   FolderScan,
                   LoadCancelled,
                   ScanCancelled,
                   TooFewImages,
                   folder_name,
                   load_dataset,
                   load_dataset_with_report,
                   load_folder,
                   load_idx_dataset,
                   load_idx_folder,
                   load_mnist,
                   read_idx,
                   scan_folder,
)
from .errors import ConfigError, DataError, EngineError, ModelFileError, TrainingDiverged
from .explore import Neighbours, PosteriorSamples, Samples, nearest_neighbours, posterior_samples, prior_samples
from .image_shape import ImageShape
from .latent_stats import LatentHealth, kl_per_dim, latent_health
from .manifold import interpolate, latent_plane, manifold_grid, plane_codes, posterior_ellipse, tile_images
from .planes import PCAPlane, SlicePlane, aggregate_extent, pca_plane, plane_grid_codes, plane_mosaic, projected_ellipse
from .storage import ModelFile, load_model, save_model
from .threads import set_threads
from .timelapse import MapFrame, TimeLapse, make_map_frame, write_timelapse_gif
from .training import BatchReport, EpochReport, PartialEpoch, SettingChange, Trainer
from .traversal import Traversal, posterior_values, prior_values, traverse
from .vae import VAE

__all__ = [
    "ARCHITECTURES",
    "VAE", "VAEConfig", "TrainConfig", "Trainer", "BatchReport", "EpochReport", "SettingChange", "PartialEpoch", "ImageShape",
    "Dataset", "load_dataset", "load_dataset_with_report", "load_mnist", "load_idx_dataset", "load_idx_folder", "read_idx",
    "FolderLoad", "FolderScan", "folder_name", "load_folder", "scan_folder", "LoadCancelled", "TooFewImages", "ScanCancelled",
    "ModelFile", "save_model", "load_model",
    "tile_images", "plane_codes", "latent_plane", "manifold_grid", "interpolate", "posterior_ellipse",
    "LatentHealth", "kl_per_dim", "latent_health",
    "SlicePlane", "PCAPlane", "pca_plane", "plane_grid_codes", "plane_mosaic", "projected_ellipse",
    "aggregate_extent",
    "Traversal", "prior_values", "posterior_values", "traverse",
    "Neighbours", "nearest_neighbours", "Samples", "PosteriorSamples", "prior_samples", "posterior_samples",
    "MapFrame", "TimeLapse", "make_map_frame", "write_timelapse_gif",
    "set_threads",
    "EngineError", "DataError", "ModelFileError", "ConfigError", "TrainingDiverged",
]

from .runs import EpochRecord, HistoryError, RatePoint, RunHistory, RunRecorder, RunSummary, recorded  # noqa: E402

__all__ += ["RunHistory", "RunRecorder", "RunSummary", "EpochRecord", "RatePoint", "HistoryError", "recorded"]

# Issue 26: the user's own images through the model (docs/your-images.md)
from .atypical import SCORES, DatasetRanking, ImageScores, rank_dataset, score_images, write_ranking_csv  # noqa: E402
from .codes_export import DataCodes, WorkCancelled, encode_dataset, map_coordinates, write_codes_csv  # noqa: E402
from .directions import (  # noqa: E402
                   Direction,
                   DirectionSet,
                   EditStrip,
                   build_direction,
                   class_groups,
                   edit_codes,
                   edit_strip,
                   orthogonalise,
)
from .embedding import NeighbourhoodMap, neighbourhood_map  # noqa: E402
from .mislabels import Mislabels, find_mislabels  # noqa: E402
from .thinning import ThumbnailLayout  # noqa: E402

__all__ += [
    "SCORES", "DatasetRanking", "ImageScores", "rank_dataset", "score_images", "write_ranking_csv",
    "DataCodes", "WorkCancelled", "encode_dataset", "map_coordinates", "write_codes_csv",
    "Direction", "DirectionSet", "EditStrip", "build_direction", "class_groups", "edit_codes", "edit_strip",
    "orthogonalise", "NeighbourhoodMap", "neighbourhood_map", "Mislabels", "find_mislabels", "ThumbnailLayout",
]
