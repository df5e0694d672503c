"""Run records: typed records, the store interface, and its SQLite implementation.

Pages and jobs use `open_store()` and the types; which database holds the
records is decided here, once.
"""

from __future__ import annotations

from lab.records.base import Conflict, RecordStore, StoreError
from lab.records.types import EPOCH_METRICS, RUN_FIELDS, Challenge, Epoch, Person, RunRecord, Status, Sweep

__all__ = ["EPOCH_METRICS", "RUN_FIELDS", "Challenge", "Conflict", "Epoch", "Person", "RecordStore", "RunRecord",
           "Status", "StoreError", "Sweep", "open_store"]


def open_store(home=None) -> RecordStore:
    """The records of the data folder ``home`` (default ``$LAB_HOME``).

    Raises:
        StoreError: the records cannot be opened; the message says what to do.
    """
    from lab.records.sqlite import SQLiteStore
    from lab.settings import settings

    return SQLiteStore((home / "runs.sqlite") if home is not None else settings().records_path)
