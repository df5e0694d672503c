"""Faults a class server meets while a run trains: a models folder that cannot be written,
records locked by another writer for a few seconds, PostgreSQL restarted mid-run. (A
killed server is in test_jobs.py, a killed Ray worker in test_ray.py.)"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from jobkit import SMALL, wait_until

from lab.jobs import JobManager
from lab.jobs.manager import ORPHANED
from lab.records import Status, open_store
from lab.records.sqlite import SQLiteStore
from lab.spec import TrainSpec

TRAIN = TrainSpec(dataset="mnist", batch_size=16, epochs=8, train_limit=4000, seed=3)


@contextlib.contextmanager
def unwritable(folder: Path):
    """Nobody can create files in ``folder``, root included (the tests run as root here):
    the immutable attribute for root, permissions for anyone else."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"chattr +i {folder} failed ({done.stderr.strip()}): e2fsprogs on a filesystem "
                        "with file attributes is needed for this test", pytrace=False)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_models_folder_that_cannot_be_written_is_said_and_the_run_still_recorded(tmp_path, executor):
    manager = JobManager(SQLiteStore(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained",
                         executor=executor)
    with unwritable(manager.models.folder):
        job = manager.submit(SMALL, replace(TRAIN, epochs=2), owner="ada")
        p = manager.wait(job.id, 180)
    run = manager.store.run(job.id)
    assert p.status == run.status == Status.FINISHED, p.error
    assert [e.epoch for e in manager.store.epochs(job.id)] == [1, 2] and run.test_acc > 0.5
    assert run.model_path is None and not manager.models.has_model(run)
    folder = manager.models.folder
    assert run.message.startswith(f"The model could not be saved in {folder} (")
    assert "Make the folder writable" in run.message and "Traceback" not in run.message
    assert manager.view(job.id).progress.message == run.message  # what the Train page shows
    assert list(folder.iterdir()) == []


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    print("released", time.time(), flush=True)
""")


def test_records_locked_by_another_writer_for_seconds_lose_nothing(tmp_path):
    """Another program holds the SQLite file's write lock for 3 s while a run trains: the
    run's writes wait for it, and every epoch is recorded."""
    path = tmp_path / "runs.sqlite"
    manager = JobManager(SQLiteStore(path), model_dir=tmp_path / "trained")
    job = manager.submit(SMALL, TRAIN, owner="ada")
    wait_until(lambda: manager.store.run(job.id).epochs_done >= 1, what="a first epoch")
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path), "3"], stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    during = manager.snapshot(job.id).epoch
    p = manager.wait(job.id, 180)
    released = float(locker.communicate(timeout=30)[0].split()[-1])
    assert during < TRAIN.epochs and p.ended_at > released  # the run was still writing under the lock
    assert p.status == Status.FINISHED, p.error
    assert [e.epoch for e in manager.store.epochs(job.id)] == list(range(1, TRAIN.epochs + 1))
    assert manager.store.run(job.id).status == Status.FINISHED


def test_postgres_tables_locked_for_seconds_lose_nothing(monkeypatch, tmp_path, fresh_postgres_url):
    import psycopg

    monkeypatch.setenv("LAB_DATABASE_URL", fresh_postgres_url)
    manager = JobManager(open_store(), model_dir=tmp_path / "trained")
    job = manager.submit(SMALL, TRAIN, owner="ada")
    wait_until(lambda: manager.store.run(job.id).epochs_done >= 1, what="a first epoch")
    with psycopg.connect(fresh_postgres_url) as other:
        other.execute("LOCK TABLE runs, epochs IN ACCESS EXCLUSIVE MODE")
        during = manager.snapshot(job.id).epoch
        time.sleep(3)
        released = time.time()
    p = manager.wait(job.id, 180)
    assert during < TRAIN.epochs and p.ended_at > released
    assert p.status == Status.FINISHED, p.error
    assert [e.epoch for e in manager.store.epochs(job.id)] == list(range(1, TRAIN.epochs + 1))


def test_postgres_restarted_mid_run_loses_nothing(monkeypatch, tmp_path, postgres_server, fresh_postgres_url):
    monkeypatch.setenv("LAB_DATABASE_URL", fresh_postgres_url)
    manager = JobManager(open_store(), model_dir=tmp_path / "trained")
    job = manager.submit(SMALL, TRAIN, owner="ada")
    wait_until(lambda: manager.store.run(job.id).epochs_done >= 1, what="a first epoch")
    restarted = threading.Thread(target=postgres_server.restart)
    restarted.start()
    during = manager.snapshot(job.id).epoch
    restarted.join(60)
    p = manager.wait(job.id, 180)
    assert during < TRAIN.epochs
    assert p.status == Status.FINISHED, p.error
    epochs = manager.store.epochs(job.id)
    assert [e.epoch for e in epochs] == list(range(1, TRAIN.epochs + 1))  # each once
    run = manager.store.run(job.id)
    assert run.status == Status.FINISHED and run.saved_epoch == TRAIN.epochs and run.test_acc > 0.5


def test_records_away_longer_than_the_retries_when_a_run_ends_leave_it_continuable(
        monkeypatch, tmp_path, postgres_server, fresh_postgres_url):
    """PostgreSQL is down for longer than a write's retries while a run trains: the run fails,
    and its failure cannot be written either, so its record still says running. Once the
    records are back, the server that knows it has no job for it marks it interrupted, and
    it can be continued from its last saved epoch (before, it stayed "running" until the
    server restarted: it could be neither stopped, continued nor deleted)."""
    monkeypatch.setenv("LAB_DATABASE_URL", fresh_postgres_url)
    manager = JobManager(open_store(), model_dir=tmp_path / "trained")
    job = manager.submit(SMALL, replace(TRAIN, epochs=50), owner="ada")
    wait_until(lambda: (manager.store.run(job.id).saved_epoch or 0) >= 1, what="a first saved epoch")
    postgres_server.halt()
    try:
        p = manager.wait(job.id, 120)
        assert p.status == Status.FAILED, p.status
    finally:
        postgres_server.start()
    assert manager.store.run(job.id).status == Status.RUNNING  # how it ended never reached the records
    view = manager.view(job.id)
    assert view.run.status == Status.INTERRUPTED and view.run.message == ORPHANED and not view.live
    again = manager.continue_run(job.id, 1, owner="ada")
    assert manager.wait(again.id, 120).status == Status.FINISHED
    assert manager.store.run(job.id).status == Status.FINISHED
