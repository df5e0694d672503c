"""Training on a Ray cluster (lab.jobs.ray_executor, lab.jobs.ray_worker), on a real local
cluster of two nodes: what only Ray has (a worker that dies, a job waiting for room, a
worker that does not answer Stop, a cluster that cannot be used). The job tests shared
with the thread executor (finish, stop, continue, queue, NaN, keep-best, early stopping,
a killed server) run on both in test_jobs.py."""

from __future__ import annotations

import os
import pickle
import signal
import time
from dataclasses import replace

import keras
import numpy as np
import pytest

from appkit import page, page_manager, values, version
from jobkit import SMALL, wait_until
from pgkit import free_port

import lab.data
from lab import answers, artifacts
from lab.jobs import JobManager, JobRejected, ProgressSnapshot, Sample
from lab.jobs.executors import ThreadExecutor, Unavailable, from_settings
from lab.jobs.job import Job
from lab.jobs.ray_cluster import RayUnavailable
from lab.jobs.ray_executor import RayExecutor
from lab.jobs.ray_worker import Relay
from lab.jobs.sink import Outcome
from lab.records import Epoch, Status
from lab.records.sqlite import SQLiteStore
from lab.spec import TrainSpec, load_presets

LONG = TrainSpec(dataset="mnist", batch_size=16, epochs=200, train_limit=4000, seed=1)


@pytest.fixture
def manager(tmp_path, ray_executor):
    return JobManager(SQLiteStore(tmp_path / "runs.sqlite"), max_running=3, model_dir=tmp_path / "trained",
                      executor=ray_executor)


def test_what_crosses_to_a_worker_is_plain_data():
    """A job, its reports and its progress cross a process boundary unchanged (no locks,
    events or open files inside)."""
    preset = load_presets()["cnn_32_64_64"]
    things = [Job(3, "ada", preset.model, preset.train, "/srv/run_3.keras", "run_3.keras", owner_id="p1"),
              Outcome(Status.FINISHED, "", 0.3, 0.9, 12.5), Sample(1.5, 0.4, 0.8), Epoch(2, loss=0.3),
              ProgressSnapshot(Status.RUNNING, epoch=2, history=(Epoch(1, loss=0.5),),
                               samples=(Sample(0.5, 0.9, 0.7),))]
    assert [pickle.loads(pickle.dumps(t)) for t in things] == things


def test_the_relay_keeps_reports_in_order_and_passes_stop_on():
    relay = Relay()
    assert relay.push(1, [("phase", "a")]) is False and relay.push(2, [("phase", "b")]) is False
    relay.push(1, [("position", 1, 2, 3)])
    relay.stop(1)
    assert relay.push(1, []) is True and relay.push(2, []) is False
    assert relay.take() == {1: [("phase", "a"), ("position", 1, 2, 3)], 2: [("phase", "b")]}
    assert relay.take() == {}
    relay.forget(1)
    assert relay.push(1, []) is False


def test_a_run_on_ray_saves_its_model_where_the_server_reads_it(manager, ray_cluster):
    job = manager.submit(SMALL, replace(LONG, epochs=2, batch_size=64, train_limit=1000), owner="ada")
    p = manager.wait(job.id, 180)
    assert p.status == Status.FINISHED, p.error
    run = manager.store.run(job.id)
    assert run.device.startswith(f"CPU (1 of {os.cpu_count()} cores), Ray node ")  # the one core it asked for
    assert run.saved_epoch == 2
    path = manager.models.locate(run)
    net = keras.models.load_model(path)  # the server's file, for Draw and Evaluate
    assert net.count_params() == run.params
    ds = lab.data.load("mnist")  # the worker's test answers came back with it, kept for Evaluate
    kept = artifacts.read_predictions(manager.models.predictions(run),
                                      f"{artifacts.version(path)}|{answers.test_set_key(ds)}")
    here = answers.of_model(net, ds.scaled(ds.x_test))  # the head's thread count may round otherwise
    assert np.allclose(kept, here, rtol=0, atol=1e-6) and np.array_equal(kept.argmax(axis=1), here.argmax(axis=1))
    assert manager.executor.where.startswith(f"on the Ray cluster at {ray_cluster}: 2 nodes, 2 CPUs")


