"""One SQL code path for every database the records can live in.

`SQLStore` holds all the queries, written once in portable SQL (``?`` for
parameters, ``INSERT ... ON CONFLICT`` for upserts) and the migration runner:
the runs here, the class's records (people, tags, sweeps, challenges, trials)
in `lab.records.sql_class`.
A subclass for one database supplies only what differs: how to connect, how
a writing transaction begins, where the schema version is kept, how a new
row's id is read back, and its parameter style. SQLite-only or
PostgreSQL-only SQL lives in that subclass, nowhere else.
"""

from __future__ import annotations

import abc
from contextlib import contextmanager

from lab.records.base import RecordStore, StoreError
from lab.records.cursor import Cursor, now
from lab.records.migrations import LATEST, pending
from lab.records.sql_class import ClassRecords
from lab.records.types import ENDING_FIELDS, EPOCH_METRICS, RUN_FIELDS, Ending, Epoch, RunRecord, Status

INTERRUPTED_MESSAGES = {
    Status.RUNNING: "The lab stopped while this run was active.",
    Status.QUEUED: "The lab stopped while this run waited in the queue: queue it again on the "
                   "Train page.",
}


class SQLStore(ClassRecords, RecordStore):
    """The queries and the migration runner; subclasses connect to one database."""

    TYPES: dict[str, str] = {}  # "id" and "real" for this database's DDL
    PLACEHOLDER = "?"
    CLOCK = ""  # the database's time now, in seconds since 1970, as an SQL expression

    # ---- what a database supplies ---------------------------------------------------

    @abc.abstractmethod
    def _connection(self):
        """A context manager yielding an open DB-API connection in autocommit mode."""

    @abc.abstractmethod
    def _begin_write(self, cur: Cursor) -> None:
        """Begin a transaction that will write (taking the write lock early)."""

    @abc.abstractmethod
    def _get_version(self, cur: Cursor) -> int:
        """The schema version recorded in the database (0 for a new one)."""

    @abc.abstractmethod
    def _set_version(self, cur: Cursor, version: int) -> None:
        """Record the schema version (inside the migration's transaction)."""

    @abc.abstractmethod
    def _insert(self, cur: Cursor, sql: str, params: list) -> int:
        """Run an INSERT into a table with an ``id`` key and return the new row's id."""

    UNIQUE_ERRORS: tuple[type[BaseException], ...] = ()  # the driver's "unique value taken" errors

    # ---- transactions and the schema ------------------------------------------------

    @contextmanager
    def _tx(self, write: bool = True):
        with self._connection() as conn:
            cur = Cursor(conn.cursor(), self.PLACEHOLDER)
            self._ensure_schema(cur)
            if not write:
                yield cur
                return
            self._begin_write(cur)
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _ensure_schema(self, cur: Cursor) -> None:
        """Bring the database to `LATEST`; checked on every connection, because the
        file may have been moved aside (or another server may have migrated it)."""
        version = self._get_version(cur)
        if version == LATEST:
            return
        if version > LATEST:
            raise StoreError(
                f"The records ({self}) were written by a newer version of the lab (schema "
                f"{version}; this lab knows up to {LATEST}). Update the lab, or point it at "
                "other records.")
        self._begin_write(cur)
        try:
            version = self._get_version(cur)  # another writer may have migrated meanwhile
            for step in pending(version):
                for statement in step.statements:
                    cur.execute(statement.format(**self.TYPES))
                self._set_version(cur, step.version)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def schema_version(self) -> int:
        with self._tx(write=False) as cur:
            return self._get_version(cur)

    # ---- the records ----------------------------------------------------------------

    def create_run(self, **fields) -> int:
        at = now()
        fields = _ended({"created": at, "updated": at, "epochs_done": 0, "comment": "", **fields})
        _check(fields)
        with self._tx() as cur:
            run_id = self._insert(cur, f"INSERT INTO runs ({', '.join(fields)}) VALUES "
                                       f"({', '.join('?' * len(fields))})", list(fields.values()))
            _keep_ending(cur, run_id, fields)
            return run_id

    def update_run(self, run_id: int, **fields) -> None:
        fields = _ended({**fields, "updated": now()})
        _check(fields)
        with self._tx() as cur:
            cur.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                        [*fields.values(), run_id])
            _keep_ending(cur, run_id, fields)

    def add_epoch(self, run_id: int, epoch: Epoch) -> None:
        values = [getattr(epoch, k) for k in EPOCH_METRICS]
        with self._tx() as cur:
            cur.execute(f"INSERT INTO epochs (run_id, epoch, {', '.join(EPOCH_METRICS)}) VALUES "
                        f"(?, ?, {', '.join('?' * len(EPOCH_METRICS))}) ON CONFLICT (run_id, epoch) "
                        f"DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in EPOCH_METRICS)}",
                        [run_id, epoch.epoch, *values])
            cur.execute("UPDATE runs SET epochs_done = ?, train_loss = ?, train_acc = ?, val_loss = ?, "
                        "val_acc = ?, updated = ? WHERE id = ?",
                        [epoch.epoch, epoch.loss, epoch.accuracy, epoch.val_loss, epoch.val_accuracy,
                         now(), run_id])

    def drop_epochs_after(self, run_id: int, epoch: int) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM epochs WHERE run_id = ? AND epoch > ?", [run_id, epoch])
            cur.execute("UPDATE runs SET epochs_done = ? WHERE id = ?", [epoch, run_id])

    def run(self, run_id: int) -> RunRecord | None:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT * FROM runs WHERE id = ?", [run_id]).dicts()
        return RunRecord.from_row(rows[0]) if rows else None

    def runs(self) -> list[RunRecord]:
        with self._tx(write=False) as cur:
            return [RunRecord.from_row(r) for r in cur.execute("SELECT * FROM runs ORDER BY id DESC").dicts()]

    def epochs(self, run_id: int) -> list[Epoch]:
        with self._tx(write=False) as cur:
            rows = cur.execute(f"SELECT epoch, {', '.join(EPOCH_METRICS)} FROM epochs WHERE run_id = ? "
                               "ORDER BY epoch", [run_id]).dicts()
        return [Epoch(**r) for r in rows]

    def mark_interrupted(self, server: str | None = None) -> list[int]:
        active = [Status.QUEUED, Status.RUNNING]
        mine = "" if server is None else " AND (server = ? OR server IS NULL)"
        with self._tx() as cur:
            rows = cur.execute(f"SELECT id, status FROM runs WHERE status IN (?, ?){mine}",
                               active + ([server] if server is not None else [])).dicts()
            at = now()
            for row in rows:
                was = Status(row["status"])
                cur.execute("UPDATE runs SET status = ?, interrupted_while = ?, message = ?, updated = ?, "
                            "ended = ?, stop_asked_by = NULL WHERE id = ?",
                            [Status.INTERRUPTED, was, INTERRUPTED_MESSAGES[was], at, at, row["id"]])
        return sorted(r["id"] for r in rows)

    def interrupt(self, run_id: int, server: str, message: str, silent_for: float | None = None) -> bool:
        quiet = "" if silent_for is None else \
            f" AND NOT EXISTS (SELECT 1 FROM servers WHERE name = ? AND seen > {self.CLOCK} - ?)"
        with self._tx() as cur:
            at = now()
            cur.execute("UPDATE runs SET interrupted_while = status, status = ?, message = ?, updated = ?, "
                        "ended = ?, stop_asked_by = NULL WHERE id = ? AND server = ? AND status IN (?, ?)" + quiet,
                        [Status.INTERRUPTED, message, at, at, run_id, server, Status.QUEUED, Status.RUNNING]
                        + ([] if silent_for is None else [server, float(silent_for)]))
            return cur.rowcount == 1

    def beat(self, server: str) -> None:
        with self._tx() as cur:
            cur.execute(f"INSERT INTO servers (name, seen) VALUES (?, {self.CLOCK}) ON CONFLICT (name) "
                        "DO UPDATE SET seen = excluded.seen", [server])

    def silence(self, server: str) -> float | None:
        with self._tx(write=False) as cur:
            quiet = cur.execute(f"SELECT {self.CLOCK} - seen FROM servers WHERE name = ?", [server]).one()
        return None if quiet is None else max(0.0, float(quiet))

    def taken(self, server: str, run_ids: list[int]) -> list[int]:
        if not run_ids:
            return []
        with self._tx(write=False) as cur:
            rows = cur.execute(f"SELECT id FROM runs WHERE id IN ({', '.join('?' * len(run_ids))}) AND "
                               "(status = ? OR server <> ?) ORDER BY id",
                               [*run_ids, Status.INTERRUPTED, server]).dicts()
        return [r["id"] for r in rows]

    def ask_to_stop(self, run_id: int, who: str, server: str, continued_by_id: str | None) -> bool:
        with self._tx() as cur:
            cur.execute("UPDATE runs SET stop_asked_by = ?, updated = ? WHERE id = ? AND server = ? "
                        "AND status IN (?, ?) AND COALESCE(continued_by_id, '') = ?",
                        [who, now(), run_id, server, Status.QUEUED, Status.RUNNING, continued_by_id or ""])
            return cur.rowcount == 1

    def requeue(self, run_id: int, server: str) -> bool:
        with self._tx() as cur:
            cur.execute("UPDATE runs SET status = ?, message = '', interrupted_while = NULL, server = ?, "
                        "updated = ? WHERE id = ? AND status = ? AND interrupted_while = ?",
                        [Status.QUEUED, server, now(), run_id, Status.INTERRUPTED, Status.QUEUED])
            return cur.rowcount == 1

    def stops_asked(self, server: str) -> list[tuple[int, str]]:
        with self._tx(write=False) as cur:
            rows = cur.execute("SELECT id, stop_asked_by FROM runs WHERE server = ? AND stop_asked_by IS NOT NULL "
                               "AND status IN (?, ?) ORDER BY id", [server, Status.QUEUED, Status.RUNNING]).dicts()
        return [(r["id"], r["stop_asked_by"]) for r in rows]

    def delete_run(self, run_id: int) -> None:
        with self._tx() as cur:
            for table, key in (("epochs", "run_id"), ("tags", "run_id"), ("endings", "run_id"), ("runs", "id")):
                cur.execute(f"DELETE FROM {table} WHERE {key} = ?", [run_id])

    def endings(self) -> dict[int, list[Ending]]:
        with self._tx(write=False) as cur:
            rows = cur.execute(f"SELECT {', '.join(ENDING_FIELDS)} FROM endings ORDER BY ended, run_id").dicts()
        kept: dict[int, list[Ending]] = {}
        for r in rows:
            kept.setdefault(r["run_id"], []).append(Ending(**{**r, "status": Status(r["status"])}))
        return kept

    def best_epochs(self) -> dict[int, tuple[float, int]]:
        with self._tx(write=False) as cur:
            rows = cur.execute(
                "SELECT e.run_id, MIN(e.epoch) AS epoch, m.best FROM epochs e JOIN (SELECT run_id, "
                "MAX(val_accuracy) AS best FROM epochs GROUP BY run_id) m ON e.run_id = m.run_id AND "
                "e.val_accuracy = m.best GROUP BY e.run_id, m.best").dicts()
        return {r["run_id"]: (r["best"], r["epoch"]) for r in rows}

