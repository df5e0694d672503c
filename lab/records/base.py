"""The records interface every store implements (SQLite now, PostgreSQL beside it later)."""

from __future__ import annotations

import abc

from lab.records.types import Challenge, Ending, Epoch, Person, RunRecord, Sweep
from lab.records.types import TrialBatch


class StoreError(RuntimeError):
    """The records cannot be used; the message says what to do."""


class Conflict(StoreError):
    """A value that must be unique (a person's name) is already taken."""


class RecordStore(abc.ABC):
    """Runs and their epochs. A run is deleted only on request (`delete_run`).

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
    def mark_interrupted(self, server: str | None = None) -> list[int]:
        """Mark runs left queued or running by a process that died as interrupted;
        returns their ids. Call once when a lab server starts, before any job runs.
        With ``server``, only that server's runs (and runs recorded before servers were
        named): other servers sharing the records keep training theirs."""

    @abc.abstractmethod
    def interrupt(self, run_id: int, server: str, message: str, silent_for: float | None = None) -> bool:
        """Mark run ``run_id`` interrupted with ``message``, only while it is still queued
        or running on lab server ``server``: that server knows it has no job for it any
        more, or (with ``silent_for``) ``server`` has given no sign of life (`beat`) for
        that many seconds. Whether it was marked."""

    @abc.abstractmethod
    def beat(self, server: str) -> None:
        """Record a sign of life of lab server ``server``, at the database's time."""

    @abc.abstractmethod
    def silence(self, server: str) -> float | None:
        """Seconds since lab server ``server`` last gave a sign of life (by the database's
        clock, so servers' clocks need not agree); None when it never did."""

    @abc.abstractmethod
    def taken(self, server: str, run_ids: list[int]) -> list[int]:
        """Those of ``run_ids`` whose records no longer say ``server`` trains them: marked
        interrupted, or trained on another server, by another server's decision."""

    @abc.abstractmethod
    def ask_to_stop(self, run_id: int, who: str, server: str, continued_by_id: str | None) -> bool:
        """Record that ``who`` pressed Stop for run ``run_id``, which lab server ``server``
        trains; only while the run is queued or running there and its ``continued_by_id``
        is still the one given (the caller checked its permission against it). Whether
        it was recorded."""

    @abc.abstractmethod
    def requeue(self, run_id: int, server: str) -> bool:
        """Mark run ``run_id`` queued on lab server ``server`` again, only while it is still
        interrupted while it waited (so two presses, even on two servers, queue it once).
        Whether it was marked."""

    @abc.abstractmethod
    def stops_asked(self, server: str) -> list[tuple[int, str]]:
        """The queued or running runs of lab server ``server`` whose Stop was pressed on
        another server (`ask_to_stop`) and not yet heard, each with who pressed it."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The version of the records' schema (see `lab.records.migrations`)."""

    def set_comment(self, run_id: int, comment: str) -> None:
        """Replace the comment of a run."""
        self.update_run(run_id, comment=str(comment))

    @abc.abstractmethod
    def delete_run(self, run_id: int) -> None:
        """Remove a run with its epochs, tags and endings (its files are `lab.artifacts`' business)."""

    @abc.abstractmethod
    def endings(self) -> dict[int, list[Ending]]:
        """Run id -> each time the run finished or stopped, oldest first, as it was then
        (written by `create_run` and `update_run` when they finish or stop a run)."""

    @abc.abstractmethod
    def best_epochs(self) -> dict[int, tuple[float, int]]:
        """Run id -> (best validation accuracy, the first epoch that reached it)."""

    # ---- people ---------------------------------------------------------------------

    @abc.abstractmethod
    def person(self, person_id: str) -> Person | None:
        """The person with identity ``person_id``, or None."""

    @abc.abstractmethod
    def person_by_key(self, key_hash: str) -> Person | None:
        """The person whose private key hashes to ``key_hash``, or None."""

    @abc.abstractmethod
    def create_person(self, key_hash: str, name: str) -> Person:
        """Record a new person; `Conflict` when the name is taken (ignoring case)."""

    @abc.abstractmethod
    def rename_person(self, person_id: str, name: str) -> Person:
        """Give a person another name, on their runs, continuations, sweeps and trials too
        (the old name is then free for anyone); `Conflict` when someone else has it."""

    @abc.abstractmethod
    def set_teacher(self, person_id: str, mark: str | None) -> Person:
        """Grant the teacher role under the teacher key whose fingerprint is ``mark``
        (`lab.identity.teacher_mark`), or drop it (None)."""

    @abc.abstractmethod
    def save_draft(self, person_id: str, part: str, text: str) -> None:
        """Keep one part (``"network"`` or ``"settings"``, as JSON) of what the person is
        editing, leaving the other as it is (two tabs may each change one)."""

    @abc.abstractmethod
    def draft(self, person_id: str) -> dict[str, str | None]:
        """The person's last `save_draft` of each part: ``{"network": ..., "settings": ...}``."""

    # ---- tags -----------------------------------------------------------------------

    @abc.abstractmethod
    def set_tags(self, run_id: int, tags: list[str]) -> None:
        """Replace the tags of a run."""

    @abc.abstractmethod
    def tags(self) -> dict[int, list[str]]:
        """Run id -> its tags, sorted, for every run that has any."""

    # ---- sweeps and challenges ------------------------------------------------------

    @abc.abstractmethod
    def create_sweep(self, **fields) -> int:
        """Record a sweep (fields of `Sweep` but ``id``); returns its id."""

    @abc.abstractmethod
    def sweeps(self) -> list[Sweep]:
        """Every sweep, newest first."""

    @abc.abstractmethod
    def create_challenge(self, **fields) -> int:
        """Record a challenge (fields of `Challenge` but ``id``); returns its id."""

    @abc.abstractmethod
    def challenges(self) -> list[Challenge]:
        """Every challenge, newest first."""

    @abc.abstractmethod
    def close_challenge(self, challenge_id: int, closed: bool = True) -> None:
        """Close (or reopen) a challenge."""

    # ---- trials (how often a network learns XOR) --------------------------------------

    @abc.abstractmethod
    def record_trials(self, batches: list[dict]) -> int:
        """Record the batches of one study (fields of `TrialBatch` but ``id``, ``study`` and
        ``created``) all at once, or none; returns the study's number."""

    @abc.abstractmethod
    def trials(self, study: int | None = None) -> list[TrialBatch]:
        """Every recorded trial batch (of one study when given), newest first."""