def test_a_worker_killed_mid_run_leaves_the_run_interrupted_and_it_continues(manager, monkeypatch):
    monkeypatch.setenv("LAB_CHECKPOINT_S", "0")  # a saved model after every epoch
    job = manager.submit(SMALL, replace(LONG, batch_size=64, train_limit=2000), owner="ada")
    wait_until(lambda: (manager.store.run(job.id).saved_epoch or 0) >= 2, what="two saved epochs")
    pid, node = manager.executor.worker(job.id)
    os.kill(pid, signal.SIGKILL)
    p = manager.wait(job.id, 60)
    run = manager.store.run(job.id)
    assert p.status == run.status == Status.INTERRUPTED
    assert f"process {pid} on node {node}" in run.message and "continue it" in run.message
    assert run.interrupted_while == Status.RUNNING
    saved = run.saved_epoch
    assert run.epochs_done >= saved >= 2
    manager.continue_run(job.id, 1, owner="ada")
    p = manager.wait(job.id, 180)
    assert p.status == Status.FINISHED, p.error
    assert [e.epoch for e in manager.store.epochs(job.id)] == list(range(1, saved + 2))


def test_a_job_waiting_for_room_on_the_cluster_leaves_it_when_stopped(manager):
    """Two CPUs in the cluster, three jobs let out of the queue: the third waits in Ray's
    own queue, says so, and Stop takes it out at once (ray.cancel)."""
    first, second = (manager.submit(SMALL, LONG, owner="ada") for _ in range(2))
    wait_until(lambda: all(manager.snapshot(j.id).status == Status.RUNNING for j in (first, second)),
               what="two jobs running")
    third = manager.submit(SMALL, LONG, owner="bob")
    time.sleep(1.0)
    waiting = manager.snapshot(third.id)
    assert waiting.status == Status.QUEUED and waiting.message == "Waiting for room on the Ray cluster"
    lee = manager.store.set_teacher(manager.store.create_person("key-lee", "Ms Lee").id, "mark")
    manager.stop(third.id, lee.id, teacher=True)
    p = manager.wait(third.id, 30)
    run = manager.store.run(third.id)
    assert p.status == run.status == Status.STOPPED and run.message == "Stopped by Ms Lee (teacher) before it started."
    assert run.epochs_done == 0 and run.device is None
    for job in (first, second):
        manager.stop(job.id, "ada")
        assert manager.wait(job.id, 60).status == Status.STOPPED


