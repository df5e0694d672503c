"""Live progress of a job: typed snapshots, and the in-memory state behind them.

The trainer's reports reach a `LiveProgress` (through `lab.jobs.recorder`);
any number of page sessions read `ProgressSnapshot`s of it, frozen copies
that cannot be misspelt or changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields

from lab.records.types import Epoch, Status

TESTING = "Testing"  # the phase after the last epoch: the trained network answers the test set


@dataclass(frozen=True)
class Sample:
    """One point of the live line: training loss and accuracy part-way through an epoch."""

    epoch: float  # fractional: 1.5 is half-way through the second epoch
    loss: float
    accuracy: float


@dataclass(frozen=True)
class ProgressSnapshot:
    """What a job has done so far, as a page shows it."""

    status: Status
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None
    history: tuple[Epoch, ...] = ()
    samples: tuple[Sample, ...] = ()
    advice: str | None = None
    test_loss: float | None = None
    test_acc: float | None = None
    error: str | None = None
    device: str | None = None
    seconds: float | None = 0.0  # None: not known (a run recorded from an uploaded file)
    message: str = ""
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def fraction_done(self) -> float:
        """How much of the planned training is done, 0 to 1. Before the first batch
        position (``batches`` 0), ``epoch`` counts the epochs already done (a Continue)."""
        done = self.epoch if not self.batches else max(self.epoch - 1, 0) + self.batch / self.batches
        return min(done / max(self.epochs, 1), 1.0)

    @property
    def line(self) -> str:
        """The progress bar's words while the job trains.

        Example:
            >>> ProgressSnapshot(Status.RUNNING, epoch=1, epochs=3).line  # a Continue getting ready
            'getting ready: 1 of 3 epochs done'
            >>> ProgressSnapshot(Status.RUNNING, epoch=2, epochs=3, batch=5, batches=10, images_per_s=640, eta_s=9).line
            'epoch 2/3, batch 5/10, 640 images/s, about 9 s left'
            >>> ProgressSnapshot(Status.RUNNING, epoch=3, epochs=3, batch=10, batches=10, message=TESTING).line
            'epoch 3/3 trained: testing on the test set'
        """
        if self.message == TESTING:
            return f"epoch {self.epoch}/{self.epochs} trained: testing on the test set"
        if not self.batches:
            return f"getting ready: {self.epoch} of {self.epochs} epochs done"
        eta = f", about {self.eta_s:.0f} s left" if self.eta_s is not None else ""
        return (f"epoch {self.epoch}/{self.epochs}, batch {self.batch}/{self.batches}, "
                f"{self.images_per_s:,.0f} images/s{eta}")


class LiveProgress:
    """The mutable progress of one job, safe to update and read from any thread.

    Updates are cheap (a dict under a lock: the trainer reports every batch);
    `snapshot` builds the frozen `ProgressSnapshot` a page reads.

    Example:
        >>> p = LiveProgress(epochs=3)
        >>> p.update(status=Status.RUNNING, epoch=1)
        >>> p.add_epoch(Epoch(1, loss=0.5))
        >>> s = p.snapshot(); (s.status, s.epoch, len(s.history))
        (<Status.RUNNING: 'running'>, 1, 1)
    """

    def __init__(self, epochs: int, initial_epoch: int = 0, history: list[Epoch] | None = None):
        self._lock = threading.Lock()
        self._state = {"status": Status.QUEUED, "epoch": initial_epoch, "epochs": epochs}
        self._history: list[Epoch] = list(history or [])
        self._samples: list[Sample] = []

    def update(self, **values) -> None:
        """Set some fields (names of `ProgressSnapshot`, except history and samples)."""
        unknown = set(values) - _FIELDS
        if unknown:
            raise KeyError(f"Unknown progress field(s): {sorted(unknown)}")
        with self._lock:
            self._state.update(values)

    def add_epoch(self, row: Epoch) -> None:
        """Append a finished epoch."""
        with self._lock:
            self._history.append(row)

    def add_sample(self, sample: Sample) -> None:
        """Append a point of the live line."""
        with self._lock:
            self._samples.append(sample)

    def history(self) -> list[Epoch]:
        """The finished epochs so far."""
        with self._lock:
            return list(self._history)

    def snapshot(self) -> ProgressSnapshot:
        """A frozen copy of everything."""
        with self._lock:
            return ProgressSnapshot(**self._state, history=tuple(self._history),
                                    samples=tuple(self._samples))


_FIELDS = {f.name for f in fields(ProgressSnapshot)} - {"history", "samples"}