def _keep_ending(cur: Cursor, run_id: int, fields: dict) -> None:
    """When ``fields`` finish or stop run ``run_id`` (just written), keep it as it is now
    among its endings."""
    if fields.get("status") is not None and Status(fields["status"]).scored:
        cur.execute(f"INSERT INTO endings ({', '.join(ENDING_FIELDS)}) SELECT id, "
                    f"{', '.join(ENDING_FIELDS[1:])} FROM runs WHERE id = ?", [run_id])


def _ended(fields: dict) -> dict:
    """``fields`` of a run, with ``ended`` set to their ``updated`` time when they end it
    (a status that is neither queued nor running).

    Example:
        >>> _ended({"status": "finished", "updated": "10:00"}), _ended({"comment": "late", "updated": "11:00"})
        ({'status': 'finished', 'updated': '10:00', 'ended': '10:00'}, {'comment': 'late', 'updated': '11:00'})
    """
    status = fields.get("status")
    if status is not None and not Status(status).active:
        return {**fields, "ended": fields.get("ended") or fields["updated"]}
    return fields


def _check(fields: dict) -> None:
    unknown = set(fields) - set(RUN_FIELDS) | ({"id"} & set(fields))
    if unknown:
        raise KeyError(f"Unknown run field(s): {sorted(unknown)}")