def test_a_worker_that_does_not_answer_stop_is_cancelled(tmp_path, ray_cluster):
    """One batch of a CNN takes seconds here; with a grace of 0.3 s the task is cancelled
    (ray.cancel, force) and the run is marked stopped with the reason."""
    executor = RayExecutor(ray_cluster, stop_grace_s=0.3)
    try:
        manager = JobManager(SQLiteStore(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained",
                             executor=executor)
        cnn = load_presets()["cnn_32_64_128"].model
        job = manager.submit(cnn, TrainSpec(dataset="mnist", batch_size=1000, epochs=5, validation_split=0.25,
                                            train_limit=8000), owner="ada")
        wait_until(lambda: manager.snapshot(job.id).batches > 0, what="training begun")
        manager.stop(job.id, "ada")
        p = manager.wait(job.id, 60)
        run = manager.store.run(job.id)
        assert p.status == run.status == Status.STOPPED
        assert "did not stop within 0.3 s, so its task was cancelled" in run.message
    finally:
        executor.close()


# ---- a cluster that cannot be used ---------------------------------------------------------------


def test_an_unreachable_cluster_is_refused_quickly_with_what_to_do():
    address = f"127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(RayUnavailable, match=f"The Ray cluster at {address} cannot be reached") as info:
        RayExecutor(address)
    assert "ray start --head" in str(info.value) and time.monotonic() - t0 < 10


@pytest.mark.parametrize("address", ["ray-head", "10.0.0.5:port", ":6379"])
def test_a_malformed_address_says_what_it_should_look_like(address):
    with pytest.raises(RayUnavailable, match="HOST:PORT"):
        RayExecutor(address)


def test_asking_for_a_gpu_or_more_cpus_than_any_node_has_is_refused(ray_cluster):
    with pytest.raises(RayUnavailable, match=r"LAB_RAY_GPUS asks for 1 GPU per run, but no node .* has "
                                             r"that many \(2 nodes, 2 CPUs, 0 GPUs\)") as info:
        RayExecutor(ray_cluster, gpus=1)
    assert "LAB_RAY_GPUS=0" in str(info.value) and "--num-gpus=1" in str(info.value)
    with pytest.raises(RayUnavailable, match="LAB_RAY_CPUS asks for 4 CPUs per run"):
        RayExecutor(ray_cluster, cpus=4)


def test_an_unusable_cluster_falls_back_to_this_server_or_refuses_runs(monkeypatch, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("LAB_RAY_ADDRESS", address)
    fallback = from_settings()
    assert isinstance(fallback, ThreadExecutor) and fallback.problem is None
    assert fallback.warning.startswith(f"The Ray cluster at {address} cannot be reached")
    assert fallback.warning.endswith("Runs train in this server instead (LAB_RAY_FALLBACK=1).")

    monkeypatch.setenv("LAB_RAY_FALLBACK", "0")
    refusing = from_settings()
    assert isinstance(refusing, Unavailable) and "LAB_RAY_FALLBACK=0" in refusing.problem
    manager = JobManager(SQLiteStore(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained",
                         executor=refusing)
    with pytest.raises(JobRejected, match="cannot be reached"):
        manager.submit(SMALL, replace(LONG, epochs=1), owner="ada")
    assert manager.store.runs() == []


# ---- the Train page --------------------------------------------------------------------------------


def test_the_train_page_trains_on_the_cluster_and_says_so(monkeypatch, ray_cluster, ray_executor):
    monkeypatch.setenv("LAB_RAY_ADDRESS", ray_cluster)
    at = page("train")
    v = version(at)
    captions = [c.replace("\u200b", "") for c in values(at.caption)]  # escape() breaks "host:port"
    assert any(c.startswith(f"Runs train on the Ray cluster at {ray_cluster}: 2 nodes") for c in captions)
    assert "Runs on the Ray cluster train on CPUs (LAB_RAY_GPUS=0)." in " ".join(captions)
    at.number_input(key=f"train_limit_{v}").set_value(1000)
    at.number_input(key=f"train_epochs_{v}").set_value(2)
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    run_id = at.selectbox(key="train_watch").value
    assert page_manager().wait(run_id, timeout=180).status == Status.FINISHED
    at.run()
    assert not at.exception and not at.error
    assert {m.label for m in at.metric} >= {"Test accuracy", "Test loss", "Per epoch"}
    assert any("Ray node" in c for c in values(at.caption))  # "Trained on CPU (...), Ray node ..."
    assert len(at.get("vega_lite_chart")) == 3  # the live line and both epoch charts


def test_the_train_page_says_when_the_cluster_cannot_be_reached(monkeypatch):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("LAB_RAY_ADDRESS", address)
    at = page("train")
    assert any(w.replace("\u200b", "").startswith(f"The Ray cluster at {address} cannot be reached")
               and "this server instead" in w for w in values(at.warning))
    assert not at.button(key="train_start").disabled


def test_the_train_page_refuses_to_start_without_the_cluster_when_told_not_to_fall_back(monkeypatch):
    monkeypatch.setenv("LAB_RAY_ADDRESS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("LAB_RAY_FALLBACK", "0")
    at = page("train")
    assert any("cannot be reached" in e and "LAB_RAY_FALLBACK=0" in e for e in values(at.error))
    assert at.button(key="train_start").disabled
    assert SQLiteStore().runs() == []
