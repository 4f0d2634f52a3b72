"""Walk a user's data folder without decoding it: which files, which classes, what sizes.

`scan_folder` is quick enough for an open dialog: it lists and stats every file but reads image
headers only for an evenly spread sample (Pillow's `Image.open` parses the header and stops).
Three layouts are recognised, in this order: a folder of MNIST-style IDX files; a folder with
.npy/.npz arrays at its top level (or one such file); a folder of images, labelled by its
immediate subfolders (the torchvision ImageFolder convention) or unlabelled when flat.
Two common wrappings of ImageFolder are seen through: a lone folder that holds every image
(data/images/<class>/...), and split folders (train/, val/, test/ each holding <class>/...),
whose images are merged and labelled by the class folders inside them.
"""
from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import DataError, EngineError
from ..text import printable
from .arrays import ArrayFile, image_geometry
from .idx import find_idx_files, idx_header
from .scan_limits import MAX_SCAN_DEPTH, MAX_SCAN_ENTRIES, PROGRESS_SECONDS, ScanLimitReached, ScanLimits, ScanProgress

ARRAY_EXTENSIONS = (".npy", ".npz")
MIN_SUGGESTED_SIDE = 4         # smaller images are suggested scaled up to this (the GUI's least) ...
MAX_SUGGESTED_SIDE = 64        # ... the most common size is suggested only up to 64x64 ...
DEFAULT_IMAGE_SHAPE = (28, 28)  # ... otherwise MNIST's
HEADER_SAMPLE = 512             # image headers read to find the most common size
SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "dev", "test", "testing"})
# folder names that say nothing of the data: a data set is named with its parent folder too
GENERIC_FOLDER_NAMES = SPLIT_NAMES | {"images", "imgs", "img", "data", "dataset", "png"}


@functools.cache
def image_extensions() -> frozenset[str]:
    """Lower-case extensions ('.png', ...) of every format this Pillow can open."""
    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def folder_name(path: str | Path) -> str:
    """A data set's name from its folder (or array file): the last part, with parents while those
    are generic, e.g. "frey_faces/images", "caltech101_silhouettes/images/train", "digits"."""
    path = Path(path)
    parts = [p for p in path.parts if p not in ("/", "")]
    if not parts:
        return str(path)
    keep = [Path(parts.pop()).stem if path.is_file() else parts.pop()]
    while parts and keep[0].lower() in GENERIC_FOLDER_NAMES and len(keep) < 3:
        keep.insert(0, parts.pop())
    return "/".join(keep)


@dataclass
class FolderScan:
    """What a data folder holds, before any pixel is decoded.

    kind: "images", "idx" or "arrays".  For "images", `files` are the relative POSIX paths of
    the files to decode (not hidden, not empty, inside a class folder if there are any),
    sorted, with `sizes` and `mtimes_ns` (n,) int64 (the cache key) and
    `labels` (n,) int64 indices into `class_names`, or None when the folder is flat.
    `skipped` lists (relative path, reason) found without decoding.
    Sizes are (height, width), like `Dataset.image_shape`.
    """

    path: Path
    kind: str
    files: list[str] = field(default_factory=list)
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    mtimes_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)
    array_files: list[Path] = field(default_factory=list)
    layout_note: str = ""  # how the class folders were found, when not the plain ImageFolder way
    loose_note: str = ""   # images beside the class folders, loaded as a class of their own
    most_common_size: tuple[int, int] | None = None
    suggested_size: tuple[int, int] = DEFAULT_IMAGE_SHAPE

    @property
    def name(self) -> str:
        return folder_name(self.path)

    def describe(self) -> str:
        """One line for the open dialog, e.g. "60,000 files in 10 classes, mostly 28x28" (width x height)."""
        if self.kind == "idx":
            what = "IDX files"
        elif self.kind == "arrays":
            what = f"{len(self.array_files)} array file{'s' if len(self.array_files) != 1 else ''}"
        else:
            classes = f" in {len(self.class_names)} classes" if self.class_names else ""
            note = "; ".join(printable(n) for n in (self.layout_note, self.loose_note) if n)
            note = f" ({note})" if note else ""
            what = f"{len(self.files):,} files{classes}{note}"
        if self.most_common_size:
            height, width = self.most_common_size
            what += f", mostly {width}x{height}"
        return what


