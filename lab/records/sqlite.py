"""The records in one SQLite file (the default): WAL mode, a short connection per call.

Every call opens its own connection, so the training thread and many page
sessions read and write at once (WAL lets readers go on while a writer
commits). The schema version is SQLite's ``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from lab.records.base import StoreError
from lab.records.cursor import Cursor
from lab.records.sql import SQLStore
from lab.settings import settings


class SQLiteStore(SQLStore):
    """The runs database at ``path`` (default ``$LAB_HOME/runs.sqlite``).

    Example:
        >>> import tempfile
        >>> from lab.records.types import Epoch
        >>> store = SQLiteStore(Path(tempfile.mkdtemp()) / "runs.sqlite")
        >>> run_id = store.create_run(dataset="xor", network="XOR 2-2-1", status="queued")
        >>> store.add_epoch(run_id, Epoch(1, loss=0.7, accuracy=0.5))
        >>> store.run(run_id).epochs_done
        1
    """

    TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"}
    CLOCK = "((julianday('now') - 2440587.5) * 86400.0)"
    UNIQUE_ERRORS = (sqlite3.IntegrityError,)

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else settings().records_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema_version()  # opens (and creates or migrates) the file now: errors surface here

    def __str__(self) -> str:
        return f"the records file {self.path}"

    @contextmanager
    def _connection(self):
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the records file {self.path}: {exc}.") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StoreError(
                    f"The records file {self.path} is damaged ({exc}). Move it aside (the lab "
                    "never deletes it) and the lab begins a new one, or set LAB_HOME to another "
                    "folder.") from exc
            if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
                raise StoreError(
                    f"The records file {self.path} stayed busy for 30 s ({exc}): another program holds "
                    "it. Close that program, or try again in a moment.") from exc
            raise
        finally:
            db.close()

    def _begin_write(self, cur: Cursor) -> None:
        cur.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks

    def _get_version(self, cur: Cursor) -> int:
        return int(cur.execute("PRAGMA user_version").one())

    def _set_version(self, cur: Cursor, version: int) -> None:
        cur.execute(f"PRAGMA user_version = {int(version)}")

    def _insert(self, cur: Cursor, sql: str, params: list) -> int:
        return int(cur.execute(sql, params).cur.lastrowid)
