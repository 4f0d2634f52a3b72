"""Issue 25, class 7: saving, the cache and the worker pool have a path for Windows and macOS, and
each non-Linux path runs here: the lock without fcntl (Windows' msvcrt, or none at all), files
closed before they are renamed or deleted, the platform cache folders, and workers started by
spawn, the only start method Windows has."""
import importlib
import multiprocessing
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import VAE, ModelFileError, VAEConfig, load_model, save_model
from engine.data import cache, load_folder
from engine.data import workers as pool_module
from engine.storage import atomic, filelock

ENGINE = Path(__file__).resolve().parent.parent / "engine"


class FakeMsvcrt:
    """msvcrt.locking's contract (LK_NBLCK fails if another handle holds the byte), plus Windows'
    refusal to rename or delete a file some handle holds open, checked by the patched calls."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self):
        self.holders: dict[tuple[int, int], int] = {}      # (device, inode) -> fd
        self.calls: list[tuple[int, int]] = []

    @staticmethod
    def key(st):
        return st.st_dev, st.st_ino

    def locking(self, fd, mode, nbytes):
        assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == 0
        self.calls.append((fd, mode))
        k = self.key(os.fstat(fd))
        if mode == self.LK_NBLCK:
            if k in self.holders:
                raise PermissionError(13, "Permission denied")
            self.holders[k] = fd
        elif self.holders.get(k) == fd:
            del self.holders[k]
        else:
            raise PermissionError(13, "Permission denied")

    def held(self, path) -> bool:
        try:
            return self.key(os.stat(path)) in self.holders
        except FileNotFoundError:
            return False


@pytest.fixture
def windows(monkeypatch):
    fake = FakeMsvcrt()
    monkeypatch.setattr(filelock, "fcntl", None)
    monkeypatch.setattr(filelock, "msvcrt", fake)
    monkeypatch.setattr(filelock, "OPEN_FILES_MOVABLE", False)
    real_replace, real_unlink = os.replace, Path.unlink

    def replace(src, dst):
        if fake.held(src):
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real_replace(src, dst)

    def unlink(self, missing_ok=False):
        if fake.held(self):
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(atomic.os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    return fake


def small_model():
    return VAE(VAEConfig(image_shape=(4, 4), hidden=(8,), latent_dim=2), seed=2)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_class7_saving_with_windows_locks_and_file_rules(tmp_path, windows, suffix):
    target = tmp_path / f"m{suffix}"
    model = small_model()
    save_model(target, model)
    save_model(target, model)                   # over an existing file
    np.testing.assert_array_equal(load_model(target).model.params, model.params)
    assert (FakeMsvcrt.LK_NBLCK in [m for _, m in windows.calls]) and windows.holders == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_class7_a_save_in_progress_is_detected_and_leftovers_removed_with_windows_locks(tmp_path, windows):
    target = tmp_path / "m.npz"
    tmp = atomic.temp_path(target)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | filelock.OPEN_FLAGS)
    assert filelock.try_lock(fd)                # another save holds it
    try:
        assert atomic.remove_leftovers(target) == [] and tmp.exists()
        with pytest.raises(ModelFileError, match="another save of this file is in progress"):
            save_model(target, small_model())
    finally:
        filelock.unlock(fd)
        os.close(fd)
    assert atomic.remove_leftovers(target) == [tmp] and not tmp.exists()


def test_class7_a_failed_write_leaves_nothing_with_windows_rules(tmp_path, windows):
    target = tmp_path / "m.npz"

    def fail(f):
        f.write(b"partial")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError):
        atomic.write_atomically(target, fail)
    assert list(tmp_path.iterdir()) == [] and windows.holders == {}


def test_class7_saving_without_fcntl_or_msvcrt(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "fcntl", None)            # `import fcntl` now fails
    monkeypatch.setitem(sys.modules, "msvcrt", None)
    reloaded = importlib.reload(filelock)
    try:
        assert reloaded.fcntl is None and reloaded.msvcrt is None
        model = small_model()
        path = save_model(tmp_path / "m.npz", model)
        np.testing.assert_array_equal(load_model(path).model.params, model.params)
    finally:
        monkeypatch.undo()
        importlib.reload(filelock)
    assert filelock.fcntl is not None


def test_class7_no_engine_module_imports_a_posix_only_module_unguarded():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for line in path.read_text().splitlines():
            if line.strip() in ("import fcntl", "import resource", "import termios", "import pwd", "import grp") \
                    and not line.startswith("    "):
                offenders.append(f"{path.relative_to(ENGINE)}: {line.strip()}")
            if "os.fork(" in line or "SIGKILL" in line or "os.getuid" in line:
                offenders.append(f"{path.relative_to(ENGINE)}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("platform, env, expected", [
    ("win32", {"LOCALAPPDATA": "C:/Users/ana/AppData/Local"}, Path("C:/Users/ana/AppData/Local/LatentLab/cache")),
    ("darwin", {}, Path.home() / "Library" / "Caches" / "LatentLab"),
    ("linux", {"XDG_CACHE_HOME": "/x/cache"}, Path("/x/cache/latent-lab")),
])
def test_class7_the_cache_lives_in_each_platforms_cache_folder(monkeypatch, platform, env, expected):
    for key in ("LATENT_LAB_CACHE", "LOCALAPPDATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(cache.sys, "platform", platform)
    assert cache.default_cache_dir() == expected


def test_class7_pruning_skips_an_entry_open_elsewhere(tmp_path, monkeypatch):
    for i in range(3):
        (tmp_path / f"e{i}.npz").write_bytes(b"x" * 100)
        os.utime(tmp_path / f"e{i}.npz", (i, i))
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.name == "e0.npz":
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", unlink)
    cache.prune(tmp_path, limit=150)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e0.npz"]     # the others went; no error


def test_class7_the_worker_pool_decodes_with_spawn(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for c in range(2):
        (tmp_path / "data" / f"c{c}").mkdir(parents=True)
        for i in range(12):
            Image.fromarray(rng.integers(0, 255, (9, 7), dtype=np.uint8)).save(tmp_path / "data" / f"c{c}" / f"{i}.png")
    in_thread = load_folder(tmp_path / "data", image_size=8, cache_dir=tmp_path / "c1", workers=1)

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])    # as on Windows
    monkeypatch.setattr(pool_module, "POOL_MIN_SECONDS", 0.0)
    monkeypatch.setattr(pool_module, "CHUNK_MAX_FILES", 3)
    methods, undone = [], []
    real_pool, real_decode = pool_module.ProcessPoolExecutor, pool_module._decode_in_pool

    def pool(*args, mp_context, **kwargs):
        methods.append(mp_context.get_start_method())
        return real_pool(*args, mp_context=mp_context, **kwargs)

    def decode_in_pool(*args):
        undone.extend(real_decode(*args))
        return []
    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", pool)
    monkeypatch.setattr(pool_module, "_decode_in_pool", decode_in_pool)
    pooled = load_folder(tmp_path / "data", image_size=8, cache_dir=tmp_path / "c2", workers=2)
    assert methods == ["spawn"] and undone == []          # every chunk was decoded by a spawned worker
    np.testing.assert_array_equal(pooled.dataset.x_train, in_thread.dataset.x_train)
    np.testing.assert_array_equal(pooled.dataset.y_test, in_thread.dataset.y_test)