class ScanCancelled(EngineError):
    """The scan's `cancelled` callback returned True; nothing was changed."""


def scan_folder(path: str | Path, cancelled: Callable[[], bool] | None = None,
                progress: ScanProgress | None = None, limits: ScanLimits | None = None) -> FolderScan:
    """List a data folder (or a single .npy/.npz file) without decoding images.

    Links are followed only while they stay inside the chosen folder (a link out, such as
    `up -> ..` or `all -> /`, is listed as skipped), at most MAX_SCAN_DEPTH folder levels are
    walked, and a folder holding more than MAX_SCAN_ENTRIES files and folders is refused
    (`limits` changes both).  Raises DataError for a missing path, an unreadable folder or a
    file that is not an array, ScanLimitReached (a DataError) for an oversized folder.
    `cancelled`, if given, is polled at every folder and every 1,024 files; when it returns
    True, ScanCancelled is raised.  `progress(entries seen, images found)`, if given, is called
    as the walk goes (at most every PROGRESS_SECONDS, and once at its end), from this thread.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{root}: no such folder")
    if root.is_file():
        if root.suffix.lower() not in ARRAY_EXTENSIONS:
            raise DataError(f"{root}: not a folder (choose the folder that holds the images)")
        scan = FolderScan(root, "arrays", array_files=[root])
        scan.most_common_size = _array_shape(root)
        return _with_suggestion(scan)
    try:
        top = sorted(e.name for e in os.scandir(root))
    except OSError as exc:
        raise DataError(f"{root}: cannot read the folder ({exc.strerror or exc})") from None
    if find_idx_files(root) is not None:
        scan = FolderScan(root, "idx")
        scan.most_common_size = _idx_shape(find_idx_files(root)["train_images"])
        return _with_suggestion(scan)
    arrays = [root / n for n in top if n.lower().endswith(ARRAY_EXTENSIONS) and not n.startswith(".")
              and inside(root / n, root)]
    if arrays:
        scan = FolderScan(root, "arrays", array_files=arrays)
        scan.most_common_size = _array_shape(arrays[0])
        return _with_suggestion(scan)
    return _with_suggestion(_scan_images(root, cancelled or (lambda: False), progress,
                                            limits or ScanLimits(MAX_SCAN_ENTRIES, MAX_SCAN_DEPTH)))


def _scan_images(root: Path, cancelled: Callable[[], bool], progress: ScanProgress | None,
                 limits: ScanLimits) -> FolderScan:
    scan = FolderScan(root, "images")
    walk = _Walk(root.resolve(), image_extensions(), cancelled, progress, limits)
    walk.folder(root, "", 0)
    walk.report(final=True)
    entries, scan.skipped = sorted(walk.entries), walk.skipped
    class_of, scan.layout_note, scan.loose_note = _class_layout(
        [rel for rel, _, _, image in entries if image], root.name)
    classes = sorted({c for rel, _, _, image in entries if image and (c := class_of(rel))})
    index = {name: i for i, name in enumerate(classes)}
    keep, images = [], []
    for rel, size, mtime, image in entries:
        if size == 0:
            scan.skipped.append((rel, "zero-byte file"))
        elif classes and class_of(rel) not in index:
            scan.skipped.append((rel, "outside the class folders"))
        else:
            keep.append((rel, size, mtime))
            if image:
                images.append(rel)
    scan.files = [rel for rel, _, _ in keep]
    scan.sizes = np.array([s for _, s, _ in keep], np.int64)
    scan.mtimes_ns = np.array([m for _, _, m in keep], np.int64)
    if classes:
        scan.class_names = classes
        scan.labels = np.array([index[class_of(rel)] for rel in scan.files], np.int64)
    else:
        scan.layout_note = scan.loose_note = ""
    scan.skipped.sort()
    scan.most_common_size = _most_common_size(root, images)
    return scan


def _class_layout(images: list[str], root_name: str) -> tuple[Callable[[str], str | None], str, str]:
    """Where the class folders are, from the relative paths of the image files.

    Returns (class_of, note, loose_note): class_of(relative path) is the class folder a file
    belongs to, or None when it lies outside them.  Normally the class is the first path component.  A
    lone folder holding every image, with folders inside it, is stepped into; when the
    folders there are all split names (train, val, test, ...), the class is the folder below
    the split, so the splits are merged.  Images lying beside the class folders form a class
    of their own, named after the folder that holds them (and said in the note).
    """
    prefix = ""
    while True:
        rest = [r[len(prefix):] for r in images if r.startswith(prefix)]
        heads = {r.split("/", 1)[0] for r in rest if "/" in r}
        if len(heads) != 1 or any("/" not in r for r in rest):
            break
        head = next(iter(heads))
        if not any(r.count("/") >= 2 for r in rest if r.startswith(head + "/")):
            break  # a lone folder of plain images is one class, as ImageFolder has it
        prefix += head + "/"
    split = len(heads) > 0 and {h.lower() for h in heads} <= SPLIT_NAMES
    depth = 1 if split else 0

    loose = [r for r in images if r.startswith(prefix) and "/" not in r[len(prefix):]]
    loose_class = (prefix.rstrip("/").rpartition("/")[2] or root_name or "top level")
    if split or loose_class in heads:
        loose_class += " (top level)"

    def class_of(rel: str) -> str | None:
        if not rel.startswith(prefix):
            return None
        parts = rel[len(prefix):].split("/")
        if len(parts) == 1 and heads:
            return loose_class
        if len(parts) < depth + 2 or (split and parts[0].lower() not in SPLIT_NAMES):
            return None
        return parts[depth]

    note = f"classes: {prefix}<class>/" if prefix else ""
    if split:
        note = f"classes: {prefix}{{{','.join(sorted(heads))}}}/<class>/, splits merged"
    loose_note = ""
    if loose and heads:
        loose_note = (f"{len(loose):,} image{'s' if len(loose) != 1 else ''} beside the class folders "
                      f"form class '{loose_class}'")
    return class_of, note, loose_note


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every link resolved, lies within `root` (itself resolved)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return False


class _Walk:
    """One bounded walk of a folder: entries (relative path, size, mtime_ns, image extension?)
    and skipped (relative path, reason)."""

    def __init__(self, root: Path, exts: frozenset[str], cancelled: Callable[[], bool],
                 progress: ScanProgress | None = None, limits: ScanLimits | None = None) -> None:
        self.root, self.exts, self.cancelled = root, exts, cancelled
        self.progress, self.limits = progress, limits or ScanLimits(MAX_SCAN_ENTRIES, MAX_SCAN_DEPTH)
        self.entries: list[tuple[str, int, int, bool]] = []
        self.skipped: list[tuple[str, str]] = []
        self.visited = 0
        self.images = 0
        self.last_report = time.monotonic()
        # Real folders already walked, by (device, inode): a link to a folder inside the
        # chosen one is walked once, so loops end.
        self.seen: set[tuple[int, int]] = set()

    def report(self, final: bool = False) -> None:
        """Call progress (entries seen, images found), throttled to PROGRESS_SECONDS."""
        if self.progress is None:
            return
        now = time.monotonic()
        if final or now - self.last_report >= PROGRESS_SECONDS:
            self.last_report = now
            self.progress(self.visited, self.images)

    def folder(self, folder: Path, prefix: str, depth: int) -> None:
        if self.cancelled():
            raise ScanCancelled("scan cancelled")
        self.report()
        try:
            st = folder.stat()
            if (st.st_dev, st.st_ino) in self.seen:
                return
            self.seen.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.skipped.append((prefix or ".", f"cannot read folder: {_reason(exc)}"))
            return
        self.visited += len(children)
        if self.visited > self.limits.max_entries:
            limit = self.limits.max_entries
            raise ScanLimitReached(f"{self.root}: holds more than {limit:,} files and folders, the most a scan "
                                   "walks; choose the folder of the data set itself", limit)
        for entry in children:
            if entry.name.startswith("."):  # hidden files and folders, .DS_Store, ._ resource forks
                continue
            self.child(entry, prefix + entry.name, depth)

    def child(self, entry: os.DirEntry, rel: str, depth: int) -> None:
        try:
            if entry.is_symlink() and not inside(Path(entry.path), self.root):
                self.skipped.append((rel, "link to outside the folder (not followed)"))
                return
            if entry.is_dir():
                if depth + 1 > self.limits.max_depth:
                    self.skipped.append((rel, f"more than {self.limits.max_depth} folders deep"))
                else:
                    self.folder(Path(entry.path), rel + "/", depth + 1)
                return
            st = entry.stat()
        except FileNotFoundError:
            self.skipped.append((rel, "broken link"))
            return
        except OSError as exc:
            self.skipped.append((rel, f"cannot read: {_reason(exc)}"))
            return
        if entry.is_file():
            ext = "." + entry.name.rpartition(".")[2].lower()
            self.entries.append((rel, st.st_size, st.st_mtime_ns, ext in self.exts))
            self.images += ext in self.exts
            if len(self.entries) % 1024 == 0:
                if self.cancelled():
                    raise ScanCancelled("scan cancelled")
                self.report()


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def _most_common_size(root: Path, images: list[str]) -> tuple[int, int] | None:
    if not images:
        return None
    step = max(1, len(images) // HEADER_SAMPLE)
    counts: Counter = Counter()
    for rel in images[::step][:HEADER_SAMPLE]:
        try:
            with Image.open(root / rel) as im:
                w, h = im.size
            counts[(h, w)] += 1
        except Exception:  # any unreadable file is reported by the loader, not here
            continue
    return counts.most_common(1)[0][0] if counts else None


def _with_suggestion(scan: FolderScan) -> FolderScan:
    """The suggested size: the most common one, scaled up by a whole factor while a side is
    below MIN_SUGGESTED_SIDE, if it then fits MAX_SUGGESTED_SIDE; else the default."""
    size = scan.most_common_size
    if size and min(size) >= 1:
        factor = -(-MIN_SUGGESTED_SIDE // min(size))
        size = (size[0] * factor, size[1] * factor)
        if max(size) <= MAX_SUGGESTED_SIDE:
            scan.suggested_size = size
    return scan


def _array_shape(path: Path) -> tuple[int, int] | None:
    """(H, W) of the images in a .npy/.npz file, from its array headers only (the loader's
    ArrayFile reads them); None if unclear."""
    try:
        headers = ArrayFile(path).headers
    except DataError:  # unreadable or odd files are reported by the loader, not here
        return None
    key = next((k for k in ("x_train", "x", "images", "arr") if k in headers), next(iter(headers), None))
    geometry = None if key is None else image_geometry(headers[key][0])
    if geometry is None or min(geometry[1].height, geometry[1].width) < 1:
        return None
    return geometry[1].height, geometry[1].width


def _idx_shape(path: Path) -> tuple[int, int] | None:
    """(rows, cols) from an IDX header, reading only the header."""
    try:
        shape, _ = idx_header(path)
    except DataError:
        return None
    return (shape[1], shape[2]) if len(shape) == 3 else None
