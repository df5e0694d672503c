"""lab.jobs.executors and lab.jobs.recorder: a job run in a worker thread reports to its
sink, records go where they belong, and a crash or a refused file is reported."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lab import artifacts, reclaim
from lab.jobs.executors import ThreadExecutor
from lab.jobs.job import Job
from lab.jobs.recorder import Recorder
from lab.jobs.sink import Answers, ModelSaver, Outcome
from lab.records import Status
from lab.records.sqlite import SQLiteStore
from lab.spec import load_presets

XOR = load_presets()["xor_2_2_1"]


@pytest.fixture
def store(tmp_path):
    return SQLiteStore(tmp_path / "runs.sqlite")


def xor_job(store, tmp_path, **changes) -> Job:
    run_id = store.create_run(owner="ada", dataset="xor", network=XOR.model.name, status="queued",
                              epochs_planned=XOR.train.epochs)
    base = Job(run_id, "ada", XOR.model, replace(XOR.train, epochs=50), str(tmp_path / f"run_{run_id}.keras"),
               f"run_{run_id}.keras")
    return replace(base, **changes)


def run_in_thread(job, sink) -> list[int]:
    done, ended = [], threading.Event()

    def finished(job_id):
        done.append(job_id)
        ended.set()

    ThreadExecutor().start(job, sink, finished)
    assert ended.wait(120), "the job never ended"
    return done


def test_a_job_runs_in_a_worker_thread_and_reports_everything(store, tmp_path):
    job = xor_job(store, tmp_path)
    recorder = Recorder(job, store)
    names = []
    main = threading.current_thread()
    original = recorder.epoch

    def epoch(row):
        names.append(threading.current_thread())
        original(row)

    recorder.epoch = epoch
    assert run_in_thread(job, recorder) == [job.id]
    assert names and all(t is not main for t in names)  # trained off the caller's thread
    run = store.run(job.id)
    assert run.status == Status.FINISHED and run.epochs_done == 50 and run.saved_epoch == 50
    assert run.model_path == job.model_key and (tmp_path / job.model_key).is_file()
    snapshot = recorder.snapshot()
    assert snapshot.status == Status.FINISHED and len(snapshot.history) == 50
    assert snapshot.test_acc == run.test_acc and snapshot.device == run.device


def test_a_crash_is_reported_as_failed_and_done_is_still_called(store, tmp_path):
    job = xor_job(store, tmp_path, train=replace(XOR.train, dataset="no such data"))
    recorder = Recorder(job, store)
    assert run_in_thread(job, recorder) == [job.id]
    assert store.run(job.id).status == Status.FAILED
    assert recorder.snapshot().status == Status.FAILED and "no such data" in recorder.snapshot().error


def test_a_continue_whose_file_cannot_be_read_leaves_the_record_as_it_was(store, tmp_path):
    job = xor_job(store, tmp_path)
    assert run_in_thread(job, Recorder(job, store)) == [job.id]
    before = store.run(job.id), store.epochs(job.id)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a model at all")
    again = replace(job, train=replace(job.train, epochs=60), initial_epoch=50, resume_from=str(broken))
    recorder = Recorder(again, store)
    run_in_thread(again, recorder)
    assert (store.run(job.id), store.epochs(job.id)) == before
    snapshot = recorder.snapshot()
    assert snapshot.status == Status.FINISHED  # the run's own status, untouched
    assert snapshot.error.startswith(f"Run {job.id} cannot be continued: The file is not a Keras model")


def test_the_executor_gives_tensorflow_memory_back_after_a_job(store, tmp_path):
    before = reclaim.custom_gradient_keys()
    for _ in range(2):
        job = xor_job(store, tmp_path)
        run_in_thread(job, Recorder(job, store))
    assert reclaim.custom_gradient_keys() - before == set()


def test_the_answers_of_a_run_are_kept_only_beside_the_file_holding_the_model_tested(store, tmp_path):
    """A trainer's test answers are kept for Evaluate under the model file's version, and
    never when the last save failed (the file then holds an older model)."""
    job = xor_job(store, tmp_path)
    probs = np.array([[0.9, 0.1], [0.2, 0.8]], np.float32)
    outcome = Outcome(Status.FINISHED, "", 0.3, 0.5, 1.0, answers=Answers("xor:4:0", probs))
    path = Path(job.model_file)
    kept = artifacts.predictions_beside(path)

    def refuse(_):
        raise PermissionError(13, "Permission denied")

    recorder = Recorder(job, store)
    save = ModelSaver(recorder, path, job.model_key)
    save(lambda p: p.write_bytes(b"epoch 1"), 1)
    save(refuse, 2)  # the file still holds epoch 1; the answers are epoch 2's
    recorder.finish(outcome)
    assert not kept.exists()
    assert store.run(job.id).message.startswith("The model could not be saved")

    recorder = Recorder(job, store)
    save = ModelSaver(recorder, path, job.model_key)
    save(refuse, 1)
    save(lambda p: p.write_bytes(b"epoch 2"), 2)
    recorder.finish(outcome)
    assert np.array_equal(artifacts.read_predictions(kept, f"{artifacts.version(path)}|xor:4:0"), probs)


def test_a_failed_save_after_one_that_worked_is_reported_again():
    told = []

    class Sink:
        def saved(self, epoch, key):
            told.append(("saved", epoch))

        def save_failed(self, message):
            told.append(("failed", message[:28]))

    def refuse(_):
        raise PermissionError(13, "Permission denied")

    save = ModelSaver(Sink(), "/srv/lab/trained/run_3.keras", "run_3.keras")
    for write, epoch in ((refuse, 1), (refuse, 2), (lambda p: None, 3), (refuse, 4), (refuse, 5)):
        save(write, epoch)
    assert told == [("failed", "The model could not be saved"), ("saved", 3), ("failed", "The model could not be saved")]
    assert save.ok is False


def test_a_continued_job_claims_its_run_only_once_the_record_says_it_trains_here(tmp_path):
    """A server's listener stops a claimed job whose record it finds interrupted or on another
    server (`RecordStore.taken`): a continue of an interrupted run claims it (``begun``) only
    after its record says running here, or it would stop itself (seen once on a Ray worker)."""
    claims, watched = [], []

    class Watching(SQLiteStore):
        def update_run(self, run_id, **fields):
            if fields.get("status") == Status.RUNNING and watched:
                claims.append(watched[0].begun)  # what a listener would have seen at this moment
            super().update_run(run_id, **fields)

    store = Watching(tmp_path / "runs.sqlite")
    job = replace(xor_job(store, tmp_path), server="lab-a")
    assert run_in_thread(job, Recorder(job, store)) == [job.id]
    store.update_run(job.id, status=Status.INTERRUPTED, interrupted_while=Status.RUNNING, server="lab-b")
    again = replace(job, train=replace(job.train, epochs=60), initial_epoch=50, resume_from=job.model_file)
    recorder = Recorder(again, store)
    watched.append(recorder)
    seen = []
    original = recorder.model_ready

    def model_ready():
        original()
        seen.append((recorder.begun, store.taken("lab-a", [job.id])))

    recorder.model_ready = model_ready
    assert run_in_thread(again, recorder) == [job.id]
    assert claims == [False] and seen == [(True, [])]
    assert store.run(job.id).status == Status.FINISHED and store.run(job.id).server == "lab-a"


def test_the_progress_bar_says_when_the_trained_network_is_tested(store, tmp_path):
    """After the last epoch the bar says the network is being tested, not "about 0 s left"."""
    job = xor_job(store, tmp_path)
    lines = []

    class Watching(Recorder):
        def phase(self, message):
            super().phase(message)
            lines.append(self.snapshot().line)

    run_in_thread(job, Watching(job, store))
    epochs = job.train.epochs
    assert lines[-1] == f"epoch {epochs}/{epochs} trained: testing on the test set"
