"""Numbered schema steps. A store applies every step above its version, in order.

Statements are written once for every database: ``{id}`` and ``{real}``
stand for the dialect's auto-numbered key and floating-point types. Step 1
is the schema the first lab wrote (``CREATE ... IF NOT EXISTS``, so a file
written before versions existed passes through it unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One step: the version it brings the records to, and its statements."""

    version: int
    about: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs and epochs, as the first lab wrote them", (
        "CREATE TABLE IF NOT EXISTS runs (id {id}, created TEXT, updated TEXT, owner TEXT, "
        "dataset TEXT, network TEXT, architecture TEXT, activations TEXT, spec_json TEXT, "
        "train_json TEXT, seed INTEGER, params INTEGER, status TEXT, epochs_done INTEGER, "
        "epochs_planned INTEGER, train_loss {real}, train_acc {real}, val_loss {real}, "
        "val_acc {real}, test_loss {real}, test_acc {real}, duration_s {real}, comment TEXT, "
        "model_path TEXT, saved_epoch INTEGER, device TEXT, message TEXT)",
        "CREATE TABLE IF NOT EXISTS epochs (run_id INTEGER, epoch INTEGER, loss {real}, "
        "accuracy {real}, val_loss {real}, val_accuracy {real}, seconds {real}, "
        "PRIMARY KEY (run_id, epoch))",
    )),
    Migration(2, "who continued a run; whether an interrupted run had started", (
        "ALTER TABLE runs ADD COLUMN continued_by TEXT",
        "ALTER TABLE runs ADD COLUMN interrupted_while TEXT",
    )),
    Migration(3, "trials: batches of XOR tries from random starts, one row per hidden size", (
        "CREATE TABLE IF NOT EXISTS trials (id {id}, study INTEGER, created TEXT, owner TEXT, owner_id TEXT, "
        "hidden INTEGER, activation TEXT, learning_rate {real}, epochs INTEGER, tries INTEGER, seed INTEGER, "
        "learned INTEGER, seconds {real}, outcomes_json TEXT)",
        "CREATE INDEX IF NOT EXISTS trials_by_study ON trials (study)",
    )),
    Migration(4, "where a run came from: trained here (empty) or uploaded as a model file", (
        "ALTER TABLE runs ADD COLUMN origin TEXT",
    )),
    Migration(5, "a class's record: people, tags, hidden runs, sweeps, challenges", (
        "CREATE TABLE IF NOT EXISTS people (id {id}, key_hash TEXT UNIQUE, name TEXT, name_key TEXT UNIQUE, "
        "teacher INTEGER, created TEXT)",
        "ALTER TABLE runs ADD COLUMN owner_id TEXT",
        "ALTER TABLE runs ADD COLUMN hidden INTEGER",
        "ALTER TABLE runs ADD COLUMN sweep_id INTEGER",
        "ALTER TABLE runs ADD COLUMN sweep_values TEXT",
        "CREATE TABLE IF NOT EXISTS tags (run_id INTEGER, tag TEXT, PRIMARY KEY (run_id, tag))",
        "CREATE TABLE IF NOT EXISTS sweeps (id {id}, created TEXT, owner TEXT, owner_id TEXT, network TEXT, "
        "spec_json TEXT, train_json TEXT, axes_json TEXT, seeds_json TEXT, size INTEGER)",
        "CREATE TABLE IF NOT EXISTS challenges (id {id}, created TEXT, title TEXT, dataset TEXT, "
        "min_accuracy {real}, max_params INTEGER, max_epochs INTEGER, max_seconds {real}, deadline TEXT, "
        "closed INTEGER)",
    )),
    Migration(6, "which lab server trains a run (servers sharing PostgreSQL records each mind their own)", (
        "ALTER TABLE runs ADD COLUMN server TEXT",
    )),
    Migration(7, "Stop pressed on a lab server other than the one training the run", (
        "ALTER TABLE runs ADD COLUMN stop_asked_by TEXT",
    )),
    Migration(8, "the identity of whoever last continued a run (they may stop it from any server)", (
        "ALTER TABLE runs ADD COLUMN continued_by_id TEXT",
    )),
    Migration(9, "when a run last ended (a challenge's deadline counts this, not a later comment or tag)", (
        "ALTER TABLE runs ADD COLUMN ended TEXT",
        "UPDATE runs SET ended = updated WHERE status NOT IN ('queued', 'running')",  # the best guess left
    )),
    Migration(10, "lab servers' signs of life, by the database's clock (a silent one's runs may be let go)", (
        "CREATE TABLE IF NOT EXISTS servers (name TEXT PRIMARY KEY, seen {real})",
    )),
    Migration(11, "the teacher key a teacher unlocked with, by its fingerprint (a new key ends the old role)", (
        "ALTER TABLE people ADD COLUMN teacher_mark TEXT",
        "UPDATE people SET teacher = 0",  # teachers from before unlock once more
    )),
    Migration(12, "the network and settings each person is editing (a reload, or another machine, keeps them)", (
        "ALTER TABLE people ADD COLUMN draft_network TEXT",
        "ALTER TABLE people ADD COLUMN draft_settings TEXT",
    )),
    Migration(13, "each time a run finished or stopped, as it was then (a Continue keeps a challenge met)", (
        "CREATE TABLE IF NOT EXISTS endings (run_id INTEGER, ended TEXT, status TEXT, test_acc {real}, "
        "epochs_done INTEGER, duration_s {real}, params INTEGER)",
        "INSERT INTO endings (run_id, ended, status, test_acc, epochs_done, duration_s, params) SELECT id, ended, "
        "status, test_acc, epochs_done, duration_s, params FROM runs WHERE status IN ('finished', 'stopped') "
        "AND ended IS NOT NULL",  # the last ending of each run: earlier ones were never kept
    )),
)

LATEST = max(m.version for m in MIGRATIONS)


def pending(version: int) -> list[Migration]:
    """The steps a store at ``version`` still needs, in order.

    Example:
        >>> [m.version for m in pending(0)] == list(range(1, LATEST + 1)), pending(LATEST)
        (True, [])
    """
    return sorted((m for m in MIGRATIONS if m.version > version), key=lambda m: m.version)
