"""Data sets and their loading: the bundled MNIST, IDX files, arrays and folders of images.

dataset (the Dataset type) <- idx, mnist, arrays, decode, scan, cache, splits <- folder_report,
workers (decoding in processes), assemble <- folder <- load;
nothing here imports the model, and nothing imports back up the chain.
"""
from .dataset import Dataset
from .folder import load_folder
from .folder_report import FolderLoad, LoadCancelled, TooFewImages
from .idx import load_idx_dataset, load_idx_folder, read_idx
from .load import load_dataset, load_dataset_with_report, recorded_source_problem
from .mnist import MNIST_DIR, load_mnist
from .scan import FolderScan, ScanCancelled, ScanLimitReached, ScanLimits, folder_name, scan_folder

__all__ = [
    "Dataset", "load_dataset", "load_dataset_with_report", "load_mnist", "MNIST_DIR",
    "load_idx_dataset", "load_idx_folder", "read_idx",
    "FolderLoad", "FolderScan", "folder_name", "load_folder", "scan_folder", "LoadCancelled", "TooFewImages",
    "ScanCancelled", "ScanLimitReached", "ScanLimits", "recorded_source_problem",
]
