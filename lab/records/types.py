"""Typed records: the status of a run, a run's record, one finished epoch.

Frozen dataclasses, so a page cannot misspell a field or change a record
it only reads; every status word is a `Status` member.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields


class Status(enum.StrEnum):
    """Where a run stands. A `StrEnum`: it compares equal to, and prints as, its word.

    Example:
        >>> Status("finished") is Status.FINISHED, f"{Status.RUNNING}"
        (True, 'running')
    """

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"

    @property
    def active(self) -> bool:
        """Waiting or training now."""
        return self in (Status.QUEUED, Status.RUNNING)

    @property
    def scored(self) -> bool:
        """Ended with a test accuracy that counts (finished, or stopped and then tested)."""
        return self in (Status.FINISHED, Status.STOPPED)


@dataclass(frozen=True)
class Epoch:
    """One finished epoch: training and validation figures and its duration."""

    epoch: int
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    seconds: float | None = None


EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass(frozen=True)
class RunRecord:
    """One run as recorded: what was trained, how, by whom, and what it scored.

    ``model_path`` is where `lab.artifacts` finds the run's model file (ask
    `lab.artifacts.ModelFiles`, never open it directly); ``saved_epoch`` is
    the epoch that file holds. ``continued_by`` is whoever last pressed
    Continue (``owner`` stays who started the run), ``continued_by_id`` their
    identity; ``interrupted_while``
    says whether an interrupted run was ``queued`` or ``running``.
    """

    id: int
    created: str | None = None
    updated: str | None = None  # any change, a comment or a tag too
    owner: str | None = None
    dataset: str | None = None
    network: str | None = None
    architecture: str | None = None
    activations: str | None = None
    spec_json: str | None = None
    train_json: str | None = None
    seed: int | None = None
    params: int | None = None
    status: Status = Status.QUEUED
    epochs_done: int = 0
    epochs_planned: int | None = None
    train_loss: float | None = None
    train_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None
    test_loss: float | None = None
    test_acc: float | None = None
    duration_s: float | None = None
    comment: str = ""
    model_path: str | None = None
    saved_epoch: int | None = None
    device: str | None = None
    message: str | None = None
    continued_by: str | None = None
    interrupted_while: str | None = None
    owner_id: str | None = None
    hidden: bool = False
    sweep_id: int | None = None
    sweep_values: str | None = None
    origin: str | None = None  # None: trained by this lab; "uploaded": a model file someone sent
    server: str | None = None  # the lab server that trains (or last trained) it: `lab.settings`' server
    stop_asked_by: str | None = None  # who pressed Stop on another server; the training server stops it
    continued_by_id: str | None = None
    ended: str | None = None  # when it last ended (finished, stopped, failed...): deadlines count this

    @classmethod
    def from_row(cls, row: dict) -> "RunRecord":
        """A record from a database row (extra columns of newer schemas are ignored)."""
        known = {k: row[k] for k in RUN_FIELDS if k in row}
        known["status"] = Status(known.get("status") or Status.QUEUED)
        known["epochs_done"] = known.get("epochs_done") or 0
        known["comment"] = known.get("comment") or ""
        known["hidden"] = bool(known.get("hidden"))
        return cls(**known)

    @property
    def power(self) -> str:
        """Who may stop, delete or queue this run again: its owner's identity. A run recorded
        before identities existed belongs to no one who can prove it: only a teacher may."""
        return self.owner_id or f"legacy:{self.owner}"

    @property
    def stoppers(self) -> tuple[str, ...]:
        """Who may stop it while it trains (teachers aside): its owner and, once a Continue
        has begun, whoever pressed it.

        Example:
            >>> RunRecord(3, owner="ada", owner_id="p1", continued_by_id="p2").stoppers
            ('p1', 'p2')
        """
        extra = self.continued_by_id
        return (self.power,) + ((extra,) if extra and extra != self.power else ())


RUN_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RunRecord))


@dataclass(frozen=True)
class Ending:
    """A run as it was when it once finished or stopped: a Continue later changes the run,
    not this (a challenge met before its deadline stays met)."""

    run_id: int
    ended: str
    status: Status
    test_acc: float | None = None
    epochs_done: int = 0
    duration_s: float | None = None
    params: int | None = None


ENDING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Ending))


@dataclass(frozen=True)
class Person:
    """Someone using the lab from a browser: ``id`` is what their runs record as
    ``owner_id``; ``name`` is what everyone sees. The private key that proves who they
    are is never stored, only its hash."""

    id: str
    name: str
    teacher: bool = False
    teacher_mark: str | None = None  # the fingerprint of the teacher key they unlocked with (lab.identity)


@dataclass(frozen=True)
class Sweep:
    """A group of runs that vary one or two settings over lists of values, each repeated
    with several seeds. ``axes_json`` and ``seeds_json`` hold what `lab.sweeps` planned."""

    id: int
    created: str
    owner: str
    owner_id: str
    network: str
    spec_json: str
    train_json: str
    axes_json: str
    seeds_json: str
    size: int


@dataclass(frozen=True)
class Challenge:
    """A teacher's target: a test accuracy on a dataset within limits, maybe by a deadline.
    A limit left empty (None) does not apply."""

    id: int
    title: str
    dataset: str
    min_accuracy: float
    max_params: int | None = None
    max_epochs: int | None = None
    max_seconds: float | None = None
    deadline: str | None = None
    closed: bool = False
    created: str | None = None


@dataclass(frozen=True)
class TrialBatch:
    """All tries of one hidden size in one "How often does it learn?" study (`lab.trials`).

    ``study`` groups the batches started together; ``learned`` counts the tries that
    learned XOR; ``outcomes_json`` holds each try's outcome, outputs and final weights.
    """

    id: int
    study: int
    created: str
    owner: str
    owner_id: str
    hidden: int
    activation: str
    learning_rate: float
    epochs: int
    tries: int
    seed: int
    learned: int
    seconds: float
    outcomes_json: str


TRIAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TrialBatch))
