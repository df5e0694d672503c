"""Shared set-up for the benchmark scripts: environment, machine description, fit timer.

Import this before `lab` or `keras`: it sets LAB_OFFLINE, a throw-away
LAB_HOME and a quiet TensorFlow log level, and puts the project on sys.path
so the scripts run as ``python bench/<name>.py`` from the project root.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["LAB_OFFLINE"] = "1"  # a benchmark never waits on the network
_HOME = tempfile.TemporaryDirectory(prefix="lab-bench-")
os.environ["LAB_HOME"] = _HOME.name  # runs.sqlite and trained models go here, removed at exit
HOME = Path(_HOME.name)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line: CPU, cores, GPU or not, Python, TensorFlow and Keras versions."""
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return (f"{cpu_model()}, {os.cpu_count()} cores, {'GPU: ' + str(len(gpus)) if gpus else 'no GPU'}; "
            f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}")


def rss_mib() -> float:
    """Resident memory of this process (VmRSS in /proc/self/status), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found in /proc/self/status (Linux only)")


class FitTimer:
    """Times every ``keras.Model.fit`` call in the process, in whichever thread it runs.

    The same wrapper times the plain baseline fit and the fit the lab's worker
    thread makes, so both fit times are measured the same way: from the call
    to the return, validation included. ``cpu_s`` is the CPU time of the whole
    process over the same span (every thread, TensorFlow's pools included):
    unlike wall time it barely moves when other programs share the cores.
    """

    def __init__(self):
        import keras

        self.calls: list[dict] = []
        self._lock = threading.Lock()
        original = keras.Model.fit
        timer = self

        def fit(model, *args, **kwargs):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return original(model, *args, **kwargs)
            finally:
                t1, c1 = time.perf_counter(), time.process_time()
                with timer._lock:
                    timer.calls.append({"thread": threading.current_thread().name, "seconds": t1 - t0,
                                        "cpu_s": c1 - c0})

        keras.Model.fit = fit

    def take(self) -> list[dict]:
        """The calls timed since the last `take`."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


def _system_busy_s() -> float:
    """CPU seconds all programs have used since boot (user, nice, system, irq, softirq), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class Others:
    """How busy other programs kept the machine during a span of this process.

    ``share()`` is the CPU time other processes used, as a fraction of all
    cores over the span's wall time: 0 on an idle machine, 0.5 when others
    kept one of two cores busy. Wall-time measurements are only comparable
    when this stays near 0.
    """

    def __init__(self):
        self.t0, self.busy0, self.self0 = time.perf_counter(), _system_busy_s(), time.process_time()

    def share(self) -> float:
        wall = time.perf_counter() - self.t0
        others = (_system_busy_s() - self.busy0) - (time.process_time() - self.self0)
        return max(0.0, others) / max(wall * (os.cpu_count() or 1), 1e-9)


def wait_idle(max_share: float = 0.10, probe_s: float = 1.0, timeout_s: float = 120.0) -> float:
    """Wait until other programs use under ``max_share`` of the cores over ``probe_s``,
    or ``timeout_s`` passes; returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        probe = Others()
        time.sleep(probe_s)
        if probe.share() < max_share:
            break
    return time.perf_counter() - t0


class Spans:
    """Times chosen functions and methods (replaced by timing wrappers), by thread.

    Each call is recorded with the label of the timed call it ran inside, so
    ``totals(top_level=True)`` gives a job's phases and ``totals(inside="fit")``
    gives what the callbacks cost during ``fit``.

    Example:
        >>> spans = Spans(); spans.wrap(lab.jobs.prepare, "arrays", "prepare.arrays")
    """

    def __init__(self):
        self.records: list[tuple[str, str | None, float]] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def wrap(self, owner, attr: str, label: str) -> None:
        original = getattr(owner, attr)
        spans = self

        def timed(*args, **kwargs):
            stack = spans._local.__dict__.setdefault("stack", [])
            parent = stack[-1] if stack else None
            stack.append(label)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds = time.perf_counter() - t0
                stack.pop()
                with spans._lock:
                    spans.records.append((label, parent, seconds))

        timed.__name__ = getattr(original, "__name__", attr)
        setattr(owner, attr, timed)

    def take(self) -> list[tuple[str, str | None, float]]:
        with self._lock:
            records, self.records = self.records, []
        return records
