"""Executors run jobs. `ThreadExecutor` (the default) trains in a worker thread of the
server process: nothing to install or start.

An executor receives a plain `Job`, a sink to report to, and a function to
call when the job is over. Whatever it runs the trainer in, it reports a
crash as ``sink.fail`` and always calls ``done``.
"""

from __future__ import annotations

import gc
import threading
from typing import Callable, Protocol

from lab import reclaim
from lab.jobs.job import Job
from lab.jobs.sink import ProgressSink


class Executor(Protocol):
    """Runs jobs somewhere."""

    def start(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        """Begin ``job`` now (without waiting for it); call ``done(job.id)`` when it is over."""


class ThreadExecutor:
    """One daemon thread per job, in this process.

    After each job, when no other job of this executor is training, it drops
    what TensorFlow keeps of every traced model (`lab.reclaim`), then collects
    garbage and trims the heap after ``done``, so a page waiting on the job
    does not wait for that.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._tf_keys = reclaim.custom_gradient_keys()

    def start(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        with self._lock:
            self._running += 1
        threading.Thread(target=self._work, args=(job, sink, done), name=f"train-{job.id}",
                         daemon=True).start()

    def _work(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        from lab.jobs.trainer import Trainer  # late: TensorFlow loads with the first job

        try:
            Trainer(job, sink).run()
        except Exception as exc:  # the run is recorded as failed (or left as it was) with the reason
            sink.fail(str(exc))
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:  # no other job is tracing a model now
                    reclaim.forget_custom_gradients(reclaim.custom_gradient_keys() - self._tf_keys)
            done(job.id)
            gc.collect()
            reclaim.trim_heap()
