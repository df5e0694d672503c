"""The server's end of a job: what the trainer reports goes into the records and the
live progress, and Stop requests go back.

One `Recorder` per job, living in the server process, whatever runs the
trainer. It is the only writer of a job's record while the job is active,
so the records stay the single source of truth.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from lab import advice, answers
from lab.jobs.job import Job
from lab.jobs.progress import LiveProgress, ProgressSnapshot, Sample
from lab.jobs.sink import STOPPED, Outcome, stopped
from lab.records import Epoch, RecordStore, Status
from lab.spec import to_json

log = logging.getLogger(__name__)


class Recorder:
    """Applies one job's reports to ``store`` and to its `LiveProgress` (a `ProgressSink`).

    A continued job changes its record only once it really begins (its model
    file loaded): a continue that is withdrawn, or whose file cannot be read,
    leaves the record as it was.
    """

    def __init__(self, job: Job, store: RecordStore, history: list[Epoch] | None = None):
        self.job, self.store = job, store
        self.progress = LiveProgress(job.train.epochs, job.initial_epoch, history)
        self.done = threading.Event()
        self._stop = threading.Event()
        self.begun = False
        self.device: str | None = None
        self.note = ""  # something the run's final message must say (a model that could not be saved)
        self.file_current = False  # the model file holds the trainer's latest saved weights
        self.let_go = False  # another lab server took this run over: nothing more is written for it
        self.stopped_by: str | None = None  # who asked it to stop, in words (`lab.jobs.sink.stopped`)

    # ---- control, from the server ---------------------------------------------------

    def request_stop(self, by: str | None = None) -> None:
        """Ask the trainer to stop after the batch it is in; ``by`` says who asked, in words,
        for the run's message (the first to ask is named)."""
        self.stopped_by = self.stopped_by or by
        self._stop.set()

    def release(self, message: str) -> None:
        """Another lab server let this run go while this one was not answering: stop it, and
        write nothing more into its records or its files (they are that server's now);
        ``message`` says so on this server's live view."""
        self.let_go, self.file_current, self.note = True, False, message
        self.store = _ReadOnly(self.store)
        self.progress.update(message=message)
        self.request_stop()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def snapshot(self) -> ProgressSnapshot:
        """The job's progress now."""
        return self.progress.snapshot()

    # ---- reports, from the trainer ----------------------------------------------------

    def phase(self, message: str) -> None:
        self.progress.update(message=message)

    def begin(self, device: str) -> None:
        self.device = device
        self.progress.update(status=Status.RUNNING, device=device, started_at=time.time())
        if not self.job.resumes:  # a continued run's record changes only once its file is loaded
            self.store.update_run(self.job.id, status=Status.RUNNING, device=device)

    def model_ready(self) -> None:
        job = self.job
        if job.resumes:  # epochs after the saved model are trained again
            self.store.drop_epochs_after(job.id, job.initial_epoch)
            self.store.update_run(job.id, status=Status.RUNNING, device=self.device,
                                  continued_by=job.owner, continued_by_id=job.owner_id,
                                  epochs_planned=job.train.epochs,
                                  train_json=to_json(job.train), message="", interrupted_while=None,
                                  server=job.server)
        # only now: a begun job claims its run, and the record must already say so (else this
        # server's listener would find the run "taken" by its old status and stop it)
        self.begun = True

    def position(self, epoch: int, batch: int, batches: int) -> None:
        self.progress.update(epoch=epoch, batch=batch, batches=batches)

    def sample(self, sample: Sample, images_per_s: float, eta_s: float) -> None:
        self.progress.update(images_per_s=images_per_s, eta_s=eta_s)
        self.progress.add_sample(sample)

    def epoch(self, row: Epoch) -> None:
        self.store.add_epoch(self.job.id, row)
        self.progress.add_epoch(row)
        self.progress.update(advice=self._advice())

    def saved(self, epoch: int, key: str) -> None:
        self.file_current = True
        self.note = ""  # a save that failed before is mended
        self.store.update_run(self.job.id, model_path=key, saved_epoch=epoch)

    def save_failed(self, message: str) -> None:
        self.file_current = False
        self.note = message
        self.progress.update(message=message)

    def finish(self, outcome: Outcome) -> None:
        if outcome.answers is not None and self.file_current:  # kept before the run reads as ended
            try:
                answers.keep(self.job.model_file, outcome.answers.test_set, outcome.answers.probs)
            except Exception:  # noqa: BLE001  (a cache: Evaluate computes them on the first visit instead)
                log.exception("The answers of run %s could not be kept", self.job.id)
        if outcome.message == STOPPED:
            outcome = replace(outcome, message=stopped(self.stopped_by))
        if self.note:
            outcome = replace(outcome, message=" ".join(m for m in (outcome.message, self.note) if m))
        self.progress.update(status=outcome.status, message=outcome.message, seconds=outcome.seconds,
                             test_loss=outcome.test_loss, test_acc=outcome.test_acc,
                             advice=self._advice())
        self.store.update_run(self.job.id, status=outcome.status, message=outcome.message,
                              duration_s=outcome.seconds, test_loss=outcome.test_loss,
                              test_acc=outcome.test_acc, stop_asked_by=None)

    def fail(self, message: str) -> None:
        if self._left_as_it_was(message, error=True):
            return
        self.progress.update(status=Status.FAILED, error=message)
        self.store.update_run(self.job.id, status=Status.FAILED, message=message[:2000], stop_asked_by=None)

    def lost(self, message: str) -> None:
        """What ran the job died mid-run (a Ray worker or its node): the run is marked
        interrupted with ``message`` and can be continued from its last saved epoch. A
        continue that had not begun leaves the run as it was."""
        if self._left_as_it_was(message, error=True):
            return
        self.progress.update(status=Status.INTERRUPTED, message=message)
        self.store.update_run(self.job.id, status=Status.INTERRUPTED, message=message[:2000],
                              interrupted_while=Status.RUNNING, stop_asked_by=None)

    def cancelled(self, when: str = "", more: str = "") -> None:
        """The job was stopped before it could begin (or its worker had to be cancelled):
        the run is marked stopped, keeping whatever it saved; a continue leaves it as it was.
        The message says who stopped it (`stopped`), ``when``, and ``more``."""
        message = " ".join(m for m in (stopped(self.stopped_by, when), more) if m)
        if self._left_as_it_was(message, error=False):
            return
        self.progress.update(status=Status.STOPPED, message=message)
        self.store.update_run(self.job.id, status=Status.STOPPED, message=message[:2000], stop_asked_by=None)

    def _left_as_it_was(self, message: str, error: bool) -> bool:
        """A continue that never began leaves its run as it was (only this try ended):
        True, with the live progress saying ``message``, when that is the case."""
        if not (self.job.resumes and not self.begun):
            return False
        before = self.store.run(self.job.id)
        self.progress.update(status=before.status if before else Status.FAILED, message=message,
                             **({"error": message} if error else {}))
        return True

    def ended(self) -> None:
        """The executor is done with the job (after `finish` or `fail`)."""
        self.progress.update(ended_at=time.time())

    def _advice(self) -> str | None:
        return advice.diagnose(self.progress.history(), self._classes(), self.job.train.epochs)

    def _classes(self) -> int:
        from lab.data import DATASETS

        info = DATASETS.get(self.job.train.dataset)
        return info.n_classes if info else 0


class _ReadOnly:
    """The records as a let-go run's recorder sees them: read, never written."""

    def __init__(self, store: RecordStore):
        self._store = store

    def run(self, run_id: int):
        return self._store.run(run_id)

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None  # every write: nothing
