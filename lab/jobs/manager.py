"""The job manager: the one front door pages use to train.

`JobManager` checks a request, records the run, queues the job
(`lab.jobs.queue`), hands released jobs to an executor
(`lab.jobs.executors`) with a `Recorder` as their sink, and answers what a
page asks: views, places in line, who may stop what.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import replace
from pathlib import Path

from lab import artifacts, data
from lab.artifacts import ModelFiles
from lab.data import DATASETS
from lab.jobs.executors import Executor, from_settings
from lab.jobs.job import Job, JobRejected
from lab.jobs.lock import ServerLock
from lab.jobs.progress import ProgressSnapshot
from lab.jobs.queue import JobQueue
from lab.jobs.recorder import Recorder
from lab.jobs.sink import stopped
from lab.jobs.stops import StopListener
from lab.jobs.view import RunView, continuer, from_record
from lab.records import RecordStore, RunRecord, Status, open_store
from lab.settings import settings
from lab.spec import ModelSpec, SpecError, TrainSpec, saved, to_json, unknown
from lab.summary import layer_table, total_params, validate

ORPHANED = ("This run ended while the records could not be written, so how it ended was lost; it is marked "
            "interrupted. Continue it from its last saved epoch, or start it again.")
LET_GO_HERE = ("Another lab server marked this run interrupted while this server was not answering, so it was "
               "stopped here; its records are as that server left them.")
log = logging.getLogger(__name__)
KEEP_FINISHED = 50  # finished jobs kept in memory for watchers (older ones are read from the records)


class JobManager:
    """Runs training jobs from a bounded first-in-first-out queue.

    Args:
        store: where runs and epochs are recorded.
        max_running: jobs trained at once (default ``LAB_MAX_JOBS``).
        max_waiting: jobs allowed to wait (default ``LAB_QUEUE_SIZE``).
        model_dir: where model files go (default ``LAB_MODELS_DIR``, else ``$LAB_HOME/trained``).
        executor: what runs the jobs (default: `lab.jobs.executors.from_settings`, worker
            threads in this process unless ``LAB_RAY_ADDRESS`` names a Ray cluster).
        home: the data folder this server takes (default: the models folder's parent).

    Creating a manager takes the data folder for this process (`lab.jobs.lock`:
    `AnotherServer` when another server has it), then marks runs this server left
    active when it died as interrupted (runs of other servers sharing the records,
    named by ``LAB_SERVER_NAME``, are theirs to mind).

    Example:
        >>> manager = JobManager(open_store(tmp_path))          # doctest: +SKIP
        >>> job = manager.submit(preset.model, preset.train, owner="ada")  # doctest: +SKIP
        >>> manager.wait(job.id).status                          # doctest: +SKIP
        <Status.FINISHED: 'finished'>
    """

    def __init__(self, store: RecordStore, max_running: int | None = None, max_waiting: int | None = None,
                 model_dir: Path | str | None = None, executor: Executor | None = None,
                 home: Path | str | None = None):
        s = settings()
        self.store = store
        self.server = s.server  # the name this server's runs carry in the records
        self.models = ModelFiles(model_dir or s.models_dir)
        self.models.folder.mkdir(parents=True, exist_ok=True)
        self.lock = ServerLock(home or self.models.folder.parent)
        self.queue = JobQueue(max_running or s.max_jobs, s.queue_size if max_waiting is None else max_waiting)
        self.executor = executor or from_settings()
        self._lock = threading.Lock()
        self._jobs: dict[int, Recorder] = {}
        self._stops = StopListener(store, self.server, self._lock, busy=lambda: bool(self.queue.active()),
                                   stop_here=self._stop_asked_elsewhere, claimed=self._claimed,
                                   let_go=self._let_go)
        self.interrupted = store.mark_interrupted(self.server)

    # ---- asking -------------------------------------------------------------------------

    def submit(self, model: ModelSpec, train: TrainSpec, owner: str, comment: str = "",
               owner_id: str | None = None) -> Job:
        """Check, record and queue a new run; returns its `Job`.

        ``owner`` is the name shown; ``owner_id`` (default: the name) is who may stop it.

        Raises:
            JobRejected: the spec cannot be trained (message lists every problem).
            QueueFull: no place is free; try again when a job ends.
        """
        self._can_train()
        problems = validate(model, train, n_train=self._check_data(train.dataset))
        if problems:
            raise JobRejected(" ".join(problems))
        with self._lock:
            self.queue.check_room()
            run_id = self._record(model, train, owner, owner_id or owner, comment=comment)
            job = self._job(run_id, owner, model, train, owner_id=owner_id or owner)
            self._enqueue([Recorder(job, self.store)])
        return job

    def submit_sweep(self, points: list[tuple[ModelSpec, TrainSpec, dict]], about: dict, owner: str,
                     owner_id: str | None = None) -> list[Job]:
        """Record a sweep and queue one run per point, as one request in the queue.

        Args:
            points: (network, settings, the swept values) for each run, from `lab.sweeps.plan`.
            about: the sweep's record (``network``, ``spec_json``, ``train_json``, ``axes_json``,
                ``seeds_json``).
            owner, owner_id: as for `submit`.

        Raises:
            JobRejected: a point cannot be trained (the message names it), or too many points.
            QueueFull: the sweep could neither run nor wait.
        """
        self._can_train()
        limit = settings().max_sweep
        if not points or len(points) > limit:
            raise JobRejected(f"A sweep needs 1 to {limit:,} runs (LAB_MAX_SWEEP); this one has "
                              f"{len(points):,}: use fewer values or seeds.")
        for model, train, values in points:
            problems = validate(model, train, n_train=self._check_data(train.dataset))
            if problems:
                shown = ", ".join(f"{k} {v}" for k, v in values.items())
                raise JobRejected(f"The run with {shown} cannot be trained: {' '.join(problems)}")
        owner_id = owner_id or owner
        with self._lock:
            self.queue.check_room()
            sweep_id = self.store.create_sweep(owner=owner, owner_id=owner_id, size=len(points), **about)
            recorders = []
            for model, train, values in points:
                run_id = self._record(model, train, owner, owner_id, sweep_id=sweep_id,
                                      sweep_values=json.dumps(values))
                job = self._job(run_id, owner, model, train, owner_id=owner_id, group=f"sweep:{sweep_id}")
                recorders.append(Recorder(job, self.store))
            self._enqueue(recorders)
        return [r.job for r in recorders]

    def delete(self, run_id: int, who: str, teacher: bool = False) -> None:
        """Remove a run, its epochs, tags and files. Only its owner or a teacher may, and
        not while it trains or waits.

        Raises:
            JobRejected: no such run, or it is active.
            PermissionError: ``who`` neither owns it nor is a teacher.
        """
        run = self._run(run_id)
        if run is None:
            raise JobRejected(f"There is no run {run_id}.")
        if not teacher and who != run.power:
            raise PermissionError(f"Only {run.owner}, who started run {run_id}, or a teacher can delete it.")
        with self._lock:
            recorder = self._jobs.get(run_id)
            if run.status.active or (recorder is not None and not recorder.done.is_set()):
                raise JobRejected(f"Run {run_id} is training or waiting: stop it first, then delete it.")
            self.models.remove(run)
            self.store.delete_run(run_id)
            self._jobs.pop(run_id, None)

    def continue_run(self, run_id: int, more_epochs: int, owner: str, owner_id: str | None = None,
                     teacher: bool = False) -> Job:
        """Train a recorded run for ``more_epochs`` more, from its saved weights and
        optimizer state; the new epochs extend the same history (and replace its test
        accuracy and model). Only its owner or a teacher may. The run keeps its owner;
        ``owner`` is recorded as who continued it.

        Raises:
            JobRejected: the run is active, has no saved model, or ``more_epochs`` < 1.
            PermissionError: ``owner_id`` (or ``owner``) did not start it and is not a teacher.
        """
        self._can_train()
        run = self._run(run_id)
        if run is None:
            raise JobRejected(f"There is no run {run_id}.")
        if not teacher and (owner_id or owner) != run.power:
            raise PermissionError(f"Only {run.owner}, who started run {run_id}, or a teacher can continue it "
                                  "(it would change their results): to train this network yourself, press "
                                  "Run again under the run on Results.")
        if not isinstance(more_epochs, int) or more_epochs < 1:
            raise JobRejected("Continue for at least 1 more epoch.")
        path = self.models.locate(run)
        if path is None or run.saved_epoch is None:
            raise JobRejected(f"Run {run_id} has no saved model to continue from "
                              "(it failed before saving one, or its file was removed).")
        refused = artifacts.refusal(path)
        if refused:
            raise JobRejected(f"Run {run_id} cannot be continued: {refused}")
        start = int(run.saved_epoch)
        model, train = _specs(run)
        train = replace(train, epochs=start + more_epochs)
        if train.epochs > settings().max_epochs:
            raise JobRejected(f"Run {run_id} would then have {train.epochs:,} epochs, more than the lab's "
                              f"limit of {settings().max_epochs:,} (LAB_MAX_EPOCHS).")
        self._check_data(train.dataset)
        history = [e for e in self.store.epochs(run_id) if e.epoch <= start]
        with self._lock:
            old = self._jobs.get(run_id)
            if (old is not None and not old.done.is_set()) or run.status.active:
                elsewhere = f" on {run.server}" if self.trains_elsewhere(run) else ""
                raise JobRejected(f"Run {run_id} is still training or waiting{elsewhere}: let it end first.")
            self.queue.check_room()
            job = self._job(run_id, owner, model, train, initial_epoch=start, resume_from=str(path),
                            previous_seconds=run.duration_s or 0.0, owner_id=owner_id or owner)
            self._enqueue([Recorder(job, self.store, history)])
        return job

    def requeue(self, run_id: int, who: str, teacher: bool = False) -> Job:
        """Queue again a run that was waiting in the queue when the lab stopped (its
        record says ``interrupted`` while ``queued``). Only its owner or a teacher may.

        Raises:
            JobRejected: the run did not wait when the lab stopped, or cannot be trained now.
            PermissionError: ``who`` did not start it.
        """
        self._can_train()
        run = self._run(run_id)
        if run is None:
            raise JobRejected(f"There is no run {run_id}.")
        if run.status != Status.INTERRUPTED or run.interrupted_while != Status.QUEUED:
            raise JobRejected(f"Run {run_id} was not waiting in the queue when the lab stopped, so it "
                              "cannot be queued again: continue it, or start a new run.")
        if not teacher and who != run.power:
            raise PermissionError(f"Only {run.owner}, who started run {run_id}, can queue it again.")
        model, train = _specs(run)
        problems = validate(model, train, n_train=self._check_data(train.dataset))
        if problems:
            raise JobRejected(" ".join(problems))
        with self._lock:
            self.queue.check_room()
            if not self.store.requeue(run_id, self.server):  # someone else pressed it meanwhile
                raise JobRejected(f"Run {run_id} has been queued again already (someone pressed it meanwhile): "
                                  "follow it on the Train page.")
            job = self._job(run_id, run.owner, model, train, owner_id=run.power)
            self._enqueue([Recorder(job, self.store)])
        return job

    def stop(self, job_id: int, who: str, teacher: bool = False) -> bool:
        """Stop a job (only the run's owner, whoever continued it, or a teacher may): a waiting job leaves
        the queue; a running one ends within one batch, keeping its epochs and model. A run
        another lab server trains is asked to stop through the records: that server stops
        it within about a second (`lab.jobs.stops`). False when there was nothing to stop.

        Raises:
            PermissionError: ``who`` may not stop it (`RunRecord.stoppers`) and is not a teacher.
        """
        recorder = self._live(job_id)
        if recorder is None:
            return self._ask_to_stop(job_id, who, teacher)
        run = self.store.run(job_id) or RunRecord(job_id, owner=recorder.job.owner, owner_id=recorder.job.owner_id)
        run = _as_job_has_it(run, recorder.job)
        _may_stop(run, who, teacher)
        self._stop_here(recorder, self._stopper(run, who))
        return True

    def _stop_here(self, recorder: Recorder, by: str | None) -> None:
        job_id = recorder.job.id
        with self._lock:
            if self.queue.withdraw(job_id) is not None:
                if not recorder.job.resumes:  # a waiting continue leaves its run as it was
                    self.store.update_run(job_id, status=Status.STOPPED, message=stopped(by, "before it started"),
                                          stop_asked_by=None)
                recorder.progress.update(status=Status.STOPPED)
                recorder.done.set()
                return
        recorder.request_stop(by)

    def _stopper(self, run: RunRecord, who: str) -> str | None:
        """``who``, who stops ``run``, in words for its message: their name, marked "(teacher)"
        when it is someone else's run (only a teacher may stop it: `_may_stop`); None when
        the records do not know them."""
        person = self.store.person(who)
        if person is None:
            return None
        return person.name if who in run.stoppers else f"{person.name} (teacher)"

    def trains_elsewhere(self, run) -> bool:
        """Whether the records say another lab server is training (or queueing) ``run``."""
        return bool(run.status.active and run.server and run.server != self.server and self._live(run.id) is None)

    def _run(self, run_id: int) -> RunRecord | None:
        """Run ``run_id`` as recorded; a record this server left queued or running without a
        job of its own any more (the records were away when the job ended, so its ending
        was never written) is marked interrupted first, so it can be continued or deleted."""
        run = self.store.run(run_id)
        if run is None or not run.status.active or run.server != self.server:
            return run
        with self._lock:  # a job being queued holds it until its recorder is known
            if self._live(run_id) is not None:
                return run
        if self.store.interrupt(run_id, self.server, ORPHANED):
            log.warning("run %s had no job on this server any more: marked interrupted", run_id)
            return self.store.run(run_id)
        return run

    def _live(self, run_id: int) -> Recorder | None:
        """The recorder of a job this server is training or queueing now, else None."""
        recorder = self._jobs.get(run_id)
        return recorder if recorder is not None and not recorder.done.is_set() else None

    def _ask_to_stop(self, run_id: int, who: str, teacher: bool) -> bool:
        run = self._run(run_id)
        if run is None or not self.trains_elsewhere(run):
            return False
        _may_stop(run, who, teacher)
        return self.store.ask_to_stop(run_id, who, run.server, run.continued_by_id)  # False: it ended meanwhile

    def _stop_asked_elsewhere(self, run_id: int, who: str) -> None:
        recorder = self._live(run_id)
        if recorder is not None:
            run = _as_job_has_it(self.store.run(run_id) or RunRecord(run_id), recorder.job)
            self._stop_here(recorder, self._stopper(run, who))

    def silence(self, run: RunRecord) -> float | None:
        """Seconds the lab server that trains ``run`` (another one) has given no sign of life,
        when that is longer than ``LAB_SERVER_SILENT_S`` (``inf``: never heard from); None
        while it answers, or when ``run`` is not another server's to train."""
        if not self.trains_elsewhere(run):
            return None
        quiet = self.store.silence(run.server)
        if quiet is None:
            return math.inf
        return quiet if quiet > settings().server_silent_s else None

    def let_go_of(self, run_id: int, who: str, teacher: bool = False) -> bool:
        """Mark interrupted a run of another lab server that has been silent for longer than
        ``LAB_SERVER_SILENT_S`` (see `silence`), so it can be continued (or queued again)
        here. Only whoever may stop the run, or a teacher, may. False when there was nothing
        to let go: the run ended, or its server spoke meanwhile.

        Raises:
            PermissionError: ``who`` may not stop it (`RunRecord.stoppers`) and is not a teacher.
        """
        run = self.store.run(run_id)
        if run is None or self.silence(run) is None:
            return False
        _may_stop(run, who, teacher)
        message = (f"Lab server {run.server} stopped answering while this run was {run.status}; it was marked "
                   f"interrupted from {self.server}: "
                   + ("queue it again." if run.status == Status.QUEUED else "continue it from its last saved epoch."))
        return self.store.interrupt(run_id, run.server, message, silent_for=settings().server_silent_s)

    def _claimed(self) -> list[int]:
        """The runs this server's jobs have claimed in the records (a Continue still waiting
        has not); called under the lock."""
        return [i for i, r in self._jobs.items() if not r.done.is_set() and (r.begun or not r.job.resumes)]

    def _let_go(self, run_id: int) -> None:
        """Another server let run ``run_id`` go while this one was not answering: stop it
        here, writing nothing more for it."""
        recorder = self._live(run_id)
        if recorder is None or recorder.snapshot().status not in (Status.QUEUED, Status.RUNNING):
            return  # the job ended the run itself (a lost worker marks it interrupted) and is finishing
        recorder.release(LET_GO_HERE)
        with self._lock:
            if self.queue.withdraw(run_id) is not None:
                recorder.progress.update(status=Status.INTERRUPTED)
                recorder.done.set()

    # ---- looking --------------------------------------------------------------------------

    def active(self) -> list[Job]:
        """Running jobs, then waiting ones in queue order."""
        with self._lock:
            return self.queue.active()

    def place(self, job_id: int) -> int:
        """0 when running, 1.. for a place in line, -1 when not active."""
        with self._lock:
            return self.queue.place(job_id)

    def snapshot(self, job_id: int) -> ProgressSnapshot | None:
        """The live progress of a job this server knows, or None."""
        recorder = self._jobs.get(job_id)
        return recorder.snapshot() if recorder else None

    def view(self, run_id: int) -> RunView | None:
        """Everything a page shows about a run: its record, live progress when this
        server is training it (else rebuilt from the records), and its place in line.

        Returns None for an unknown run.
        """
        run = self._run(run_id)
        if run is None:
            return None
        recorder = self._jobs.get(run_id)
        if recorder is None or self.trains_elsewhere(run):  # not here, or here once but on another server now
            return RunView(run, from_record(run, self.store.epochs(run_id)), -1, False, run.owner or "", run.stoppers,
                           self.silence(run), continuer(run))
        progress = recorder.snapshot()
        if progress.status == Status.FAILED and not progress.error:
            progress = replace(progress, error=run.message)
        if not progress.message and progress.status in (Status.DIVERGED, Status.STOPPED, Status.INTERRUPTED):
            progress = replace(progress, message=run.message or "")
        live = not recorder.done.is_set()
        if live:
            job = recorder.job
            return RunView(run, progress, self.place(run_id), True, job.owner, _as_job_has_it(run, job).stoppers,
                           continuer=continuer(run, job.owner, job.owner_id) if job.resumes else continuer(run))
        return RunView(run, progress, self.place(run_id), False, run.owner or "", run.stoppers,
                       continuer=continuer(run))

    def wait(self, job_id: int, timeout: float | None = None) -> ProgressSnapshot:
        """Block until the job ends (for scripts and tests); returns its progress."""
        recorder = self._jobs[job_id]
        recorder.done.wait(timeout)
        return recorder.snapshot()

    # ---- inside -----------------------------------------------------------------------------

    def _record(self, model: ModelSpec, train: TrainSpec, owner: str, owner_id: str, **more) -> int:
        rows, _ = layer_table(model, DATASETS[train.dataset].input_shape)
        return self.store.create_run(
            owner=owner, owner_id=owner_id, dataset=train.dataset, network=model.name,
            architecture=model.architecture(), activations=model.activations(), spec_json=to_json(model),
            train_json=to_json(train), seed=train.seed, params=total_params(rows), status=Status.QUEUED,
            epochs_planned=train.epochs, server=self.server, **more)

    def _job(self, run_id: int, owner: str, model: ModelSpec, train: TrainSpec, **more) -> Job:
        return Job(run_id, owner, model, train, model_file=str(self.models.target(run_id)),
                   model_key=self.models.key(run_id), checkpoint_s=settings().checkpoint_s, server=self.server,
                   **more)

    def _can_train(self) -> None:
        """JobRejected when no run can train (the cluster is unusable and there is no fallback)."""
        if self.executor.problem:
            raise JobRejected(self.executor.problem)

    @staticmethod
    def _check_data(name: str) -> int:
        """The number of training images of dataset ``name``; JobRejected when missing."""
        if name not in DATASETS:
            raise JobRejected(unknown("dataset", name, DATASETS))
        try:
            return len(data.load(name).x_train)
        except data.DatasetError as exc:
            raise JobRejected(str(exc)) from exc

    def _enqueue(self, recorders: list[Recorder]) -> None:
        for recorder in recorders:
            self._jobs[recorder.job.id] = recorder
        self.queue.add([r.job for r in recorders])
        self._release()
        self._stops.wake()

    def _release(self) -> None:
        for job in self.queue.release():
            self.executor.start(job, self._jobs[job.id], self._done)

    def _done(self, job_id: int) -> None:
        recorder = self._jobs[job_id]
        recorder.ended()
        with self._lock:
            self.queue.finish(job_id)
            finished = [i for i, r in self._jobs.items() if r.done.is_set()]
            for old in finished[:-KEEP_FINISHED]:
                del self._jobs[old]
            self._release()
        recorder.done.set()


def _as_job_has_it(run: RunRecord, job: Job) -> RunRecord:
    """``run`` as this server's live ``job`` for it has it: started by the job's owner (a
    Continue still waiting here is not in the records yet; any other job's owner is the
    run's)."""
    return replace(run, continued_by=job.owner, continued_by_id=job.owner_id)


def _may_stop(run: RunRecord, who: str, teacher: bool) -> None:
    """Nothing when ``who`` may stop ``run`` (`RunRecord.stoppers`) or is a teacher, else
    PermissionError naming who may."""
    if teacher or who in run.stoppers:
        return
    also = f" or {run.continued_by}, who continued it," if len(run.stoppers) > 1 else ""
    raise PermissionError(f"Only {run.owner}, who started run {run.id},{also} can stop it.")


def _specs(run) -> tuple[ModelSpec, TrainSpec]:
    """The network and settings saved with a run; JobRejected when they cannot be read."""
    try:
        return saved(run.spec_json, run.train_json)
    except SpecError as exc:  # JSON or spec errors in an old record
        raise JobRejected(f"The settings saved with run {run.id} cannot be read ({exc}).") from exc


_SHARED: dict[str, JobManager] = {}
_SHARED_LOCK = threading.Lock()


def shared_manager(home: Path | str | None = None) -> JobManager:
    """The one `JobManager` of this process for a data folder (default ``$LAB_HOME``).

    Every browser of a class server must reach the same queue: a second
    manager would mark the first one's running jobs interrupted.
    """
    home = Path(home) if home else settings().home
    with _SHARED_LOCK:
        key = str(home.resolve())
        if key not in _SHARED:
            _SHARED[key] = JobManager(open_store(home), model_dir=settings().models_folder or home / "trained",
                                      home=home)
        return _SHARED[key]
