"""Does the window stay responsive? A 5 ms heartbeat timer in the real window while it analyses.

Runs each case twice in the same process: ``in-process`` (the engine on the worker thread, as
before issue 10) and ``engine process`` (the persistent engine process). Prints, per case, the
longest stall of the GUI thread, the stalls over 100 ms and the stage each happened in, how long
each view took to take the result, and, for cancelled runs, the time from Cancel to idle. A
watchdog thread samples the GUI thread's Python stack while a tick is late, so each long stall
also names the code the GUI thread was in (``--where``).
Also times the hand-over of a 100 000 x 384 result (project file in /dev/shm against pickle) and
how long it holds the interpreter lock away from another thread.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_responsiveness.py [--images 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from tests.gui.test_gui_engine_process import write_table  # noqa: E402  the tests' four-centre table

STALL_S = 0.1
CANCEL_WAIT_S = 120.0
"""An in-process t-SNE or HDBSCAN may ignore Cancel for minutes; the benchmark stops waiting here."""
VIEWS = (  # what _show_result hands the result to: (attribute path, method)
    ("view_state", "reset_for"),
    ("metrics", "set_result"),
    ("scatter", "set_result"),
    ("problems", "set_problems"),
    ("settings_panel", "set_result"),
    ("k_curve", "set_curve"),
    ("analysis", "set_result"),
    ("item", "set_result"),
)


def write_images(folder: Path, n: int) -> Path:
    """``n`` small pictures in four families (stripes, rings, noise, gradients)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:96] / 96.0
    for i in range(n):
        kind = i % 4
        rings = np.sin(np.hypot(x - 0.5, y - 0.5) * 40)
        base = [np.sin(x * 20 + i), rings, rng.random((96, 96)), x * y][kind]
        rgb = np.stack([base, np.roll(base, i % 7), base * 0.5], axis=-1)
        rgb = (255 * (rgb - rgb.min()) / (np.ptp(rgb) or 1)).astype(np.uint8)
        Image.fromarray(rgb).save(folder / f"img{i:04d}.png")
    return folder


def _stack_of(thread_id: int, depth: int = 4) -> str:
    """The innermost ``depth`` project frames (else any frames) of a thread, innermost last."""
    frame = sys._current_frames().get(thread_id)
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    ours = [f for f in frames if "site-packages" not in f.f_code.co_filename] or frames
    names = (f"{Path(f.f_code.co_filename).name}:{f.f_code.co_name}:{f.f_lineno}" for f in ours[:depth])
    return " < ".join(names)


class Watchdog(threading.Thread):
    """Every 10 ms, while the heartbeat is over 50 ms late, notes where the GUI thread is."""

    def __init__(self, probe: Probe) -> None:
        super().__init__(daemon=True)
        self.probe, self.gui = probe, threading.get_ident()
        self.seen: dict[str, int] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            time.sleep(0.01)
            if self.probe.timer.isActive() and time.perf_counter() - self.probe._last > 0.05:
                where = _stack_of(self.gui)
                self.seen[where] = self.seen.get(where, 0) + 10

    def report(self, top: int = 6) -> None:
        self.running = False
        for where, ms in sorted(self.seen.items(), key=lambda kv: -kv[1])[:top]:
            print(f"      ~{ms:4d} ms late in {where}")


class Probe:
    """The heartbeat: a 5 ms timer on the GUI thread; a late tick is a stall."""

    def __init__(self, window, where: bool = False) -> None:
        from PySide6.QtCore import QTimer

        self.watchdog = Watchdog(self) if where else None
        self.phase = "starting"
        self.stalls: list[tuple[float, str]] = []
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        window.worker.progress.connect(lambda stage, *_: setattr(self, "phase", stage))
        self.views: dict[str, float] = {}
        for attribute, method in VIEWS:
            self._time_view(getattr(window, attribute), attribute, method)
        self._time_view(window, "all views", "_show_result")

    def _time_view(self, owner, name: str, method: str) -> None:
        original = getattr(owner, method)

        def timed(*args, **kwargs):
            phase, self.phase = self.phase, f"drawing: {name}"
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.views[name] = self.views.get(name, 0.0) + time.perf_counter() - start
                self.phase = phase if name != "all views" else "after drawing"

        setattr(owner, method, timed)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self._last
        self._last = now
        self.longest = max(self.longest, gap)
        if gap > STALL_S:
            self.stalls.append((gap, self.phase))

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()
        if self.watchdog is not None:
            self.watchdog.start()

    def report(self, label: str) -> None:
        self.timer.stop()
        where: dict[str, list[float]] = {}
        for gap, phase in self.stalls:
            where.setdefault(phase, []).append(gap)
        print(f"  {label}: longest stall {self.longest * 1000:.0f} ms, {len(self.stalls)} stalls over 100 ms")
        for phase, gaps in sorted(where.items(), key=lambda kv: -max(kv[1])):
            print(f"      {len(gaps):3d} x, longest {max(gaps) * 1000:5.0f} ms  in {phase}")
        views = ", ".join(f"{k} {v * 1000:.0f}" for k, v in sorted(self.views.items(), key=lambda kv: -kv[1]))
        print(f"      views (ms): {views}")
        if self.watchdog is not None:
            self.watchdog.report()


