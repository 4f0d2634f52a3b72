"""Nothing keeps what the session has moved on from: a finished worker and what its job held, a
snapshot's model copy once the map shows a newer one (issue 8, item 5: while a run trains the
explored model is a new copy every second, and anything that kept old ones, a cache, a
generator's local, a worker in a reference cycle that waits for the garbage collector's rare
full passes, held 5-10 MB more in the memory soak for minutes at a time)."""
import gc
import threading
import warnings
import weakref

import numpy as np
import pytest
from superqt.utils import FunctionWorker

import engine
from vaegui.model.workers import Job, Workers


@pytest.fixture
def no_cycle_collector():
    """Only reference counting frees objects meanwhile: what a cycle holds stays held."""
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


class Held:
    """Something a job holds (weak-referenceable, unlike a NumPy array's data)."""


def test_a_finished_worker_and_what_its_job_held_are_freed_at_once(qtbot, no_cycle_collector):
    workers = Workers()
    held, returned = Held(), []
    worker = FunctionWorker(lambda h: 7, held)
    worker.returned.connect(returned.append)
    worker_ref, held_ref = weakref.ref(worker), weakref.ref(held)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        assert workers.start(worker)
    del worker, held
    qtbot.waitUntil(lambda: workers.live == 0, timeout=5000)
    assert returned == [7]
    assert workers.pool.waitForDone(5000)              # the pool thread has left the worker's run()
    qtbot.waitUntil(lambda: worker_ref() is None and held_ref() is None, timeout=2000)
    assert workers.close(5000)


def test_jobs_whose_runs_overlap_hold_nothing_once_done(qtbot, no_cycle_collector):
    """superqt's run() swaps warnings.showwarning for a hook holding the worker inside
    catch_warnings(), which is not thread-safe: two runs that overlap out of order leave one
    worker's hook installed. A Job keeps nothing of its call, so that pins nothing heavy."""
    workers = Workers()
    first_started, second_started, first_may_end = threading.Event(), threading.Event(), threading.Event()
    held = [Held(), Held()]
    refs = [weakref.ref(h) for h in held]

    def first(h):
        first_started.set()
        assert second_started.wait(5)        # ends while the second runs: out of order
        return None

    def second(h):
        second_started.set()
        first_may_end.wait(5)
        return None

    original = warnings.showwarning
    try:
        jobs = [Job(first, held[0]), Job(second, held[1])]
        with qtbot.waitSignals([j.finished for j in jobs], timeout=5000):
            assert workers.start(jobs[0])
            qtbot.waitUntil(first_started.is_set, timeout=5000)     # its run() is inside catch_warnings
            assert workers.start(jobs[1])
            qtbot.waitUntil(second_started.is_set, timeout=5000)   # its run() is inside catch_warnings too
            first_may_end.set()
        del jobs, held
        assert workers.pool.waitForDone(5000)
        qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=2000)
    finally:
        warnings.showwarning = original      # whatever superqt left installed
    assert workers.close(5000)


def test_the_neighbours_encoding_job_is_freed_when_done(qtbot, window, no_cycle_collector, encoded):
    s, panel = window.session, window.panels["neighbours"]
    window.docks["neighbours"].raise_()                  # a hidden tab defers its search
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(32,), latent_dim=2), seed=0))
    encoded(s)               # the snapshot's own job first: two overlapping runs can pin one (test above)
    s.select(np.array([0.1, -0.2]))
    panel.refresh()                                      # now, not after the debounce
    assert panel.encoding, "the test set is encoded in a job"
    job_ref = weakref.ref(panel.encode_job.newest_job())
    qtbot.waitUntil(lambda: panel.neighbours is not None and not panel.encoding, timeout=5000)
    qtbot.waitUntil(lambda: job_ref() is None, timeout=2000)


def test_a_cached_search_does_not_keep_the_model_it_was_for(qtbot, window, no_cycle_collector):
    s, panel = window.session, window.panels["neighbours"]
    window.docks["neighbours"].raise_()
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(32,), latent_dim=2), seed=0))
    old = weakref.ref(s.explore_model)                   # the snapshot copy the search encodes with
    s.select(np.array([0.1, -0.2]))
    panel.refresh()
    qtbot.waitUntil(lambda: panel.neighbours is not None and not panel.encoding, timeout=5000)
    window.docks["dims"].raise_()                        # its tab hidden: no search for the next model
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(32,), latent_dim=2), seed=1))   # explore another
    qtbot.waitUntil(lambda: old() is None, timeout=2000)


def test_the_training_generator_does_not_hold_the_snapshot_it_yielded(small_mnist, monkeypatch, no_cycle_collector):
    """Mid-epoch snapshots are rare (within 1% of the training time), so a generator that kept
    the last one would hold its model copy for minutes."""
    from vaegui.model import training_run
    from vaegui.model.training_run import Batches, Snapshot, training_events
    monkeypatch.setattr(training_run, "lower_priority", lambda: None)    # this runs in the test's thread
    monkeypatch.setattr(training_run, "SCATTER_BUDGET", 1e9)             # a snapshot at every batch
    data = small_mnist.subset(400, 50)
    trainer = engine.Trainer(engine.VAE(engine.VAEConfig(hidden=(8,), latent_dim=2)), data,
                             engine.TrainConfig(epochs=1, batch_size=100), threads=1)
    x = data.x_test[:20]
    events = training_events(trainer, x, None, batch_interval=0, scatter_interval=1e-9)
    item = next(events)
    while not (isinstance(item, Snapshot) and not item.final):
        item = next(events)
    copy = weakref.ref(item.model)
    del item
    assert isinstance(next(events), Batches)          # the next batch, before any new snapshot
    assert copy() is None
    events.close()


def test_samples_cleared_by_a_newer_snapshot_do_not_keep_its_model(qtbot, window, no_cycle_collector):
    s, panel = window.session, window.panels["samples"]
    s.set_model(engine.VAE(engine.VAEConfig(hidden=(32,), latent_dim=2), seed=0))
    panel.sample_prior()
    old = weakref.ref(s.explore_model)
    s.set_snapshot(s.snapshot.__class__(s.model.copy(), s.snapshot.codes, s.snapshot.labels, 1.0))
    assert panel.samples is None                         # stale draws cleared
    assert old() is None
