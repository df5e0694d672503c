"""What a page shows about one run: its record, its progress, its place in line."""

from __future__ import annotations

from dataclasses import dataclass

from lab import advice
from lab.data import DATASETS
from lab.jobs.progress import ProgressSnapshot
from lab.records import Epoch, RunRecord, Status


@dataclass(frozen=True)
class RunView:
    """A run as a page shows it.

    ``live`` is true while this server trains or queues it; ``owner`` is who
    may stop it now (whoever started the live job: for a continued run, the
    person who pressed Continue); ``place`` is 0 when training, 1.. in line,
    -1 otherwise.
    """

    run: RunRecord
    progress: ProgressSnapshot
    place: int
    live: bool
    owner: str


def from_record(run: RunRecord, history: list[Epoch]) -> ProgressSnapshot:
    """The progress of a run this server is not training, rebuilt from its records."""
    info = DATASETS.get(run.dataset or "")
    message = run.message or ""
    return ProgressSnapshot(
        status=run.status, epoch=run.epochs_done, epochs=run.epochs_planned or 0, history=tuple(history),
        test_loss=run.test_loss, test_acc=run.test_acc, device=run.device, seconds=run.duration_s or 0.0,
        message=message, error=message if run.status == Status.FAILED else None,
        advice=advice.diagnose(history, info.n_classes if info else 0))
