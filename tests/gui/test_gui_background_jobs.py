"""Closing a view while its background job runs must not freeze the app (gui.background.JobPool)."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from gui.background import JobPool

ROOT = Path(__file__).resolve().parents[2]

# The owner is deleted while its job sleeps: a QThreadPool owned by it waited for the job in its
# destructor, holding the GIL the job needed to go on, and the process hung for ever.
SCRIPT = """
import threading, time
from PySide6.QtTest import QTest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

app = QApplication([])
owner = QObject()
started = threading.Event()

def slow():
    started.set()
    time.sleep(0.5)
    return "late"

{start}
assert started.wait(10)
owner.deleteLater()
QTest.qWait(50)  # the deferred delete runs inside this call, as in the views
time.sleep(1.0)  # the job ends; its answer goes to a deleted object and is dropped
app.processEvents()
print("closed while running")
"""
OWNERS = {
    "density image": "from gui.views.density import LatestRunner\nLatestRunner(owner).request(slow)",
    "thumbnails": "from gui.thumbnails import PreviewLoader\nPreviewLoader(2, owner).get('a', slow)",
}


@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_deleting_the_owner_during_a_job_does_not_hang(owner: str) -> None:
    code = textwrap.dedent(SCRIPT).replace("{start}", OWNERS[owner])
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "closed while running" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_pool_runs_jobs_side_by_side_and_waits_for_them() -> None:
    pool = JobPool(2, "test")
    both, release = threading.Barrier(3, timeout=10), threading.Event()
    for _ in range(2):
        pool.start(lambda: (both.wait(), release.wait(10)))
    both.wait()  # two jobs run at once
    assert not pool.wait(50)
    release.set()
    assert pool.wait(5000)


def test_a_job_that_fails_is_reported_not_swallowed(monkeypatch) -> None:
    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: reported.append(error))
    pool = JobPool(1, "test")
    pool.start(lambda: 1 / 0)
    assert pool.wait(5000)
    assert len(reported) == 1 and isinstance(reported[0], ZeroDivisionError)
