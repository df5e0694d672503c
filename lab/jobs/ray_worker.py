"""What runs on a Ray worker: one job's training, reporting through the server's relay.

The server (`lab.jobs.ray_executor`) sends a job, its dataset (through Ray's
object store) and, for a continued run, the bytes of its model file. The
worker trains with the same `lab.jobs.trainer.Trainer` as the server's
threads and reports to a `RemoteSink`: the trainer's calls are buffered and
sent to the `Relay` actor in one message every `FLUSH_S` seconds (batch
positions coalesced), model files travel back as bytes, and each answer
brings back whether the owner pressed Stop. The server takes the reports
from the relay and applies them to the run's `Recorder`, so its records stay
the single source of truth.

This module imports neither Streamlit nor TensorFlow at import time; the
relay actor uses nothing else.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

FLUSH_S = 0.05  # how often a worker sends its reports and hears about Stop

# The sink calls a worker may forward; the server applies only these.
REPORTS = ("phase", "begin", "model_ready", "position", "sample", "epoch", "saved", "save_failed",
           "finish", "fail")


class Relay:
    """A mailbox between the server and the workers of its jobs (made a Ray actor by the
    server, asking for no CPU): workers push reports and learn about Stop; the server
    takes the reports and asks for stops.

    Example:
        >>> relay = Relay()
        >>> relay.push(7, [("phase", "Training")]), relay.stop(7), relay.push(7, [])
        (False, None, True)
        >>> relay.take()
        {7: [('phase', 'Training')]}
    """

    def __init__(self):
        self._reports: dict[int, list[tuple]] = {}
        self._stops: set[int] = set()

    def push(self, job_id: int, reports: list[tuple]) -> bool:
        """Keep a worker's reports; returns whether its job was asked to stop."""
        if reports:
            self._reports.setdefault(job_id, []).extend(reports)
        return job_id in self._stops

    def take(self) -> dict[int, list[tuple]]:
        """Every report kept so far, per job, in the order they came; the mailbox empties."""
        reports, self._reports = self._reports, {}
        return reports

    def stop(self, job_id: int) -> None:
        """Ask the job's worker to stop after the batch it is in."""
        self._stops.add(job_id)

    def forget(self, job_id: int) -> None:
        """The job is over: drop what is kept for it."""
        self._stops.discard(job_id)
        self._reports.pop(job_id, None)

    def ping(self) -> bool:
        """True: the relay is up."""
        return True


class RemoteSink:
    """The `lab.jobs.sink.ProgressSink` a trainer reports to on a Ray worker.

    Calls are kept in a buffer (a run of batch positions keeps only the last)
    and a thread sends the buffer to the relay every `FLUSH_S` seconds; a saved
    model's file is read and sent as bytes. `close` sends what is left and
    waits until the relay has it.
    """

    def __init__(self, job_id: int, relay, model_file: str, node: str = ""):
        self.job_id, self.relay, self.model_file, self.node = job_id, relay, model_file, node
        self._lock = threading.Lock()
        self._buffer: list[tuple] = []
        self._stop = threading.Event()
        self._closed = threading.Event()
        self._pump = threading.Thread(target=self._send_every, name=f"relay-{job_id}", daemon=True)
        self._pump.start()

    # ---- the trainer's calls ------------------------------------------------------------

    def phase(self, message: str) -> None:
        self._add(("phase", message))

    def begin(self, device: str) -> None:
        self._add(("begin", f"{device}, Ray node {self.node}" if self.node else device))

    def model_ready(self) -> None:
        self._add(("model_ready",))

    def position(self, epoch: int, batch: int, batches: int) -> None:
        self._add(("position", epoch, batch, batches))

    def sample(self, sample, images_per_s: float, eta_s: float) -> None:
        self._add(("sample", sample, images_per_s, eta_s))

    def epoch(self, row) -> None:
        self._add(("epoch", row))

    def saved(self, epoch: int, key: str) -> None:
        self._add(("saved", epoch, key, Path(self.model_file).read_bytes()))

    def save_failed(self, message: str) -> None:
        self._add(("save_failed", message))

    def finish(self, outcome) -> None:
        self._add(("finish", outcome))

    def fail(self, message: str) -> None:
        self._add(("fail", message))

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # ---- sending ------------------------------------------------------------------------

    def worker(self, pid: int) -> None:
        """Tell the server which process trains (named in a message if it dies)."""
        self._add(("worker", pid, self.node))

    def close(self) -> None:
        """Send what is left and wait until the relay has it."""
        self._closed.set()
        self._pump.join()
        self._send()

    def _add(self, report: tuple) -> None:
        with self._lock:
            if report[0] == "position" and self._buffer and self._buffer[-1][0] == "position":
                self._buffer[-1] = report  # only the latest position matters
            else:
                self._buffer.append(report)

    def _send_every(self) -> None:
        while not self._closed.wait(FLUSH_S):
            self._send()

    def _send(self) -> None:
        import ray

        with self._lock:
            reports, self._buffer = self._buffer, []
        if ray.get(self.relay.push.remote(self.job_id, reports)):
            self._stop.set()


def train(job, dataset, resume: bytes | None, relay, cpus: int, gpus: float) -> None:
    """Train ``job`` on this Ray worker (the body of the server's Ray task).

    Args:
        job: the `lab.jobs.job.Job`, as the server made it (its paths are the server's).
        dataset: the `lab.data.Dataset` to train on (resolved by Ray from the object store).
        resume: the bytes of the model file a continued run starts from, else None.
        relay: the server's `Relay` actor.
        cpus, gpus: what the task asked of the cluster (TensorFlow uses ``cpus`` threads).

    A crash of the trainer is reported as ``fail``; the model file is written in a
    temporary folder of this worker and sent back as bytes; both go away afterwards.
    """
    import ray

    _configure_tensorflow(cpus, gpus)
    from lab import reclaim
    from lab.jobs.trainer import Trainer

    folder = Path(tempfile.mkdtemp(prefix=f"lab-run-{job.id}-"))
    sink = RemoteSink(job.id, relay, str(folder / "model.keras"), ray.util.get_node_ip_address())
    known = reclaim.custom_gradient_keys()
    try:
        sink.worker(os.getpid())
        local = replace(job, model_file=sink.model_file, resume_from=None)
        if resume is not None:
            (folder / "resume.keras").write_bytes(resume)
            local = replace(local, resume_from=str(folder / "resume.keras"))
        try:
            Trainer(local, sink, load=lambda name: dataset, cores=int(cpus)).run()
        except Exception as exc:  # the run is recorded as failed (or left as it was) with the reason
            sink.fail(str(exc))
    finally:
        sink.close()
        shutil.rmtree(folder, ignore_errors=True)
        reclaim.forget_custom_gradients(reclaim.custom_gradient_keys() - known)  # one task at a time here
        gc.collect()
        reclaim.trim_heap()


def _configure_tensorflow(cpus: int, gpus: float) -> None:
    """Before TensorFlow starts in this worker process: GPU memory grows as needed (by
    default TensorFlow takes all of it), and it uses the ``cpus`` threads Ray gave the
    task rather than every core of the node. A reused worker has started already: its
    first task's settings stay."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        if gpus:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        tf.config.threading.set_intra_op_parallelism_threads(int(cpus))
        tf.config.threading.set_inter_op_parallelism_threads(min(int(cpus), 2))
    except RuntimeError:  # TensorFlow already runs in this process (a reused worker)
        pass