def wait(app, predicate, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    return predicate()


def make_window(in_process: bool):
    from engine import pipeline
    from gui import project
    from gui.main_window import MainWindow

    project.ask_unsaved = lambda *_: project.Answer.Discard  # a benchmark throws its windows away

    window = MainWindow(settings=None, run_fn=pipeline.run if in_process else None)
    window.show()
    window.worker.warm_up()
    return window


def analyse(app, label: str, folder: Path, in_process: bool, where: bool = False, **spec) -> None:
    """Open ``folder`` in a fresh window and probe until the result is drawn and has settled."""
    window = make_window(in_process)
    if not in_process:
        time.sleep(3.0)  # the engine's imports, as after a window has been open a moment
    window.settings_panel.set_spec(window.settings_panel.spec.replace(use_cache=False, **spec))
    probe = Probe(window, where)
    shown: list[float] = []
    window.result_shown.connect(lambda _r: shown.append(time.perf_counter()))
    window.worker.failed.connect(lambda message, _p: print("   failed:", message))
    probe.start()
    start = time.perf_counter()
    window.open_paths([folder])
    wait(app, lambda: bool(shown) or not window.worker.running, 900)
    wait(app, lambda: False, 1.0)  # a second of settling: deferred drawing shows here
    total = (shown[0] - start) if shown else float("nan")
    probe.report(f"{label}, {'in-process' if in_process else 'engine process'} ({total:.1f} s to result)")
    window.close()


def cancel_in(app, stage: str, spec_changes: dict, kept, in_process: bool) -> None:
    """Start from ``kept`` (or a new input), press Cancel when ``stage`` is reported, time until idle."""
    window = make_window(in_process)
    if not in_process:
        time.sleep(3.0)
    window.result = kept
    probe = Probe(window)
    reached: list[float] = []
    window.worker.progress.connect(
        lambda name, *_: name.startswith(stage) and reached.append(time.perf_counter())
    )
    window.settings_panel.set_spec(kept.spec.replace(**spec_changes))
    probe.start()
    window.run_now()
    if not wait(app, lambda: bool(reached), 300):
        print(f"  cancel in {stage}: the stage was never reached")
        return
    asked = time.perf_counter()
    window.cancel()
    wait(app, lambda: not window.worker.running, CANCEL_WAIT_S)
    idle = time.perf_counter() - asked
    mode = "in-process" if in_process else "engine process"
    idle_text = f"{idle:.2f} s" if not window.worker.running else f"> {CANCEL_WAIT_S:.0f} s (still running)"
    stall = f"longest stall {probe.longest * 1000:.0f} ms"
    print(f"  cancel in {stage:8s} {mode:15s}: idle after {idle_text} ({stall})")
    probe.timer.stop()
    window.close()


def handover(rows: int = 100_000, dims: int = 384) -> None:
    """A 100k x 384 result through the project file in RAM, against pickle; and the lock it holds."""
    import pickle

    from engine import pipeline, server

    folder = write_table(Path(tempfile.mkdtemp()) / "h", rows, 4)
    result = pipeline.run(pipeline.Spec(paths=(str(folder),), k=4, use_cache=False))
    result.embeddings = np.random.default_rng(0).normal(size=(rows, dims)).astype(np.float32)
    gaps: list[float] = []
    stop = threading.Event()

    def heartbeat() -> None:  # stands for the GUI thread while the worker thread reads
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    for name, write, read in (
        ("project file in " + str(server.handover_dirs()[0]), server.write_handover, server.read_handover),
        ("pickle (protocol 5)", lambda r: pickle.dumps(r, protocol=5), pickle.loads),
    ):
        start = time.perf_counter()
        blob = write(result)
        written = time.perf_counter() - start
        gaps.clear()
        stop.clear()
        beat = threading.Thread(target=heartbeat)
        beat.start()
        start = time.perf_counter()
        read(blob)
        loaded = time.perf_counter() - start
        stop.set()
        beat.join()
        print(
            f"  {name}: write {written:.2f} s, read {loaded:.2f} s, "
            f"longest lock hold seen by another thread {max(gaps) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--skip", default="", help="comma-separated: table,images,cancel,handover")
    parser.add_argument("--where", action="store_true", help="name the code the GUI thread was in when late")
    args = parser.parse_args()
    skip = set(args.skip.split(","))

    from engine import pipeline
    from gui.app import application

    app = application([])
    root = Path(tempfile.mkdtemp(prefix="bench_responsiveness_"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if "handover" not in skip:
        print("hand-over of a 100 000 x 384 result:")
        handover()
    if "table" not in skip:
        table = write_table(root / "table", args.rows, 32)
        print(f"{args.rows} x 32 table, K-Means, k auto:")
        for in_process in (True, False):
            analyse(app, "table", table, in_process, args.where, k=None)
    if "images" not in skip:
        images = write_images(root / "images", args.images)
        print(f"{args.images} images, default embedder:")
        for in_process in (True, False):
            analyse(app, "images", images, in_process, args.where)
    if "cancel" not in skip:
        medium = write_table(root / "medium", 15_000, 16, seed=1)
        big = write_table(root / "big", 200_000, 8, seed=2)
        kept = pipeline.run(pipeline.Spec(paths=(str(medium),), k=4, use_cache=False))
        print("Cancel, from the moment the stage is reported:")
        cases = [
            ("ingest", {"paths": (str(big),)}),
            ("choose k", {"k": None, "k_max": 30}),
            ("HDBSCAN", {"algorithm": "hdbscan"}),
            ("anomaly", {"detector": "ocsvm"}),
            ("layout", {"layout": "tsne"}),  # last: in-process, t-SNE runs on long after Cancel
        ]
        if "images" not in skip:
            cases.insert(1, ("embed", {"paths": (str(root / "images"),), "modality": None}))
        for stage, changes in cases:
            for in_process in (True, False):
                cancel_in(app, stage, changes, kept, in_process)


if __name__ == "__main__":
    main()
