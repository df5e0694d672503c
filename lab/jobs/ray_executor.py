"""Training on a Ray cluster: `RayExecutor`, chosen when ``LAB_RAY_ADDRESS`` is set.

The job queue stays in the server; each job it releases becomes one Ray task
(`lab.jobs.ray_worker.train`) that asks the cluster for ``LAB_RAY_CPUS`` CPUs
(and ``LAB_RAY_GPUS`` GPUs) and runs on whichever node has room. The task
reports through a `Relay` actor; one watcher thread here takes the reports
every `POLL_S` seconds and applies them to each job's sink (its `Recorder`),
writes model files the workers send into this server's models folder, passes
Stop on, and notices tasks that end.

Known traps, handled here and in `lab.jobs.ray_worker`:

- TensorFlow takes all of a GPU's memory unless memory growth is set inside
  the task, before TensorFlow starts.
- A reused worker process does not give GPU memory back: a GPU job gets a
  process of its own (``max_calls=1``).
- Ray sets a task's thread count to its CPU request, and TensorFlow must be
  told too (the worker sets its thread pools to ``LAB_RAY_CPUS``).
- A running actor method cannot be interrupted, so ``fit`` runs in a task and
  stops cooperatively after a batch; ``ray.cancel`` is the last resort (a job
  not started yet, or one whose worker does not answer within `STOP_GRACE_S`).
- A worker that dies mid-run (``max_retries=0``: never silently trained
  twice) leaves its run ``interrupted``, to be continued from its last saved
  epoch, which the server holds.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lab import artifacts, data
from lab.jobs.job import Job
from lab.jobs.ray_cluster import connect, describe, first_line
from lab.jobs.ray_worker import REPORTS, Relay, train
from lab.jobs.sink import ModelSaver, ProgressSink

log = logging.getLogger(__name__)
POLL_S = 0.1  # how often the server takes reports and checks tasks
STOP_GRACE_S = 20.0  # seconds a running job may take to honour Stop before its task is cancelled


@dataclass
class _Running:
    """A job handed to the cluster, as the watcher follows it."""

    job: Job
    sink: ProgressSink
    done: Callable[[int], None]
    ref: object = None
    begun: bool = False
    stop_sent: float | None = None
    cancelled: bool = False
    saver: ModelSaver | None = None
    pid: int | None = None
    node: str = ""
    released: bool = False  # the job manager has been told it is done

    @property
    def worker(self) -> str:
        """The worker process in words, for messages."""
        return f"process {self.pid} on node {self.node}" if self.pid else "its worker"


class RayExecutor:
    """Runs each job as a Ray task on the cluster at ``address`` (``HOST:PORT`` of its head).

    Args:
        address: the head node's GCS address, as ``ray start --head`` prints it.
        cpus: CPUs each job asks for (TensorFlow uses that many threads).
        gpus: GPUs each job asks for, unless its settings say CPU only.
        stop_grace_s: seconds a running job has to honour Stop before its task is cancelled.

    Raises:
        lab.jobs.ray_cluster.RayUnavailable: Ray is not installed, the cluster cannot be
            reached, or no node has the CPUs or GPUs a job would ask for.
    """

    def __init__(self, address: str, cpus: int = 1, gpus: float = 0.0, stop_grace_s: float = STOP_GRACE_S):
        self.address, self.cpus, self.gpus, self.stop_grace_s = address, int(cpus), float(gpus), stop_grace_s
        ray = connect(address)
        self.where = f"on the Ray cluster at {address}: {describe(ray, self.cpus, self.gpus, address)}"
        self.warning, self.problem = None, None
        self._cpu_task = ray.remote(max_retries=0)(train)
        self._gpu_task = ray.remote(max_retries=0, max_calls=1)(train)  # a process of its own per GPU job
        self._relay_class = ray.remote(Relay)
        self.relay = self._new_relay()
        self._lock = threading.Lock()
        self._new: list[_Running] = []
        self._running: dict[int, _Running] = {}
        self._data: dict[str, object] = {}
        self._closed = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="ray-watcher", daemon=True)
        self._watcher.start()

    def start(self, job: Job, sink: ProgressSink, done: Callable[[int], None]) -> None:
        """Hand ``job`` to the cluster (from the watcher thread, so the caller never waits on Ray)."""
        sink.phase("Waiting for room on the Ray cluster")
        with self._lock:
            self._new.append(_Running(job, sink, done))

    def worker(self, job_id: int) -> tuple[int, str] | None:
        """The process id and node address of the worker training the job, once it is known."""
        running = self._running.get(job_id)
        return (running.pid, running.node) if running and running.pid else None

    def close(self) -> None:
        """Stop watching (jobs still on the cluster are left to it)."""
        self._closed.set()
        self._watcher.join(timeout=5)

    # ---- the watcher ------------------------------------------------------------------------

    def _watch(self) -> None:
        import ray

        while not self._closed.wait(POLL_S):
            if not ray.is_initialized():  # this process left the cluster (ray.shutdown): stop watching
                self._lose_all(f"The lab left the Ray cluster at {self.address}.")
                return
            try:
                self._tick()
            except Exception as exc:  # the relay or the cluster went away: running jobs are lost
                self._lose_all(f"The lab lost contact with the Ray cluster at {self.address} "
                               f"({first_line(exc)}).")

    def _tick(self) -> None:
        import ray

        with self._lock:
            new, self._new = self._new, []
        for running in new:
            self._submit(running)
        self._apply(ray.get(self.relay.take.remote(), timeout=60))
        self._pass_stops()
        if self._running:
            refs = {r.ref: r for r in self._running.values()}
            ended, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
            if ended:
                self._apply(ray.get(self.relay.take.remote(), timeout=60))  # their last reports
                for ref in ended:
                    self._end(refs[ref])

    def _submit(self, running: _Running) -> None:
        job = running.job
        gpus = 0.0 if job.train.cpu_only else self.gpus
        try:
            if job.train.dataset not in self._data:  # each dataset crosses to the cluster once
                import ray

                self._data[job.train.dataset] = ray.put(data.load(job.train.dataset))
            resume = Path(job.resume_from).read_bytes() if job.resumes else None
            task = self._gpu_task if gpus else self._cpu_task
            running.ref = task.options(num_cpus=self.cpus, num_gpus=gpus, name=f"lab-run-{job.id}").remote(
                job, self._data[job.train.dataset], resume, self.relay, self.cpus, gpus)
        except Exception as exc:  # the data, the model file or the cluster
            self._let_go(running, lambda: running.sink.fail(
                f"The run could not be sent to the Ray cluster: {first_line(exc)}"))
            return
        self._running[job.id] = running

    def _apply(self, reports: dict[int, list[tuple]]) -> None:
        for job_id, items in reports.items():
            running = self._running.get(job_id)
            if running is None:
                continue
            try:
                for name, *args in items:
                    if name == "worker":
                        running.pid, running.node = args
                    elif name == "saved":
                        self._save(running, *args)
                    elif name in REPORTS:
                        running.begun = running.begun or name == "begin"
                        getattr(running.sink, name)(*args)
            except Exception as exc:  # its records cannot be written: this run fails, the others go on
                self._cancel(running)
                self._let_go(running, lambda: running.sink.fail(
                    f"The run's progress could not be recorded ({first_line(exc)}), so it was stopped."))

    @staticmethod
    def _save(running: _Running, epoch: int, key: str, content: bytes) -> None:
        """A worker's model file, written into this server's models folder."""
        if running.saver is None:
            running.saver = ModelSaver(running.sink, running.job.model_file, key)
        running.saver(lambda path: artifacts.write_file(content, path), epoch)

    def _pass_stops(self) -> None:
        import ray

        now = time.monotonic()
        for running in self._running.values():
            if running.stop_sent is None and running.sink.stop_requested():
                running.stop_sent = now
                if running.begun:
                    self.relay.stop.remote(running.job.id)  # the worker stops after its batch
                else:  # still waiting for room: leave the cluster's queue
                    running.cancelled = True
                    ray.cancel(running.ref)
            elif (running.stop_sent is not None and not running.cancelled
                  and now - running.stop_sent > self.stop_grace_s):
                running.cancelled = True  # the worker does not answer: the last resort
                ray.cancel(running.ref, force=True)

    def _end(self, running: _Running) -> None:
        self._let_go(running, lambda: self._report_end(running))

    def _report_end(self, running: _Running) -> None:
        import ray

        try:
            ray.get(running.ref)
        except Exception as exc:
            if running.cancelled and not running.begun:
                running.sink.cancelled("before it started")
            elif running.cancelled:
                running.sink.cancelled(more=f"{running.worker} did not stop within {self.stop_grace_s:g} s, "
                                            "so its task was cancelled. The epochs saved so far are kept.")
            elif isinstance(exc, ray.exceptions.RayTaskError):  # the lab's code failed on the worker
                running.sink.fail(f"The Ray worker could not run this job: {first_line(exc.cause or exc)}")
            else:  # the worker process or its node died
                running.sink.lost(f"The Ray worker training this run ({running.worker}) stopped: "
                                  f"{first_line(exc)} Its epochs up to the last saved one are kept: "
                                  "continue it from the Train page.")

    def _let_go(self, running: _Running, last_report: Callable[[], None]) -> None:
        """The watcher is done with ``running``: ``last_report`` says how it ended, and
        whatever it raises (its records cannot be written) stops neither the watcher nor
        the other runs; the job manager hears the job is done in any case, once."""
        import ray

        if running.released:  # already let go (its last reports failed it, then its task ended)
            return
        running.released = True
        try:
            last_report()
        except Exception as exc:
            log.warning("run %s: its ending could not be recorded: %s", running.job.id, first_line(exc))
        finally:
            if self._running.pop(running.job.id, None) is not None and ray.is_initialized():  # else Ray
                try:  # would start a cluster of its own for this call
                    self.relay.forget.remote(running.job.id)
                except Exception:  # the relay is gone with the cluster: nothing to forget
                    pass
            try:
                running.done(running.job.id)
            except Exception as exc:  # a fault of the job manager's must not stop the watcher
                log.warning("run %s: the job manager failed to end it: %s", running.job.id, first_line(exc))

    @staticmethod
    def _cancel(running: _Running) -> None:
        """Force the run's task off the cluster (nothing to do when it never got there)."""
        import ray

        try:
            if running.ref is not None and ray.is_initialized():  # else Ray would start a cluster of its own
                ray.cancel(running.ref, force=True)
        except Exception:  # the cluster is gone: nothing left to cancel
            pass

    def _lose_all(self, message: str) -> None:
        import ray

        connected = ray.is_initialized()  # never call Ray otherwise: it would start a cluster of its own
        for running in list(self._running.values()):
            self._cancel(running)
            self._let_go(running, lambda: running.sink.lost(message))
        try:
            if connected:
                self.relay = self._new_relay()
        except Exception:  # still unreachable: the next tick tries again
            pass

    def _new_relay(self):
        """The relay actor, placed on the head node (it lives as long as the cluster)."""
        import ray

        relay = self._relay_class.options(num_cpus=0, resources={"node:__internal_head__": 0.001}).remote()
        ray.get(relay.ping.remote(), timeout=120)
        return relay
