"""Training jobs: a bounded queue, worker threads, live progress, stop and continue.

A page never trains. It submits a spec to the process-wide `JobManager`,
which records a run in the `Store`, queues the job, and trains it in a
worker thread. The worker reports through a lock-protected `Progress`
(read by any number of browsers) and writes every finished epoch to the
store, so closing a browser loses nothing and a crashed process leaves
runs the next start marks as interrupted.
"""

from __future__ import annotations

import json
import gc
import math
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import keras

from lab import advice, data, prepare, reclaim
from lab.build import build_model, compile_model
from lab.device import device_name
from lab.spec import ModelSpec, TrainSpec
from lab.store import Store, data_home, spec_json
from lab.summary import layer_table, total_params, validate

SAMPLES_PER_EPOCH = 50  # points of the live in-epoch line
KEEP_FINISHED = 50  # finished jobs kept in memory for watchers (older ones are read from the store)
# Save the model at an epoch end when this long has passed since the last save,
# so a crashed server loses at most this much training.
CHECKPOINT_EVERY_S = float(os.environ.get("LAB_CHECKPOINT_S", "20"))


def _env_int(name: str, default: int) -> int:
    """A whole-number setting from the environment; ``default`` when unset or not a number."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class JobRejected(ValueError):
    """The job cannot be queued; the message says why and what to change."""


class QueueFull(JobRejected):
    """Every running and waiting place is taken."""


class Progress:
    """What a running job has done so far, safe to read from any thread.

    The worker calls `update`, `add_epoch` and `add_sample`; pages call
    `snapshot`, which returns plain copies.
    """

    def __init__(self, epochs: int, initial_epoch: int = 0):
        self._lock = threading.Lock()
        self._state = {
            "status": "queued", "epoch": initial_epoch, "epochs": epochs, "batch": 0, "batches": 0,
            "images_per_s": 0.0, "eta_s": None, "history": [], "samples": [], "advice": None,
            "test_loss": None, "test_acc": None, "error": None, "device": None, "seconds": 0.0,
            "message": "", "started_at": None, "ended_at": None,
        }

    def update(self, **values) -> None:
        """Set some fields."""
        with self._lock:
            self._state.update(values)

    def add_epoch(self, row: dict) -> None:
        """Append a finished epoch."""
        with self._lock:
            self._state["history"].append(dict(row))

    def add_sample(self, row: dict) -> None:
        """Append an in-epoch point of the live line."""
        with self._lock:
            self._state["samples"].append(dict(row))

    def snapshot(self) -> dict:
        """A copy of the state. Rows in ``history`` and ``samples`` are never changed
        after they are added, so copying the lists (not the rows) is enough."""
        with self._lock:
            state = dict(self._state)
            state["history"], state["samples"] = list(state["history"]), list(state["samples"])
            return state

    def history(self) -> list[dict]:
        """The finished epochs so far."""
        with self._lock:
            return list(self._state["history"])

    def position(self) -> tuple[int, int]:
        """(current epoch, planned epochs), cheaply: called during training."""
        with self._lock:
            return self._state["epoch"], self._state["epochs"]


@dataclass
class Job:
    """One training request; ``id`` is the id of its run in the store."""

    id: int
    owner: str
    model: ModelSpec
    train: TrainSpec
    initial_epoch: int = 0
    resume_path: str | None = None
    progress: Progress = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class _Reporter(keras.callbacks.Callback):
    """Keras callback: counts batches, samples the live line, obeys Stop, records epochs."""

    def __init__(self, job: Job, store: Store, steps: int, batch_size: int, on_epoch, keep_best: bool):
        super().__init__()
        self.job, self.store, self.steps, self.batch_size = job, store, steps, batch_size
        self.every = max(1, steps // SAMPLES_PER_EPOCH)
        self.on_epoch = on_epoch
        self.keep_best = keep_best
        self.best_acc, self.best_epoch, self.best_weights = -1.0, None, None
        self.nan = False
        self.batch = 0
        self.t_epoch = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.batch = 0
        self.t_epoch = time.perf_counter()
        self.job.progress.update(epoch=epoch + 1, batch=0, batches=self.steps)

    def on_train_batch_end(self, batch, logs=None):
        self.batch += 1
        if self.job.stop_event.is_set():
            self.model.stop_training = True
        if self.batch % self.every and self.batch != self.steps:
            self.job.progress.update(batch=self.batch)
            return
        loss = float(logs["loss"])
        elapsed = time.perf_counter() - self.t_epoch
        rate = self.batch * self.batch_size / max(elapsed, 1e-9)
        epoch, epochs = self.job.progress.position()
        left = (self.steps - self.batch) + self.steps * (epochs - epoch)
        self.job.progress.update(batch=self.batch, images_per_s=rate,
                                 eta_s=left * self.batch_size / max(rate, 1e-9))
        self.job.progress.add_sample({"epoch": epoch - 1 + self.batch / self.steps,
                                      "loss": loss, "accuracy": float(logs.get("accuracy", math.nan))})
        if not math.isfinite(loss):
            self.nan = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.batch < self.steps or not all(math.isfinite(v) for v in (logs or {}).values()):
            return  # a stopped, unfinished or diverged epoch is not a finished one
        row = {k: float(v) for k, v in (logs or {}).items()
               if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        row["seconds"] = time.perf_counter() - self.t_epoch
        row["epoch"] = epoch + 1
        self.store.add_epoch(self.job.id, epoch + 1, row)
        self.job.progress.add_epoch(row)
        if self.keep_best and row.get("val_accuracy", -1.0) > self.best_acc:
            self.best_acc, self.best_epoch = row["val_accuracy"], epoch + 1
            self.best_weights = self.model.get_weights()
        self.on_epoch(epoch + 1, self.model)


class JobManager:
    """Runs training jobs from a bounded first-in-first-out queue.

    Args:
        store: where runs and epochs are recorded.
        max_running: jobs trained at once (``$LAB_MAX_JOBS``, default 1).
        max_waiting: jobs allowed to wait (``$LAB_QUEUE_SIZE``, default 8).
        model_dir: where ``run_<id>.keras`` files go (default ``data_home()/trained``).

    Creating a manager marks runs left active by a dead process as interrupted.

    Example:
        >>> manager = JobManager(Store(tmp_path / "runs.sqlite"))
        >>> job = manager.submit(preset.model, preset.train, owner="ada")
        >>> manager.wait(job.id)["status"]
        'finished'
    """

    def __init__(self, store: Store, max_running: int | None = None, max_waiting: int | None = None,
                 model_dir: Path | str | None = None):
        self.store = store
        self.max_running = max(1, max_running or _env_int("LAB_MAX_JOBS", 1))
        self.max_waiting = max(0, max_waiting if max_waiting is not None else _env_int("LAB_QUEUE_SIZE", 8))
        self.model_dir = Path(model_dir) if model_dir else data_home() / "trained"
        self.model_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._running: list[Job] = []
        self._jobs: dict[int, Job] = {}
        self.interrupted = store.mark_interrupted()
        self._tf_keys = reclaim.custom_gradient_keys()

    # ---- asking -------------------------------------------------------------

    def submit(self, model: ModelSpec, train: TrainSpec, owner: str, comment: str = "") -> Job:
        """Check, record and queue a new run; returns its `Job`.

        Raises:
            JobRejected: the spec cannot be trained (message lists every problem).
            QueueFull: no place is free; try again when a job ends.
        """
        problems = validate(model, train, n_train=self._check_data(train.dataset))
        if problems:
            raise JobRejected(" ".join(problems))
        rows, _ = layer_table(model, data.DATASETS[train.dataset].input_shape)
        with self._lock:
            self._check_room()
            run_id = self.store.create_run(
                owner=owner, dataset=train.dataset, network=model.name, architecture=model.architecture(),
                activations=model.activations(), spec_json=spec_json(model), train_json=spec_json(train),
                seed=train.seed, params=total_params(rows), status="queued", epochs_planned=train.epochs,
                comment=comment)
            job = Job(run_id, owner, model, train, progress=Progress(train.epochs))
            self._enqueue(job)
        return job

    def continue_run(self, run_id: int, more_epochs: int, owner: str) -> Job:
        """Train a recorded run for ``more_epochs`` more, from its saved weights and
        optimizer state; the new epochs extend the same history.

        Raises:
            JobRejected: the run is active, has no saved model, or ``more_epochs`` < 1.
        """
        run = self.store.run(run_id)
        if run is None:
            raise JobRejected(f"There is no run {run_id}.")
        if more_epochs < 1:
            raise JobRejected("Continue for at least 1 more epoch.")
        path = run.get("model_path")
        if not path or not Path(path).is_file() or run.get("saved_epoch") is None:
            raise JobRejected(f"Run {run_id} has no saved model to continue from "
                              "(it failed before saving one, or its file was removed).")
        start = int(run["saved_epoch"])
        try:
            model = ModelSpec.from_dict(json.loads(run["spec_json"]))
            train = replace(TrainSpec.from_dict(json.loads(run["train_json"])), epochs=start + more_epochs)
        except (ValueError, TypeError) as exc:  # JSON or spec errors in an old record
            raise JobRejected(f"The settings saved with run {run_id} cannot be read ({exc}).") from exc
        self._check_data(train.dataset)
        history = [e for e in self.store.epochs(run_id) if e["epoch"] <= start]
        with self._lock:
            old = self._jobs.get(run_id)
            if old is not None and not old.done.is_set():
                raise JobRejected(f"Run {run_id} is still training or waiting: let it end first.")
            self._check_room()
            job = Job(run_id, owner, model, train, initial_epoch=start, resume_path=path,
                      progress=Progress(train.epochs, start))
            job.progress.update(history=history)
            self._enqueue(job)
        return job

    def stop(self, job_id: int, who: str) -> None:
        """Stop a job (only its owner may): a waiting job leaves the queue; a running
        one ends within one batch, keeping its epochs and model.

        Raises:
            PermissionError: ``who`` did not start it.
        """
        job = self._jobs.get(job_id)
        if job is None:
            return
        if who != job.owner:
            raise PermissionError(f"Only {job.owner}, who started run {job_id}, can stop it.")
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
                if not job.resume_path:  # a waiting continue leaves its run as it was
                    self.store.update_run(job_id, status="stopped", message="Stopped before it started.")
                job.progress.update(status="stopped")
                job.done.set()
                return
        job.stop_event.set()

    # ---- looking --------------------------------------------------------------

    def active(self) -> list[Job]:
        """Running jobs, then waiting ones in queue order."""
        with self._lock:
            return list(self._running) + list(self._waiting)

    def place(self, job_id: int) -> int:
        """0 when running, 1.. for a place in line, -1 when not active."""
        with self._lock:
            if any(j.id == job_id for j in self._running):
                return 0
            for i, j in enumerate(self._waiting, start=1):
                if j.id == job_id:
                    return i
        return -1

    def view(self, run_id: int) -> dict | None:
        """Everything a page shows about a run: its record, live progress when this
        process is training it (else rebuilt from the store), and its place in line.

        Returns None for an unknown run.
        """
        run = self.store.run(run_id)
        if run is None:
            return None
        job = self._jobs.get(run_id)
        if job is not None:
            progress = job.progress.snapshot()
        else:
            progress = Progress(run["epochs_planned"] or 0).snapshot()
            progress.update(status=run["status"], epoch=run["epochs_done"], message=run["message"] or "", history=[
                {k: e[k] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")}
                for e in self.store.epochs(run_id)], test_loss=run["test_loss"], test_acc=run["test_acc"],
                device=run["device"], seconds=run["duration_s"] or 0.0, error=None)
            progress["advice"] = advice.diagnose(progress["history"])
        if progress["status"] == "failed" and not progress["error"]:
            progress["error"] = run["message"]
        live = job is not None and not job.done.is_set()
        if not progress["message"] and progress["status"] in ("diverged", "stopped", "interrupted"):
            progress["message"] = run["message"] or ""
        return {"run": run, "progress": progress, "place": self.place(run_id), "live": live,
                "owner": job.owner if live else run["owner"]}

    def wait(self, job_id: int, timeout: float | None = None) -> dict:
        """Block until the job ends (for scripts and tests); returns its progress."""
        job = self._jobs[job_id]
        job.done.wait(timeout)
        return job.progress.snapshot()

    # ---- inside -----------------------------------------------------------------

    @staticmethod
    def _check_data(name: str) -> int:
        """The number of training images of dataset ``name``; JobRejected when missing."""
        try:
            return len(data.load(name).x_train)
        except data.DatasetError as exc:
            raise JobRejected(str(exc)) from exc

    def _check_room(self) -> None:
        if len(self._running) >= self.max_running and len(self._waiting) >= self.max_waiting:
            raise QueueFull(f"The queue is full: {len(self._running)} running and "
                            f"{len(self._waiting)} waiting. Try again when a job ends, or ask the "
                            "teacher to raise LAB_QUEUE_SIZE.")

    def _enqueue(self, job: Job) -> None:
        self._jobs[job.id] = job
        self._waiting.append(job)
        self._pump()

    def _pump(self) -> None:
        while self._waiting and len(self._running) < self.max_running:
            job = self._waiting.pop(0)
            self._running.append(job)
            threading.Thread(target=self._work, args=(job,), name=f"train-{job.id}", daemon=True).start()

    def _finish(self, job: Job) -> None:
        with self._lock:
            if len(self._running) == 1:  # no other job is tracing a model now
                reclaim.forget_custom_gradients(reclaim.custom_gradient_keys() - self._tf_keys)
            self._running.remove(job)
            finished = [i for i, j in self._jobs.items() if j.done.is_set()]
            for old in finished[:-KEEP_FINISHED]:
                del self._jobs[old]
            self._pump()
        job.done.set()

    def _work(self, job: Job) -> None:
        try:
            Trainer(job, self.store, self.model_dir).run()
        except Exception as exc:  # the run is recorded as failed with the reason
            job.progress.update(status="failed", error=str(exc))
            self.store.update_run(job.id, status="failed", message=str(exc)[:2000])
        finally:
            job.progress.update(ended_at=time.time())
            self._finish(job)
            gc.collect()  # after done: a waiting page need not wait for it
            reclaim.trim_heap()


class Trainer:
    """Does the work of one job in the worker thread."""

    def __init__(self, job: Job, store: Store, model_dir: Path):
        self.job, self.store = job, store
        self.path = model_dir / f"run_{job.id}.keras"
        self.last_save = time.perf_counter()

    def run(self) -> None:
        job, train, store = self.job, self.job.train, self.store
        t0 = time.perf_counter()
        device = device_name()
        job.progress.update(status="running", device=device, message="Loading data", started_at=time.time())
        store.update_run(job.id, status="running", device=device)
        keras.utils.set_random_seed(train.seed + job.initial_epoch)
        ds = data.load(train.dataset)
        problems = validate(job.model, train, n_train=len(ds.x_train))
        if problems:
            raise JobRejected(" ".join(problems))
        arr = prepare.arrays(ds, job.model, train)
        if job.resume_path:  # epochs after the saved model are trained again
            store.drop_epochs_after(job.id, job.initial_epoch)
            store.update_run(job.id, owner=job.owner, epochs_planned=train.epochs,
                             train_json=spec_json(train), message="")
            net = keras.models.load_model(job.resume_path)
        else:
            net = compile_model(build_model(job.model, ds.input_shape), train)
        steps = math.ceil(len(arr.x_fit) / train.batch_size)
        reporter = _Reporter(job, store, steps, train.batch_size, self._epoch_done, train.keep_best)
        callbacks = [reporter]
        if train.early_stopping:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=train.early_stopping))
        job.progress.update(message="Training")
        validation = (arr.x_val, arr.y_val) if arr.x_val is not None else None
        net.fit(arr.x_fit, arr.y_fit, batch_size=train.batch_size, epochs=train.epochs,
                initial_epoch=job.initial_epoch, validation_data=validation, callbacks=callbacks,
                verbose=0, shuffle=True)
        history = job.progress.history()
        done = history[-1]["epoch"] if history else job.initial_epoch
        if reporter.best_weights is not None:  # keep the best epoch: its weights, its number
            net.set_weights(reporter.best_weights)
            done = reporter.best_epoch
        if not reporter.nan and (done > job.initial_epoch or not job.resume_path):
            self._save(net, done)  # a diverged model (NaN weights) is not kept
        fields = {"duration_s": self._duration(t0)}
        if reporter.nan:
            status, message = "diverged", advice.NAN_ADVICE
        else:
            job.progress.update(message="Testing")
            test = net.evaluate(arr.x_test, arr.y_test, batch_size=512, verbose=0, return_dict=True)
            fields.update(test_loss=float(test["loss"]), test_acc=float(test["accuracy"]))
            job.progress.update(test_loss=fields["test_loss"], test_acc=fields["test_acc"])
            status = "stopped" if job.stop_event.is_set() else "finished"
            message = "Stopped by its owner." if status == "stopped" else ""
        job.progress.update(status=status, message=message, seconds=fields["duration_s"])
        store.update_run(job.id, status=status, message=message, **fields)

    def _duration(self, t0: float) -> float:
        before = self.store.run(self.job.id).get("duration_s") if self.job.resume_path else 0
        return (before or 0) + time.perf_counter() - t0

    def _epoch_done(self, epoch: int, net) -> None:
        self.job.progress.update(advice=advice.diagnose(self.job.progress.history()))
        if time.perf_counter() - self.last_save >= CHECKPOINT_EVERY_S and epoch < self.job.train.epochs:
            self._save(net, epoch)

    def _save(self, net, epoch: int) -> None:
        tmp = self.path.with_name(self.path.stem + ".tmp.keras")
        net.save(tmp)
        os.replace(tmp, self.path)
        self.last_save = time.perf_counter()
        self.store.update_run(self.job.id, model_path=str(self.path), saved_epoch=epoch)


_SHARED: dict[str, JobManager] = {}
_SHARED_LOCK = threading.Lock()


def shared_manager(home: Path | str | None = None) -> JobManager:
    """The one `JobManager` of this process for a data folder (default `data_home()`).

    Every browser of a class server must reach the same queue: a second
    manager would mark the first one's running jobs interrupted.
    """
    home = Path(home) if home else data_home()
    with _SHARED_LOCK:
        key = str(home.resolve())
        if key not in _SHARED:
            _SHARED[key] = JobManager(Store(home / "runs.sqlite"), model_dir=home / "trained")
        return _SHARED[key]
