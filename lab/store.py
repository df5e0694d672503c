"""Experiment records in SQLite: one row per run, one row per finished epoch.

Every call opens its own short connection, so the training thread and many
page sessions can read and write at once (WAL mode lets readers go on while
a writer commits). Records are never deleted by the lab.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUN_COLUMNS = {
    "created": "TEXT", "updated": "TEXT", "owner": "TEXT", "dataset": "TEXT", "network": "TEXT",
    "architecture": "TEXT", "activations": "TEXT", "spec_json": "TEXT", "train_json": "TEXT",
    "seed": "INTEGER", "params": "INTEGER", "status": "TEXT", "epochs_done": "INTEGER",
    "epochs_planned": "INTEGER", "train_loss": "REAL", "train_acc": "REAL", "val_loss": "REAL",
    "val_acc": "REAL", "test_loss": "REAL", "test_acc": "REAL", "duration_s": "REAL",
    "comment": "TEXT", "model_path": "TEXT", "saved_epoch": "INTEGER", "device": "TEXT",
    "message": "TEXT",
}
EPOCH_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")
ACTIVE = ("queued", "running")


class StoreError(RuntimeError):
    """The records file cannot be used; the message says what to do."""


def data_home() -> Path:
    """The lab's data folder: ``$LAB_HOME``, or ``models/`` in the project by default."""
    return Path(os.environ.get("LAB_HOME") or REPO / "models")


def now() -> str:
    """The local time as ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S")


class Store:
    """The runs database at ``path`` (default ``data_home()/runs.sqlite``).

    Example:
        >>> store = Store(tmp_path / "runs.sqlite")
        >>> run_id = store.create_run(dataset="xor", network="XOR 2-2-1", status="queued")
        >>> store.add_epoch(run_id, 1, {"loss": 0.7, "accuracy": 0.5})
        >>> store.run(run_id)["epochs_done"]
        1
    """

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else data_home() / "runs.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db():
            pass

    @contextmanager
    def _db(self):
        try:
            db = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the records file {self.path}: {exc}.") from exc
        db.row_factory = sqlite3.Row
        try:
            _schema(db)  # again on every connection: the file may have been moved aside
            with db:
                yield db
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StoreError(
                    f"The records file {self.path} is damaged ({exc}). Move it aside (the lab "
                    "never deletes it) and the lab begins a new one, or set LAB_HOME to another "
                    "folder.") from exc
            raise
        finally:
            db.close()

    def create_run(self, **fields) -> int:
        """Insert a run with ``fields`` (see `RUN_COLUMNS`); returns its id."""
        fields = {"created": now(), "updated": now(), "epochs_done": 0, "comment": "", **fields}
        self._check(fields)
        with self._db() as db:
            cur = db.execute(f"INSERT INTO runs ({', '.join(fields)}) VALUES "
                             f"({', '.join('?' * len(fields))})", list(fields.values()))
            return int(cur.lastrowid)

    def update_run(self, run_id: int, **fields) -> None:
        """Set ``fields`` on run ``run_id``."""
        fields = {**fields, "updated": now()}
        self._check(fields)
        with self._db() as db:
            db.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                       [*fields.values(), run_id])

    def set_comment(self, run_id: int, comment: str) -> None:
        """Replace the comment of a run (the only field people edit by hand)."""
        self.update_run(run_id, comment=str(comment))

    def add_epoch(self, run_id: int, epoch: int, metrics: dict) -> None:
        """Record finished epoch ``epoch`` (1-based) and copy its figures onto the run."""
        values = [metrics.get(k) for k in EPOCH_COLUMNS]
        with self._db() as db:
            db.execute(f"INSERT OR REPLACE INTO epochs (run_id, epoch, {', '.join(EPOCH_COLUMNS)}) "
                       f"VALUES (?, ?, {', '.join('?' * len(EPOCH_COLUMNS))})", [run_id, epoch, *values])
            db.execute("UPDATE runs SET epochs_done = ?, train_loss = ?, train_acc = ?, val_loss = ?, "
                       "val_acc = ?, updated = ? WHERE id = ?",
                       [epoch, metrics.get("loss"), metrics.get("accuracy"), metrics.get("val_loss"),
                        metrics.get("val_accuracy"), now(), run_id])

    def drop_epochs_after(self, run_id: int, epoch: int) -> None:
        """Forget epochs after ``epoch``: they are trained again when a run continues
        from a model saved at ``epoch``."""
        with self._db() as db:
            db.execute("DELETE FROM epochs WHERE run_id = ? AND epoch > ?", [run_id, epoch])
            db.execute("UPDATE runs SET epochs_done = ? WHERE id = ?", [epoch, run_id])

    def run(self, run_id: int) -> dict | None:
        """One run as a dict, or None."""
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone()
        return dict(row) if row else None

    def runs(self) -> list[dict]:
        """Every run, newest first."""
        with self._db() as db:
            return [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY id DESC")]

    def epochs(self, run_id: int) -> list[dict]:
        """The finished epochs of a run, in order."""
        with self._db() as db:
            return [dict(r) for r in db.execute(
                "SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch", [run_id])]

    def mark_interrupted(self) -> list[int]:
        """Runs left queued or running by a process that died: mark them interrupted.

        Call once when the lab starts, before any job runs. Returns their ids.
        """
        with self._db() as db:
            ids = [r["id"] for r in db.execute(
                f"SELECT id FROM runs WHERE status IN ({', '.join('?' * len(ACTIVE))})", ACTIVE)]
            db.execute(f"UPDATE runs SET status = 'interrupted', updated = ?, message = "
                       f"'The lab stopped while this run was active.' WHERE status IN "
                       f"({', '.join('?' * len(ACTIVE))})", [now(), *ACTIVE])
        return ids

    @staticmethod
    def _check(fields: dict) -> None:
        unknown = set(fields) - set(RUN_COLUMNS)
        if unknown:
            raise KeyError(f"Unknown run field(s): {sorted(unknown)}")


def _schema(db: sqlite3.Connection) -> None:
    cols = ", ".join(f"{k} {t}" for k, t in RUN_COLUMNS.items())
    ecols = ", ".join(f"{k} REAL" for k in EPOCH_COLUMNS)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, {cols})")
    db.execute(f"CREATE TABLE IF NOT EXISTS epochs (run_id INTEGER, epoch INTEGER, {ecols}, "
               "PRIMARY KEY (run_id, epoch))")


def spec_json(obj) -> str:
    """Compact JSON of a spec's ``to_dict()``."""
    return json.dumps(obj.to_dict(), separators=(",", ":"))
