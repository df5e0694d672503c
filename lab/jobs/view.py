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

    ``live`` is true while this server trains or queues it; ``owner`` is the
    name of who started the live job (for a continued run, the person who
    pressed Continue), else of the run's owner; ``stoppers`` are the identities
    that may stop it (`lab.records.RunRecord.stoppers`, and whoever pressed a
    Continue still waiting here); ``place`` is 0 when training, 1.. in line, -1
    otherwise; ``silent_s`` is how long the other lab server that trains it has given no
    sign of life, once that is too long (`lab.jobs.JobManager.silence`); ``continuer`` is
    who continued it (or presses Continue now), when not its owner.
    """

    run: RunRecord
    progress: ProgressSnapshot
    place: int
    live: bool
    owner: str
    stoppers: tuple[str, ...]
    silent_s: float | None = None
    continuer: str | None = None


def continuer(run: RunRecord, presser: str | None = None, presser_id: str | None = None) -> str | None:
    """Who continued ``run`` when not its owner: ``presser`` (whose Continue trains or waits
    now), else whoever the record names; None when nobody else did.

    Example:
        >>> run = RunRecord(1, owner="ada", owner_id="p1", continued_by="bob", continued_by_id="p2")
        >>> continuer(run), continuer(run, "cy", "p3"), continuer(run, "ada", "p1")
        ('bob', 'cy', None)
    """
    name, ident = (presser, presser_id) if presser is not None else (run.continued_by, run.continued_by_id)
    if not name or (ident or name) == (run.owner_id if ident else run.owner):
        return None
    return name


def from_record(run: RunRecord, history: list[Epoch]) -> ProgressSnapshot:
    """The progress of a run this server is not training, rebuilt from its records."""
    info = DATASETS.get(run.dataset or "")
    message = run.message or ""
    return ProgressSnapshot(
        status=run.status, epoch=run.epochs_done, epochs=run.epochs_planned or 0, history=tuple(history),
        test_loss=run.test_loss, test_acc=run.test_acc, device=run.device, seconds=run.duration_s,
        message=message, error=message if run.status == Status.FAILED else None,
        advice=advice.diagnose(history, info.n_classes if info else 0, run.epochs_planned or 0))


def why_not_continued(run: RunRecord, has_model: bool) -> str | None:
    """Why a run that ended is not offered for Continue, in a sentence; None when it is
    offered (it has a saved model) or still active.

    Example:
        >>> why_not_continued(RunRecord(5, status=Status.INTERRUPTED, interrupted_while="queued"), False)
        'Run 5 was waiting in the queue when the lab stopped: queue it again.'
    """
    if has_model and run.saved_epoch is not None or run.status.active:
        return None
    if run.status == Status.INTERRUPTED and run.interrupted_while == Status.QUEUED:
        return f"Run {run.id} was waiting in the queue when the lab stopped: queue it again."
    if run.status == Status.INTERRUPTED:
        return (f"Run {run.id} was interrupted before its first save, so there is nothing to continue "
                "from: start it again.")
    if run.status == Status.DIVERGED:
        return f"Run {run.id} diverged (its weights became NaN), so they were not kept: start it again."
    if run.status in (Status.FAILED, Status.STOPPED) and run.saved_epoch is None:
        return f"Run {run.id} {run.status} before its first save: start it again."
    return f"Run {run.id} has no model file any more: start it again."


SHOWN_TRAINING = 3  # runs the sidebar's line names; more are counted


def activity(training: list[tuple[int, str, str, int, int]], waiting: int) -> str:
    """The sidebar's line about this server's jobs: each run training (id, network, owner,
    epoch, epochs), then how many wait.

    Example:
        >>> activity([(17, "MLP", "ada", 2, 2), (18, "CNN", "bob", 1, 5)], 1)
        'Training now: run 17, MLP (ada), epoch 2/2; run 18, CNN (bob), epoch 1/5. 1 waiting.'
        >>> activity([], 0)
        'No training running.'
    """
    if not training and not waiting:
        return "No training running."
    named = [f"run {i}, {network} ({owner}), epoch {epoch}/{epochs}"
             for i, network, owner, epoch, epochs in training[:SHOWN_TRAINING]]
    more = len(training) - SHOWN_TRAINING
    line = f"Training now: {'; '.join(named)}" + (f"; and {more} more" if more > 0 else "") + "." if named else ""
    return " ".join(part for part in (line, f"{waiting} waiting." if waiting else "") if part)

