"""The session's data sets: the list, the current one, and the scatter subset it shows.

Each folder has one entry (a reload replaces it and frees the copy it replaces); the bundled
MNIST or a data set handed in by code has no folder. Switching is refused while a run trains
(the run uses the current data set).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal

SCATTER_SIZE = 3000
MNIST_SOURCE = "mnist"


def scatter_indices(dataset, n: int = SCATTER_SIZE) -> np.ndarray:
    """The rows of the test set that the scatter shows: a fixed, seeded, sorted subset."""
    count = len(dataset.x_test)
    return np.sort(np.random.default_rng(0).permutation(count)[: min(n, count)])


def scatter_subset(dataset, n: int = SCATTER_SIZE) -> tuple[np.ndarray, np.ndarray | None]:
    """The scatter's test images and labels: (x (n, D), labels (n,) or None)."""
    idx = scatter_indices(dataset, n)
    x = np.ascontiguousarray(dataset.x_test[idx])
    y = None if dataset.y_test is None else dataset.y_test[idx]
    return x, y


def same_shape(a, b) -> bool:
    """Image shapes compare as tuples ((H, W) and (H, W, 1) are the same grey shape)."""
    ta, tb = tuple(a), tuple(b)
    ta, tb = ta + (1,) * (3 - len(ta)), tb + (1,) * (3 - len(tb))
    return ta == tb


@dataclass(frozen=True)
class DataSetEntry:
    """One data set of the session: its label, the Dataset, and the folder it came from."""

    label: str
    dataset: object
    folder: str | None = None     # None: the bundled MNIST or one handed in by code


def _same_source(a: DataSetEntry, b: DataSetEntry) -> bool:
    if a.folder and b.folder:
        return Path(a.folder).resolve() == Path(b.folder).resolve()
    return a.folder is None and b.folder is None and a.dataset is b.dataset


class DataSets(QObject):
    """The list of data sets and the current one; `session` is the root it tells about a switch."""

    datasets_changed = pyqtSignal()            # the list of data sets
    dataset_changed = pyqtSignal(object)       # the current Dataset

    def __init__(self, session) -> None:
        super().__init__(session)
        self._session = session
        self._entries: list[DataSetEntry] = []
        self._index = -1
        self.scatter: tuple = (None, None)     # the scatter subset of the current data set

    @property
    def datasets(self) -> tuple[DataSetEntry, ...]:
        return tuple(self._entries)

    @property
    def dataset_index(self) -> int:
        return self._index

    @property
    def dataset(self):
        return self._entries[self._index].dataset if self._index >= 0 else None

    @property
    def dataset_label(self) -> str:
        return self._entries[self._index].label if self._index >= 0 else "no data"

    def add_dataset(self, label: str, dataset, folder: str | None = None) -> int:
        """Add a data set and make it current. A folder already in the list is replaced, so
        each folder has one entry and a reload frees the copy it replaces. Returns its index."""
        entry = DataSetEntry(label, dataset, folder)
        same = next((i for i, e in enumerate(self._entries) if _same_source(e, entry)), None)
        if same is None:
            self._entries.append(entry)
            index = len(self._entries) - 1
        else:
            self._entries[same] = entry
            index = same
            if index == self._index:
                self._index = -1          # the current entry's data changed: switch to it afresh
        self.datasets_changed.emit()
        self.set_dataset(index)
        return index

    def find_dataset(self, source: str | None) -> int | None:
        """Index of the data set loaded from `source` ("mnist" or a folder), else None."""
        for i, e in enumerate(self._entries):
            src = getattr(e.dataset, "source", None)
            if source == MNIST_SOURCE and (src == MNIST_SOURCE or (e.folder is None and e.dataset.name == "mnist")):
                return i
            if source and e.folder and Path(e.folder).resolve() == Path(source).resolve():
                return i
            if source and src and src == source:
                return i
        return None

    def set_dataset(self, index: int) -> None:
        """Make data set `index` current (refused while training: the run uses it)."""
        s = self._session
        if not 0 <= index < len(self._entries) or index == self._index:
            return
        if s.training.running:
            s.notify("Stop training before switching data sets")
            return
        self._index = index
        ds = self.dataset
        self.scatter = scatter_subset(ds)
        s.inputs.clear()
        s.explorer.set_hidden_classes(frozenset())
        self.dataset_changed.emit(ds)
        s.document.refresh_snapshot()
