"""The decoded-folder cache, progress, cancelling and worker processes.

Every folder is generated under tmp_path; the cache goes there too.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from test_folder import flat_image, listing, load, png_bytes, save

from engine.data import workers as workers_mod
from engine.data.folder import LoadCancelled
from engine.errors import EngineError


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path / "cache"))


# ---- cache ------------------------------------------------------------------------------------

def test_second_load_comes_from_the_cache_and_the_folder_is_untouched(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "mycache"
    for i in range(5):
        save(data / "k" / f"{i}.png", flat_image(40 * i))
    (data / "k" / "bad.png").write_text("nope")
    before = listing(data)
    first = load(data, cache_dir=cache)
    second = load(data, cache_dir=cache)
    assert not first.from_cache and second.from_cache
    assert second.summary() == first.summary() == "5 images loaded, 1 skipped"
    assert second.skipped == first.skipped
    for a, b in ((first.dataset.x_train, second.dataset.x_train), (first.dataset.y_test, second.dataset.y_test)):
        np.testing.assert_array_equal(a, b)
    assert listing(data) == before
    assert len(list(cache.glob("*.npz"))) == 1
    # A changed file is a different folder: decoded again.
    os.utime(data / "k" / "0.png", ns=(1, 1))
    assert not load(data, cache_dir=cache).from_cache
    # So is one rewritten with a new size but its old modification time.
    st = os.stat(data / "k" / "1.png")
    (data / "k" / "1.png").write_bytes(png_bytes((8, 8)))
    os.utime(data / "k" / "1.png", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(data / "k" / "1.png").st_size != st.st_size
    assert not load(data, cache_dir=cache).from_cache


def test_cache_defaults_to_the_environment_setting(tmp_path):
    save(tmp_path / "d" / "a.png", flat_image(0))
    save(tmp_path / "d" / "b.png", flat_image(0))
    load(tmp_path / "d")
    assert load(tmp_path / "d").from_cache
    assert list((tmp_path / "cache").glob("d-*.npz"))


def test_cache_inside_the_data_folder_is_never_written(tmp_path):
    save(tmp_path / "a.png", flat_image(0))
    save(tmp_path / "b.png", flat_image(0))
    before = listing(tmp_path)
    r = load(tmp_path, cache_dir=tmp_path / "inside")
    assert r.loaded == 2 and listing(tmp_path) == before


# ---- progress, cancel, worker processes -------------------------------------------------------

def test_progress_reaches_the_total(tmp_path):
    for i in range(6):
        save(tmp_path / f"{i}.png", flat_image(i))
    calls = []
    load(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (6, 6) and all(t == 6 for _, t in calls)


def test_cancel_raises_load_cancelled(tmp_path):
    for i in range(6):
        save(tmp_path / f"{i}.png", flat_image(i))
    with pytest.raises(LoadCancelled):
        load(tmp_path, cancelled=lambda: True)
    assert issubclass(LoadCancelled, EngineError)
    assert not list((tmp_path / "cache").glob("*.npz")) if (tmp_path / "cache").exists() else True


def test_worker_processes_match_in_thread_decoding(tmp_path, monkeypatch):
    for i in range(40):
        save(tmp_path / ("odd" if i % 2 else "even") / f"{i}.png", flat_image(i, (6, 5)))
    (tmp_path / "even" / "bad.png").write_bytes(b"junk")
    monkeypatch.setattr(workers_mod, "POOL_MIN_SECONDS", 0)
    leftovers = []
    real = workers_mod._decode_in_pool
    monkeypatch.setattr(workers_mod, "_decode_in_pool", lambda *a: leftovers.append(real(*a)) or leftovers[-1])
    pooled = load(tmp_path, workers=2, cache_dir=tmp_path / "c1")
    assert leftovers == [[]]  # the pool did all the work, nothing fell back to this thread
    serial = load(tmp_path, workers=1, cache_dir=tmp_path / "c2")
    assert pooled.skipped == serial.skipped == [("even/bad.png", "not an image")]
    np.testing.assert_array_equal(pooled.dataset.x_train, serial.dataset.x_train)
    np.testing.assert_array_equal(pooled.dataset.y_test, serial.dataset.y_test)


def test_worker_processes_start_from_a_background_thread(tmp_path, monkeypatch):
    # The GUI calls load_folder from a worker thread; forkserver must cope with a threaded parent.
    import threading
    for i in range(12):
        save(tmp_path / f"{i}.png", flat_image(i))
    monkeypatch.setattr(workers_mod, "POOL_MIN_SECONDS", 0)
    leftovers = []
    real = workers_mod._decode_in_pool
    monkeypatch.setattr(workers_mod, "_decode_in_pool", lambda *a: leftovers.append(real(*a)) or leftovers[-1])
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("r", load(tmp_path, workers=2)))
    worker.start()
    worker.join(timeout=60)
    assert out["r"].loaded == 12
    assert leftovers == [[]]   # the processes did the work: in-thread decoding would also load 12


def test_cancel_stops_worker_processes(tmp_path, monkeypatch):
    for i in range(40):
        save(tmp_path / f"{i}.png", flat_image(i))
    monkeypatch.setattr(workers_mod, "POOL_MIN_SECONDS", 0)
    monkeypatch.setattr(workers_mod, "CHUNK_MAX_FILES", 2)
    outcome = []
    real = workers_mod._decode_in_pool

    def watched(*a):
        try:
            outcome.append(real(*a))
        except LoadCancelled:
            outcome.append("cancelled in the pool")
            raise
        return outcome[-1]
    monkeypatch.setattr(workers_mod, "_decode_in_pool", watched)
    seen = []
    with pytest.raises(LoadCancelled):
        load(tmp_path, workers=2, progress=lambda d, t: seen.append(d), cancelled=lambda: bool(seen))
    assert outcome == ["cancelled in the pool"]   # not the in-thread fallback after a pool that never ran
