"""Several lab servers behind a load balancer: one PostgreSQL database of records, one
Ray cluster, one shared models folder, each server with its own data folder and name."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from lab.jobs import JobManager
from lab.records import Status, open_store
from jobkit import SMALL
from lab.spec import TrainSpec

LONG = TrainSpec(dataset="mnist", batch_size=16, epochs=200, train_limit=4000, seed=1)


def server(monkeypatch, tmp_path, name: str, executor) -> JobManager:
    """A lab server's job manager, as `shared_manager` makes it on that server."""
    monkeypatch.setenv("LAB_SERVER_NAME", name)
    monkeypatch.setenv("LAB_HOME", str(tmp_path / name))
    return JobManager(open_store(), home=tmp_path / name, executor=executor)


def test_servers_sharing_records_and_a_cluster_mind_their_own_runs(monkeypatch, tmp_path, fresh_postgres_url,
                                                                   ray_executor):
    monkeypatch.setenv("LAB_DATABASE_URL", fresh_postgres_url)
    monkeypatch.setenv("LAB_MODELS_DIR", str(tmp_path / "shared-models"))
    a = server(monkeypatch, tmp_path, "lab-a", ray_executor)
    job = a.submit(SMALL, LONG, owner="ada")
    deadline = time.monotonic() + 120
    while a.store.run(job.id).epochs_done < 1:
        assert time.monotonic() < deadline, "no epoch recorded"
        time.sleep(0.05)

    b = server(monkeypatch, tmp_path, "lab-b", ray_executor)  # a second server starts while a trains
    assert b.interrupted == [] and b.store.run(job.id).status == Status.RUNNING
    assert b.store.run(job.id).server == "lab-a"
    assert a.view(job.id).live and not b.view(job.id).live  # b shows it from the records
    assert b.view(job.id).progress.history  # with its finished epochs

    with pytest.raises(PermissionError):
        b.stop(job.id, "bob")
    teacher = b.store.set_teacher(b.store.create_person("key-lee", "Ms Lee").id, "mark")
    b.stop(job.id, teacher.id, teacher=True)  # pressed on the other server: a hears it through the records
    assert a.wait(job.id, 60).status == Status.STOPPED
    assert b.store.run(job.id).stop_asked_by is None  # heard and cleared: a later continue is not stopped
    run = b.store.run(job.id)
    assert run.status == Status.STOPPED and b.models.locate(run) is not None  # b can draw with it
    assert run.message == "Stopped by Ms Lee (teacher)."  # a named who asked, from b's records
    other = b.submit(SMALL, replace(LONG, epochs=1, batch_size=64, train_limit=1000), owner="bob")
    assert b.wait(other.id, 120).status == Status.FINISHED
    assert a.store.run(other.id).server == "lab-b" and a.models.locate(a.store.run(other.id)) is not None
