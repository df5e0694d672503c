"""Run records: typed records, the store interface, and its SQLite and PostgreSQL stores.

Pages and jobs use `open_store()` and the types; which database holds the
records is decided here, once: PostgreSQL when ``LAB_DATABASE_URL`` is set,
else the SQLite file in the data folder.
"""

from __future__ import annotations

from lab.records.base import Conflict, RecordStore, StoreError
from lab.records.types import EPOCH_METRICS, RUN_FIELDS, Challenge, Ending, Epoch, Person, RunRecord, Status, Sweep

__all__ = ["EPOCH_METRICS", "RUN_FIELDS", "Challenge", "Conflict", "Ending", "Epoch", "Person", "RecordStore",
           "RunRecord", "Status", "StoreError", "Sweep", "open_store"]


def open_store(home=None) -> RecordStore:
    """The records: the PostgreSQL database at ``LAB_DATABASE_URL`` when it is set, else
    those of the data folder ``home`` (default ``$LAB_HOME``).

    Raises:
        StoreError: the records cannot be opened; the message says what to do.
    """
    from lab.settings import settings

    if settings().database_url:
        from lab.records.postgres import PostgresStore

        return PostgresStore(settings().database_url)
    from lab.records.sqlite import SQLiteStore

    return SQLiteStore((home / "runs.sqlite") if home is not None else settings().records_path)
