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
    to the return, validation included.
    """

    def __init__(self):
        import keras

        self.calls: list[dict] = []
        self._lock = threading.Lock()
        original = keras.Model.fit
        timer = self

        def fit(model, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(model, *args, **kwargs)
            finally:
                t1 = time.perf_counter()
                with timer._lock:
                    timer.calls.append({"thread": threading.current_thread().name, "seconds": t1 - t0})

        keras.Model.fit = fit

    def take(self) -> list[dict]:
        """The calls timed since the last `take`."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls
