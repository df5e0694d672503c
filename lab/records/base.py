"""The records interface every store implements (SQLite now, PostgreSQL beside it later)."""

from __future__ import annotations

import abc

from lab.records.types import Epoch, RunRecord


class StoreError(RuntimeError):
    """The records cannot be used; the message says what to do."""


class RecordStore(abc.ABC):
    """Runs and their epochs. Records are never deleted by the lab.

    Writers may be many threads or processes at once; each call is one
    transaction, so nothing a caller was told is written is lost.
    """

    @abc.abstractmethod
    def create_run(self, **fields) -> int:
        """Insert a run with ``fields`` (names of `RunRecord`); returns its id."""

    @abc.abstractmethod
    def update_run(self, run_id: int, **fields) -> None:
        """Set ``fields`` on run ``run_id`` (KeyError for a name that is not a field)."""

    @abc.abstractmethod
    def add_epoch(self, run_id: int, epoch: Epoch) -> None:
        """Record a finished epoch (replacing one of the same number) and copy its
        figures onto the run."""

    @abc.abstractmethod
    def drop_epochs_after(self, run_id: int, epoch: int) -> None:
        """Forget epochs after ``epoch`` (a continued run trains them again)."""

    @abc.abstractmethod
    def run(self, run_id: int) -> RunRecord | None:
        """One run, or None."""

    @abc.abstractmethod
    def runs(self) -> list[RunRecord]:
        """Every run, newest first."""

    @abc.abstractmethod
    def epochs(self, run_id: int) -> list[Epoch]:
        """The finished epochs of a run, in order."""

    @abc.abstractmethod
    def mark_interrupted(self) -> list[int]:
        """Mark runs left queued or running by a process that died as interrupted;
        returns their ids. Call once when a lab server starts, before any job runs."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The version of the records' schema (see `lab.records.migrations`)."""

    def set_comment(self, run_id: int, comment: str) -> None:
        """Replace the comment of a run (the only field people edit by hand)."""
        self.update_run(run_id, comment=str(comment))
