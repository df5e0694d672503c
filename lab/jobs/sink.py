"""What a trainer reports to: the `ProgressSink` protocol and the final `Outcome`.

A trainer knows nothing of pages, records or threads: it calls these
methods. In one process the sink is a `lab.jobs.recorder.Recorder`; across
a process boundary it is a proxy that forwards the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from lab import artifacts
from lab.jobs.progress import Sample
from lab.records.types import Epoch, Status


STOPPED = "Stopped on request."  # the message of a run its owner, its continuer or a teacher stopped


def stopped(by: str | None, when: str = "") -> str:
    """A stopped run's message: who stopped it (``by``, in words; None when not known) and,
    optionally, ``when``.

    Example:
        >>> stopped(None), stopped("Ms Lee (teacher)"), stopped("ada", "before it started")
        ('Stopped on request.', 'Stopped by Ms Lee (teacher).', 'Stopped by ada before it started.')
    """
    if by is None:
        return f"Stopped {when}." if when else STOPPED
    return " ".join(["Stopped by", by] + ([when] if when else [])) + "."


@dataclass(frozen=True)
class Answers:
    """A model's probabilities for every image of the test set whose
    `lab.answers.test_set_key` is ``test_set`` (row ``i`` for image ``i``)."""

    test_set: str
    probs: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """How a job ended: its status, a message, test figures and total seconds; and, when
    the model file it saved last holds the model it tested, that model's ``answers`` on
    the test set (for the Evaluate page)."""

    status: Status
    message: str = ""
    test_loss: float | None = None
    test_acc: float | None = None
    seconds: float = 0.0
    answers: Answers | None = field(default=None, compare=False, repr=False)


class ProgressSink(Protocol):
    """The calls a trainer makes while it works, in this order:
    ``begin``, ``phase``*, ``model_ready``, (``position`` | ``sample`` | ``epoch`` | ``saved``
    | ``save_failed`` | ``phase``)*, ``finish``; or ``fail`` at any point (called by the executor when the
    trainer raises)."""

    def phase(self, message: str) -> None:
        """What the job is doing in words ("Loading data", "Training", "Testing")."""

    def begin(self, device: str) -> None:
        """The job left the queue and works on ``device``."""

    def model_ready(self) -> None:
        """The model is built (or, for a continued run, its file loaded): training starts."""

    def position(self, epoch: int, batch: int, batches: int) -> None:
        """Where training is: batch ``batch`` of ``batches`` in epoch ``epoch`` (1-based)."""

    def sample(self, sample: Sample, images_per_s: float, eta_s: float) -> None:
        """A point of the live line, with the speed and the time left."""

    def epoch(self, row: Epoch) -> None:
        """An epoch finished (never called for a stopped, unfinished or diverged one)."""

    def saved(self, epoch: int, key: str) -> None:
        """The model file now holds the weights after ``epoch``; ``key`` finds it."""

    def save_failed(self, message: str) -> None:
        """The model file could not be written (``message`` says why and how to fix it);
        training goes on and the run is still recorded."""

    def finish(self, outcome: Outcome) -> None:
        """The job ended as ``outcome`` says."""

    def fail(self, message: str) -> None:
        """The job could not go on; ``message`` says why."""

    def stop_requested(self) -> bool:
        """Whether the job's owner asked it to stop (checked after every batch)."""


class ModelSaver:
    """Writes one job's model file and tells its sink: ``saved``, or, when the folder
    refuses it (the first time, or the first time after a save that worked),
    ``save_failed`` with what to do (training goes on either way). ``ok`` says whether
    the last write worked (None before the first).

    Example:
        >>> class Told:
        ...     def saved(self, epoch, key): print("saved", epoch, key)
        ...     def save_failed(self, message): print(message[:28])
        >>> save = ModelSaver(Told(), "/srv/lab/trained/run_3.keras", "run_3.keras")
        >>> save(lambda path: None, 1)
        saved 1 run_3.keras
        >>> def refuse(path): raise PermissionError(13, "Permission denied")
        >>> save(refuse, 2); save(refuse, 3)
        The model could not be saved
        >>> save.ok
        False
    """

    def __init__(self, sink: ProgressSink, path: Path | str, key: str):
        self.sink, self.path, self.key = sink, Path(path), key
        self.ok: bool | None = None

    def __call__(self, write: Callable[[Path], None], epoch: int) -> None:
        """``write(path)`` the file that holds the weights after ``epoch``, and report it
        (nothing, once the run was let go: its file is another server's now)."""
        if getattr(self.sink, "let_go", False):
            return
        try:
            write(self.path)
        except OSError as exc:
            if self.ok is not False:
                self.sink.save_failed(artifacts.save_error(self.path, exc))
            self.ok = False
            return
        self.ok = True
        self.sink.saved(epoch, self.key)
