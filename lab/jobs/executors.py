"""Executors run jobs. `ThreadExecutor` (the default) trains in a worker thread of the
server process: nothing to install or start. `lab.jobs.ray_executor.RayExecutor`
trains on a Ray cluster when ``LAB_RAY_ADDRESS`` is set (`from_settings`).

An executor receives a plain `Job`, a sink to report to, and a function to
call when the job is over. Whatever it runs the trainer in, it reports a
crash as ``sink.fail`` and always calls ``done``. It also says, for the Train
page, where runs train (``where``), what the teacher should know (``warning``)
and, when no run can train, why (``problem``).
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Callable, Protocol

from lab import reclaim
from lab.device import cpu_name
from lab.jobs.job import Job
from lab.jobs.sink import ProgressSink
from lab.settings import settings

log = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs jobs somewhere."""

    where: str  # where runs train, in words
    warning: str | None  # something the Train page should say (a cluster it fell back from)
    problem: str | None  # why no run can train now; None when they can

    def start(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        """Begin ``job`` now (without waiting for it); call ``done(job.id)`` when it is over."""


class ThreadExecutor:
    """One daemon thread per job, in this process.

    After each job, when no other job of this executor is training, it drops
    what TensorFlow keeps of every traced model (`lab.reclaim`), then collects
    garbage and trims the heap after ``done``, so a page waiting on the job
    does not wait for that.
    """

    def __init__(self, warning: str | None = None):
        self.where, self.warning, self.problem = f"in this server, on its {cpu_name()}", warning, None
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
            try:
                sink.fail(str(exc))
            except Exception as lost:  # the records are away: the job manager settles the run later
                log.warning("run %s: its failure could not be recorded: %s", job.id, lost)
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:  # no other job is tracing a model now
                    reclaim.forget_custom_gradients(reclaim.custom_gradient_keys() - self._tf_keys)
            done(job.id)
            gc.collect()
            reclaim.trim_heap()


class Unavailable:
    """No run can train: the cluster named in the settings cannot be used and falling back
    is switched off (``LAB_RAY_FALLBACK=0``). The job manager refuses runs with ``problem``."""

    def __init__(self, problem: str):
        self.where, self.warning, self.problem = "nowhere for now", None, problem

    def start(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        sink.fail(self.problem)
        threading.Thread(target=done, args=(job.id,), daemon=True).start()  # never under the caller's lock


def from_settings() -> Executor:
    """The executor the settings ask for: threads here, or the Ray cluster at
    ``LAB_RAY_ADDRESS``. A cluster that cannot be used falls back to threads with a
    warning (``LAB_RAY_FALLBACK=1``, the default) or refuses runs with the reason."""
    s = settings()
    if not s.ray_address:
        return ThreadExecutor()
    from lab.jobs.ray_cluster import RayUnavailable
    from lab.jobs.ray_executor import RayExecutor

    try:
        return RayExecutor(s.ray_address, s.ray_cpus, s.ray_gpus)
    except RayUnavailable as exc:
        if s.ray_fallback:
            return ThreadExecutor(warning=f"{exc} Runs train in this server instead (LAB_RAY_FALLBACK=1).")
        return Unavailable(f"{exc} Training is off until then (LAB_RAY_FALLBACK=0).")
