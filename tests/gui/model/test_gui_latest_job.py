"""LatestJob: the newest request's result is delivered, and none once the session's pool is closed."""
import threading

from vaegui.model.latest_job import LatestJob
from vaegui.model.workers import Workers


def test_only_the_newest_result_is_delivered(qtbot):
    workers = Workers()
    job = LatestJob(workers)
    results = []
    job.done.connect(results.append)
    release = threading.Event()
    job.submit(lambda: release.wait(10) and "old")
    job.submit(lambda: "new")
    release.set()
    qtbot.waitUntil(lambda: job.idle, timeout=10000)
    assert results == ["new"]
    assert workers.close(10000)


def test_a_result_queued_when_the_pool_closes_is_dropped(qtbot):
    # The window closes: it joins the pool while a finished job's result is still queued for
    # the GUI thread; the panels it would reach have taken their plots apart.
    workers = Workers()
    job = LatestJob(workers)
    results = []
    job.done.connect(results.append)
    job.submit(lambda: "late")
    assert workers.pool.waitForDone(10000)  # the job has returned; its signal waits in the event queue
    assert workers.close(10000)
    qtbot.waitUntil(lambda: job.idle, timeout=10000)   # ... and is delivered now
    assert results == []
