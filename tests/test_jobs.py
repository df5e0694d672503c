"""Training jobs: recording, stop within a batch, continue, seeds, queue, recovery, NaN.

Every test that trains runs twice (the ``executor`` fixture): on worker threads in this
process, and on a local Ray cluster of two nodes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import threading
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from jobkit import SMALL, wait_until

from lab import data, prepare
from lab.jobs import JobManager, JobRejected, QueueFull
from lab.jobs.executors import ThreadExecutor
from lab.spec import LayerSpec, ModelSpec, TrainSpec, load_presets, to_json
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings as lab_settings

ROOT = Path(__file__).resolve().parents[1]
PRESETS = load_presets()


def settings(**changes) -> TrainSpec:
    base = TrainSpec(dataset="mnist", optimizer="adam", batch_size=64, epochs=2,
                     validation_split=0.2, train_limit=1000, seed=7)
    return replace(base, **changes)


@pytest.fixture
def manager(tmp_path, executor):
    return JobManager(Store(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained", executor=executor)


@pytest.fixture
def local_manager(tmp_path):
    """For tests of what trains, not of where: worker threads only."""
    return JobManager(Store(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained", executor=ThreadExecutor())


def on_ray(manager) -> bool:
    return manager.executor.where.startswith("on the Ray cluster")


def test_finished_run_is_recorded_with_epochs_test_scores_and_model(manager):
    job = manager.submit(SMALL, settings(), owner="ada", comment="first try")
    p = manager.wait(job.id, 120)
    assert p.status == "finished", p.error
    run = manager.store.run(job.id)
    assert run.status == "finished" and run.epochs_done == 2 and run.comment == "first try"
    assert run.params == 784 * 32 + 32 + 32 * 10 + 10
    epochs = manager.store.epochs(job.id)
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(getattr(e, k) is not None for e in epochs for k in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds"))
    assert 0.5 < run.test_acc <= 1.0 and run.test_loss > 0
    assert manager.models.has_model(run) and run.saved_epoch == 2
    assert run.device.startswith(("CPU", "GPU"))
    # the live line has points inside each epoch, not only at its end
    assert len(p.samples) >= 2 * 10
    assert any(0 < s.epoch % 1 < 1 for s in p.samples)


def test_xor_preset_learns_the_truth_table(local_manager):
    preset = PRESETS["xor_2_2_1"]
    job = local_manager.submit(preset.model, preset.train, owner="ada")
    p = local_manager.wait(job.id, 120)
    assert p.status == "finished", p.error
    assert p.test_acc == 1.0
    net = keras.models.load_model(local_manager.models.locate(local_manager.store.run(job.id)))
    out = net(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)).numpy().ravel()
    assert (out > 0.5).tolist() == [False, True, True, False]


def test_a_training_set_of_one_batch_trains_as_plain_keras_does():
    """The XOR table is one batch: it goes to fit as one batch repeated (Keras would build its
    input anew every epoch, 4-5x the time: bench/README.md), and trains to the same weights."""
    from lab import xor
    from lab.jobs.trainer import fit_data

    x, y = xor.INPUTS.astype(np.float32), xor.TARGETS.reshape(4, 1).astype(np.float32)

    def trained(**data):
        keras.utils.set_random_seed(1)
        net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="relu"),
                                keras.layers.Dense(1, activation="sigmoid")])
        net.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
        net.fit(**data, epochs=60, verbose=0)
        return net.get_weights()

    ours = fit_data(x, y, batch_size=4)
    assert ours["steps_per_epoch"] == 1
    for a, b in zip(trained(**ours), trained(x=x, y=y, batch_size=4, shuffle=False)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert fit_data(x, y, batch_size=2) == {"x": x, "y": y, "batch_size": 2, "shuffle": True}  # Keras's batches


def test_stop_ends_within_one_batch_and_keeps_what_was_trained(manager):
    job = manager.submit(SMALL, settings(epochs=50, batch_size=16, train_limit=4000), owner="ada")
    wait_until(lambda: manager.snapshot(job.id).epoch >= 2 and manager.snapshot(job.id).batch >= 3)
    with pytest.raises(PermissionError):
        manager.stop(job.id, who="bob")
    manager.stop(job.id, who="ada")
    at_stop, clicked = manager.snapshot(job.id), time.monotonic()
    p = manager.wait(job.id, 60)
    assert p.status == "stopped"
    if on_ray(manager):  # the worker hears Stop through the relay (about 0.15 s), then ends its batch
        assert time.monotonic() - clicked < 10 and p.epoch - at_stop.epoch <= 1 and p.epoch < 50
    else:
        assert p.epoch == at_stop.epoch and p.batch - at_stop.batch <= 1
    run = manager.store.run(job.id)
    unfinished = p.batch < p.batches  # the epoch it stopped in, unless that was its last batch
    assert run.status == "stopped" and run.epochs_done == p.epoch - unfinished
    assert manager.models.has_model(run) and run.saved_epoch == run.epochs_done
    assert run.test_acc is not None


def test_continue_extends_the_same_history_from_saved_weights_and_optimizer(manager):
    train = settings(epochs=2)
    job = manager.submit(SMALL, train, owner="ada")
    manager.wait(job.id, 120)
    first = keras.models.load_model(manager.models.locate(manager.store.run(job.id)))
    steps = int(np.ceil(800 / 64))
    assert int(first.optimizer.iterations) == 2 * steps
    again = manager.continue_run(job.id, 2, owner="ada")
    assert again.id == job.id
    p = manager.wait(job.id, 120)
    assert p.status == "finished", p.error
    assert [e.epoch for e in manager.store.epochs(job.id)] == [1, 2, 3, 4]
    run = manager.store.run(job.id)
    assert run.epochs_done == 4 and run.saved_epoch == 4
    net = keras.models.load_model(manager.models.locate(run))
    assert int(net.optimizer.iterations) == 4 * steps  # optimizer state carried on, not reset
    with pytest.raises(JobRejected):
        manager.continue_run(job.id, 0, owner="ada")



def test_a_continue_stopped_within_its_first_new_epoch_keeps_the_saved_models_test_accuracy(manager):
    """Nothing new is saved when no new epoch ended, so the run's test accuracy must stay the
    one of the model file that Evaluate, Draw and the next Continue read."""
    job = manager.submit(SMALL, settings(epochs=1, batch_size=4, train_limit=8000), owner="ada")  # 1,600 batches an epoch
    assert manager.wait(job.id, 120).status == "finished"
    before = manager.store.run(job.id)
    manager.continue_run(job.id, 50, owner="ada")
    wait_until(lambda: manager.snapshot(job.id).status == "running" and manager.snapshot(job.id).batch >= 3)
    manager.stop(job.id, who="ada")
    assert manager.wait(job.id, 60).status == "stopped"
    after = manager.store.run(job.id)
    assert (after.epochs_done, after.saved_epoch) == (1, 1)
    assert after.test_acc == pytest.approx(before.test_acc, abs=1e-6)
    assert after.test_loss == pytest.approx(before.test_loss, rel=1e-5)


def test_a_run_with_the_largest_seed_can_be_continued(local_manager):
    from lab.summary import MAX_SEED
    job = local_manager.submit(SMALL, settings(epochs=1, seed=MAX_SEED), owner="ada")
    assert local_manager.wait(job.id, 120).status == "finished"
    local_manager.continue_run(job.id, 1, owner="ada")
    p = local_manager.wait(job.id, 120)
    assert (p.status, p.error) == ("finished", None) and local_manager.store.run(job.id).epochs_done == 2

def test_a_continue_after_a_challenge_deadline_keeps_the_challenge_met_before_it(local_manager):
    from lab.classroom import challenge_column, leaderboard

    job = local_manager.submit(SMALL, settings(epochs=1), owner="ada")
    assert local_manager.wait(job.id, 120).status == "finished"
    store = local_manager.store
    first = store.run(job.id)
    made = store.create_challenge(title="by now", dataset="mnist", min_accuracy=0.01, max_params=None,
                                  max_epochs=1, max_seconds=None, deadline=first.ended)
    time.sleep(1.1)  # the records keep whole seconds: the continue ends after the deadline
    local_manager.continue_run(job.id, 1, owner="ada")
    assert local_manager.wait(job.id, 120).status == "finished"
    assert store.run(job.id).ended > first.ended and store.run(job.id).epochs_done == 2
    column = challenge_column(store.challenges()[0])
    assert [c.id for c in store.challenges()] == [made]
    assert leaderboard(store.runs(), "mnist", store.challenges(), store.endings())[column].tolist() == [True]
    assert leaderboard(store.runs(), "mnist", store.challenges())[column].tolist() == [False]  # the run as it is now


def _trained(manager, train):
    job = manager.submit(SMALL, train, owner="ada")
    p = manager.wait(job.id, 120)
    weights = keras.models.load_model(manager.models.locate(manager.store.run(job.id))).get_weights()
    return [(h.loss, h.val_loss) for h in p.history], weights


def test_same_seed_gives_same_weights_and_history(manager):
    h1, w1 = _trained(manager, settings(seed=3))
    h2, w2 = _trained(manager, settings(seed=3))
    h3, w3 = _trained(manager, settings(seed=4))
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert h1 != h3 and not np.array_equal(w1[1], w3[1])


def test_queue_runs_in_order_with_limit_and_refuses_when_full(tmp_path, executor):
    manager = JobManager(Store(tmp_path / "runs.sqlite"), max_running=1, max_waiting=2,
                         model_dir=tmp_path / "trained", executor=executor)
    long = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="ada")
    b = manager.submit(SMALL, settings(epochs=1), owner="bob")
    c = manager.submit(SMALL, settings(epochs=1), owner="cy")
    assert [manager.place(j.id) for j in (long, b, c)] == [0, 1, 2]
    assert manager.store.run(b.id).status == "queued"
    with pytest.raises(QueueFull, match="queue is full"):
        manager.submit(SMALL, settings(), owner="dee")
    assert len(manager.store.runs()) == 3  # the refused job left no record and took none away
    manager.stop(long.id, "ada")
    pb, pc = manager.wait(b.id, 120), manager.wait(c.id, 120)
    assert pb.status == pc.status == "finished"
    assert pb.ended_at <= pc.started_at  # one at a time, first in first out


def test_waiting_job_can_be_taken_out_of_the_queue(tmp_path, executor):
    manager = JobManager(Store(tmp_path / "runs.sqlite"), max_running=1, max_waiting=2,
                         model_dir=tmp_path / "trained", executor=executor)
    long = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="ada")
    b = manager.submit(SMALL, settings(epochs=1), owner="bob")
    manager.stop(b.id, "bob")
    assert manager.place(b.id) == -1 and manager.store.run(b.id).status == "stopped"
    manager.stop(long.id, "ada")
    manager.wait(long.id, 60)


def test_nan_loss_stops_training_and_says_to_lower_the_learning_rate(manager):
    linear = ModelSpec("linear", [LayerSpec("Flatten"), LayerSpec("Dense", units=64, activation="linear"),
                                  LayerSpec("Dense", units=10, activation="linear")])
    job = manager.submit(linear, settings(optimizer="sgd", learning_rate=5.0, loss="mse", epochs=20,
                                          batch_size=32, train_limit=2000), owner="ada")
    p = manager.wait(job.id, 120)
    assert p.status == "diverged"
    assert "lower the learning rate" in p.message.lower()
    run = manager.store.run(job.id)
    assert run.status == "diverged" and run.epochs_done < 20
    assert run.model_path is None  # NaN weights are not kept for drawing or continuing
    assert "lower the learning rate" in manager.view(job.id).progress.message.lower()


def test_keep_best_keeps_the_epoch_with_best_validation_accuracy(manager, datasets_dir):
    train = settings(epochs=6, learning_rate=0.02, keep_best=True, train_limit=1500)
    job = manager.submit(SMALL, train, owner="ada")
    p = manager.wait(job.id, 120)
    best = max(h.val_accuracy for h in p.history)
    net = keras.models.load_model(manager.models.locate(manager.store.run(job.id)))
    arr = prepare.arrays(data.load("mnist"), SMALL, train)
    acc = net.evaluate(arr.x_val, arr.y_val, verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx(best, abs=1e-6)
    best_epoch = max(p.history, key=lambda h: h.val_accuracy).epoch
    assert manager.store.run(job.id).saved_epoch == best_epoch  # continuing starts after it


def test_early_stopping_ends_before_the_planned_epochs(manager):
    job = manager.submit(SMALL, settings(epochs=40, early_stopping=1, train_limit=600, learning_rate=0.01),
                         owner="ada")
    p = manager.wait(job.id, 120)
    assert p.status == "finished" and len(p.history) < 40


def test_missing_dataset_is_refused_with_message_and_keeps_records(local_manager, monkeypatch, tmp_path):
    done = local_manager.submit(SMALL, settings(epochs=1), owner="ada")
    local_manager.wait(done.id, 120)
    monkeypatch.setattr(data, "DEBIAN_ROOT", tmp_path / "none")
    with pytest.raises(JobRejected, match="dataset-fashion-mnist"):
        local_manager.submit(SMALL, settings(dataset="fashion_mnist"), owner="ada")
    assert [r.status for r in local_manager.store.runs()] == ["finished"]


def test_impossible_spec_is_rejected_before_anything_is_recorded(local_manager):
    bad = ModelSpec("bad", [LayerSpec("Flatten"), LayerSpec("Conv2D"), LayerSpec("Dense", units=10)])
    with pytest.raises(JobRejected, match="Flatten"):
        local_manager.submit(bad, settings(), owner="ada")
    with pytest.raises(JobRejected, match="batch size"):
        local_manager.submit(SMALL, settings(batch_size=5000), owner="ada")
    assert local_manager.store.runs() == []


CRASHING_SERVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from lab.jobs import JobManager
    from lab.spec import LayerSpec, ModelSpec, TrainSpec
    from lab.records.sqlite import SQLiteStore as Store
    m = JobManager(Store())
    spec = ModelSpec("small", [LayerSpec("Flatten"), LayerSpec("Dense", units=32),
                               LayerSpec("Dense", units=10, activation="softmax")])
    m.submit(spec, TrainSpec(dataset="mnist", epochs=500, train_limit=2000, batch_size=64), owner="ada")
    time.sleep(600)
""")


def test_run_of_a_killed_server_shows_interrupted_and_continues_from_last_save(tmp_path, executor):
    env = {**os.environ, "LAB_CHECKPOINT_S": "0"}
    if hasattr(executor, "address"):  # the killed server trained on the Ray cluster
        env["LAB_RAY_ADDRESS"] = executor.address
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_SERVER.format(root=str(ROOT))], env=env)
    store = Store()
    try:
        wait_until(lambda: store.runs() and (store.runs()[0].saved_epoch or 0) >= 2, timeout=120)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert store.runs()[0].status == "running"  # nobody could mark it: the process died
    assert ("Ray node" in store.runs()[0].device) == hasattr(executor, "address")
    manager = JobManager(store, executor=executor)
    run = store.runs()[0]
    assert manager.interrupted == [run.id] and run.status == "interrupted"
    saved = run.saved_epoch
    assert run.epochs_done >= saved >= 2
    manager.continue_run(run.id, 1, owner="ada")
    p = manager.wait(run.id, 120)
    assert p.status == "finished", p.error
    assert [e.epoch for e in store.epochs(run.id)] == list(range(1, saved + 2))


def test_finished_jobs_leave_no_traced_graphs_behind(local_manager):
    """TensorFlow keeps every traced train step alive through its custom-gradient
    registry (tensorflow#97697); the manager drops those entries after each job."""
    from lab import reclaim

    before = reclaim.custom_gradient_keys()
    for seed in range(3):
        job = local_manager.submit(SMALL, settings(epochs=1, train_limit=500, seed=seed), owner="ada")
        assert local_manager.wait(job.id, 120).status == "finished"
    assert reclaim.custom_gradient_keys() - before == set()


def test_only_the_author_or_a_teacher_may_continue_a_run(manager):
    """A Continue replaces the run's test accuracy and model: a classmate must not change
    someone's results (Run again trains a copy of their own)."""
    job = manager.submit(SMALL, settings(epochs=1), owner="ada", owner_id="p-ada")
    manager.wait(job.id, 120)
    before = manager.store.run(job.id)
    with pytest.raises(PermissionError) as refusal:
        manager.continue_run(job.id, 1, owner="bob", owner_id="p-bob")
    assert str(refusal.value).startswith(f"Only ada, who started run {job.id}, or a teacher can continue it")
    with pytest.raises(PermissionError):  # typing the author's name gives no power
        manager.continue_run(job.id, 1, owner="ada", owner_id="p-imposter")
    assert manager.store.run(job.id) == before and manager.active() == []
    assert manager.wait(manager.continue_run(job.id, 1, owner="ada", owner_id="p-ada").id, 120).status == "finished"
    assert manager.wait(manager.continue_run(job.id, 1, owner="tess", owner_id="p-tess", teacher=True).id,
                        120).status == "finished"
    assert manager.store.run(job.id).epochs_done == 3


def test_continue_by_a_teacher_keeps_the_author_and_records_who_continued(manager):
    job = manager.submit(SMALL, settings(epochs=1), owner="ada")
    manager.wait(job.id, 120)
    assert manager.view(job.id).continuer is None
    manager.continue_run(job.id, 100, owner="bob", teacher=True)
    assert manager.view(job.id).continuer == "bob"  # while it waits or loads too, before the record says so
    wait_until(lambda: manager.view(job.id).progress.status == "running")
    view = manager.view(job.id)
    assert view.owner == "bob" and view.stoppers == ("ada", "bob")  # the author and the continuer may stop it
    assert view.continuer == "bob" and view.run.owner == "ada"
    with pytest.raises(PermissionError, match="Only ada, who started run .*, or bob, who continued it, can stop it"):
        manager.stop(job.id, "carol")
    with pytest.raises(JobRejected, match="still training"):
        manager.continue_run(job.id, 1, owner="ada")
    manager.stop(job.id, "bob")
    assert manager.wait(job.id, 60).status == "stopped"
    run = manager.store.run(job.id)
    assert (run.owner, run.continued_by, run.continued_by_id, run.message) == ("ada", "bob", "bob", "Stopped on request.")
    assert manager.view(job.id).continuer == "bob"


def test_a_waiting_continue_taken_out_of_the_queue_leaves_the_run_as_it_was(tmp_path, executor):
    manager = JobManager(Store(tmp_path / "runs.sqlite"), max_running=1, max_waiting=2,
                         model_dir=tmp_path / "trained", executor=executor)
    done = manager.submit(SMALL, settings(epochs=2), owner="ada")
    manager.wait(done.id, 120)
    before = manager.store.run(done.id), manager.store.epochs(done.id)
    long = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="bob")
    manager.continue_run(done.id, 3, owner="ada")
    assert manager.place(done.id) == 1
    manager.stop(done.id, "ada")
    manager.stop(long.id, "bob")
    manager.wait(long.id, 60)
    assert (manager.store.run(done.id), manager.store.epochs(done.id)) == before


def test_one_shared_manager_per_data_folder(tmp_path):
    from lab.jobs import shared_manager

    assert shared_manager(tmp_path / "a") is shared_manager(tmp_path / "a")
    assert shared_manager(tmp_path / "a") is not shared_manager(tmp_path / "b")


def test_a_network_at_the_layer_limit_builds_trains_saves_and_continues(local_manager):
    """Whatever the checks accept can be built: the deepest network they allow trains."""
    from lab.summary import validate

    limit = lab_settings().max_layers
    deep = ModelSpec("deep", [LayerSpec("Flatten")] + [LayerSpec("Dense", units=8)] * (limit - 2)
                     + [LayerSpec("Dense", units=10, activation="softmax")])
    assert len(deep.layers) == limit and validate(deep, settings(epochs=1)) == []
    job = local_manager.submit(deep, settings(epochs=1, train_limit=300, batch_size=32), owner="ada")
    assert local_manager.wait(job.id, 300).status == "finished", local_manager.snapshot(job.id).error
    local_manager.continue_run(job.id, 1, owner="ada")
    assert local_manager.wait(job.id, 300).status == "finished", local_manager.snapshot(job.id).error
    one_more = ModelSpec("deeper", deep.layers[:1] + [LayerSpec("Dense", units=8)] + deep.layers[1:])
    with pytest.raises(JobRejected, match="LAB_MAX_LAYERS"):
        local_manager.submit(one_more, settings(epochs=1), owner="ada")


def test_a_whole_number_learning_rate_trains(local_manager):
    xor = PRESETS["xor_2_2_1"]
    job = local_manager.submit(xor.model, replace(xor.train, learning_rate=1, epochs=20), owner="ada")
    assert local_manager.wait(job.id, 120).status == "finished", local_manager.snapshot(job.id).error


def test_a_run_that_blows_up_without_nan_is_explained(local_manager):
    """SGD at learning rate 10: the loss explodes but stays a number; the run finishes
    with advice saying why, on the page's view and when read back from the records."""
    job = local_manager.submit(PRESETS["workshop_16_16_10"].model,
                         settings(optimizer="sgd", learning_rate=10.0, epochs=3, train_limit=2000), owner="ada")
    p = local_manager.wait(job.id, 120)
    assert p.status == "finished"  # no NaN: Keras's cross-entropy stays finite
    assert p.advice is not None and p.advice.startswith("Training blew up"), (p.history, p.advice)
    assert "Divide it by 10" in p.advice
    assert p.history[-1].accuracy < 0.15


def test_delete_removes_the_run_its_files_and_only_for_its_owner_or_a_teacher(local_manager):
    job = local_manager.submit(SMALL, settings(epochs=1), owner="ada", owner_id="p1")
    local_manager.wait(job.id, 120)
    run = local_manager.store.run(job.id)
    local_manager.store.set_tags(job.id, ["keep?"])
    file = local_manager.models.locate(run)
    (file.parent / f"run_{job.id}.extra.npz").write_bytes(b"a file that belongs to the run")
    other = local_manager.submit(SMALL, settings(epochs=1), owner="bob", owner_id="p2")
    local_manager.wait(other.id, 120)
    with pytest.raises(PermissionError, match="Only ada, who started run"):
        local_manager.delete(job.id, "p2")
    with pytest.raises(PermissionError):
        local_manager.delete(job.id, "ada")  # the name is not the identity
    local_manager.delete(job.id, "p1")
    assert local_manager.store.run(job.id) is None and local_manager.store.epochs(job.id) == []
    assert job.id not in local_manager.store.tags() and not file.exists()
    assert not list(file.parent.glob(f"run_{job.id}.*"))
    assert local_manager.models.has_model(local_manager.store.run(other.id))  # the other run's file stays
    local_manager.delete(other.id, "p9", teacher=True)
    assert local_manager.store.runs() == []
    with pytest.raises(JobRejected, match="There is no run"):
        local_manager.delete(other.id, "p2")


def test_a_training_run_cannot_be_deleted_and_a_teacher_may_stop_it(manager):
    ada = manager.store.create_person("key-ada", "ada")
    lee = manager.store.set_teacher(manager.store.create_person("key-lee", "Ms Lee").id, "mark")
    job = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="ada", owner_id=ada.id)
    wait_until(lambda: manager.snapshot(job.id).status == "running")
    with pytest.raises(JobRejected, match="stop it first"):
        manager.delete(job.id, ada.id)
    with pytest.raises(PermissionError):
        manager.stop(job.id, lee.id)
    manager.stop(job.id, lee.id, teacher=True)
    p = manager.wait(job.id, 60)
    assert p.status == "stopped"
    assert p.message == manager.store.run(job.id).message == "Stopped by Ms Lee (teacher)."  # the learner sees who
    manager.delete(job.id, ada.id)
    assert manager.store.run(job.id) is None


def test_a_stopped_run_says_who_stopped_it(tmp_path):
    manager = JobManager(Store(tmp_path / "runs.sqlite"), max_running=1, model_dir=tmp_path / "trained",
                         executor=ThreadExecutor())
    ada = manager.store.create_person("key-ada", "ada")
    running = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="ada", owner_id=ada.id)
    waiting = manager.submit(SMALL, settings(epochs=1), owner="ada", owner_id=ada.id)
    wait_until(lambda: manager.snapshot(running.id).status == "running")
    manager.stop(waiting.id, ada.id)
    manager.stop(running.id, ada.id)
    manager.stop(running.id, ada.id, teacher=True)  # pressed again: the first to ask is named
    assert manager.wait(running.id, 60).status == "stopped"
    assert manager.store.run(waiting.id).message == "Stopped by ada before it started."
    assert manager.store.run(running.id).message == "Stopped by ada."
    someone = manager.submit(SMALL, settings(epochs=100, train_limit=4000), owner="bob")  # no one the records know
    wait_until(lambda: manager.snapshot(someone.id).status == "running")
    manager.stop(someone.id, "bob")
    assert manager.wait(someone.id, 60).message == manager.store.run(someone.id).message == "Stopped on request."


def test_a_run_whose_records_cannot_be_written_fails_alone(tmp_path, executor, monkeypatch):
    manager = JobManager(Store(tmp_path / "runs.sqlite"), max_running=2, model_dir=tmp_path / "trained",
                         executor=executor)
    broken, add_epoch = set(), manager.store.add_epoch

    def locked_for_some(run_id, row):
        if run_id in broken:
            raise RuntimeError("database is locked")
        return add_epoch(run_id, row)

    monkeypatch.setattr(manager.store, "add_epoch", locked_for_some)
    a = manager.submit(SMALL, settings(epochs=3), owner="ada")
    broken.add(a.id)
    b = manager.submit(SMALL, settings(epochs=3), owner="bob")
    pa, pb = manager.wait(a.id, 180), manager.wait(b.id, 180)
    assert pa.status == "failed" and "database is locked" in (pa.error or "")
    assert manager.store.run(a.id).status == "failed"
    assert pb.status == "finished", pb.error  # the other run trained on and was recorded
    assert [e.epoch for e in manager.store.epochs(b.id)] == [1, 2, 3]


def test_a_stop_pressed_on_another_server_sharing_the_records_stops_the_run(tmp_path, executor, monkeypatch):
    store_path = tmp_path / "runs.sqlite"

    def server(name: str) -> JobManager:
        monkeypatch.setenv("LAB_SERVER_NAME", name)
        return JobManager(Store(store_path), max_running=1, model_dir=tmp_path / "trained", home=tmp_path / name,
                          executor=executor)

    a = server("lab-a")
    job = a.submit(SMALL, settings(epochs=100, train_limit=4000), owner="ada", owner_id="p-ada")
    waiting = a.submit(SMALL, settings(epochs=1), owner="ada", owner_id="p-ada")
    wait_until(lambda: a.snapshot(job.id).status == "running", what="the run trains")
    b = server("lab-b")
    with pytest.raises(PermissionError, match="Only ada"):
        b.stop(job.id, "p-bob")
    assert b.stop(waiting.id, "p-ada")  # still waiting on a: it leaves a's queue
    t0 = time.monotonic()
    assert b.stop(job.id, "p-ada")
    assert a.wait(job.id, 60).status == "stopped" and time.monotonic() - t0 < 30
    assert a.wait(waiting.id, 60).status == "stopped"
    assert b.store.run(waiting.id).message == "Stopped before it started." and b.store.run(waiting.id).epochs_done == 0
    assert b.store.run(job.id).stop_asked_by is None  # heard and cleared
    assert not b.stop(job.id, "p-ada")  # it has ended: nothing is asked, nothing left to stop a later continue

    again = b.continue_run(job.id, 100, owner="ada", owner_id="p-ada")  # now b trains it
    wait_until(lambda: (a.store.run(job.id).server, a.store.run(job.id).status) == ("lab-b", "running"),
               what="the continue trains on b")
    with pytest.raises(JobRejected, match="still training or waiting on lab-b"):
        a.continue_run(job.id, 1, owner="ada", owner_id="p-ada")  # never the same run on two servers
    assert a.trains_elsewhere(a.store.run(job.id)) and not a.view(job.id).live  # a's old job is not it
    assert a.stop(job.id, "p-ada")
    assert b.wait(again.id, 60).status == "stopped"
    last = a.continue_run(job.id, 1, owner="ada", owner_id="p-ada")
    assert a.wait(last.id, 120).status == "finished"


def test_a_continued_run_may_be_stopped_by_its_owner_or_whoever_continued_it_from_any_server(tmp_path, monkeypatch):
    store_path = tmp_path / "runs.sqlite"

    def server(name: str) -> JobManager:
        monkeypatch.setenv("LAB_SERVER_NAME", name)
        return JobManager(Store(store_path), model_dir=tmp_path / "trained", home=tmp_path / name)

    a = server("lab-a")
    first = a.submit(SMALL, settings(epochs=1), owner="ada", owner_id="p-ada")
    assert a.wait(first.id, 120).status == "finished"
    b = server("lab-b")
    # bob (a teacher) continues on b and stops it from a; then carol continues on b, bob (no longer) is
    # refused, and ada, the author, stops it on b itself
    for name, outsider, stopper, here in (("bob", "carol", "p-bob", a), ("carol", "bob", "p-ada", b)):
        job = b.continue_run(first.id, 100, owner=name, owner_id=f"p-{name}", teacher=True)
        wait_until(lambda: (a.store.run(first.id).status, a.store.run(first.id).continued_by_id)
                   == ("running", f"p-{name}"), what=f"{name}'s continue trains on b")
        for server_ in (a, b):
            assert server_.view(first.id).stoppers == ("p-ada", f"p-{name}")  # both see Stop
            with pytest.raises(PermissionError) as refusal:
                server_.stop(first.id, f"p-{outsider}")
            assert str(refusal.value) == f"Only ada, who started run {first.id}, or {name}, who continued it, can stop it."
        assert here.stop(first.id, stopper)
        assert b.wait(job.id, 60).status == "stopped"


def test_two_presses_of_queue_again_at_once_queue_the_run_once(tmp_path, monkeypatch):
    """The owner and a teacher press "Queue again" together: both pass the first checks (a
    barrier holds them there), one queues the run, the other is told it is queued already."""
    import lab.jobs.manager as manager_module

    store = Store(tmp_path / "runs.sqlite")
    run_id = store.create_run(owner="ada", owner_id="p-ada", dataset="mnist", network=SMALL.name,
                              spec_json=to_json(SMALL), train_json=to_json(settings(epochs=1)),
                              status="interrupted", interrupted_while="queued")
    manager = JobManager(store, model_dir=tmp_path / "trained")
    both_checked, validate = threading.Barrier(2), manager_module.validate

    def checked_together(*args, **kwargs):
        both_checked.wait(30)
        return validate(*args, **kwargs)

    monkeypatch.setattr(manager_module, "validate", checked_together)
    outcomes: list = []

    def press(who: str, teacher: bool) -> None:
        try:
            outcomes.append(manager.requeue(run_id, who, teacher=teacher).id)
        except JobRejected as exc:
            outcomes.append(str(exc))

    presses = [threading.Thread(target=press, args=args) for args in (("p-ada", False), ("p-teacher", True))]
    for t in presses:
        t.start()
    for t in presses:
        t.join(60)
    assert sorted(outcomes, key=str) == sorted([run_id, f"Run {run_id} has been queued again already (someone "
                                                "pressed it meanwhile): follow it on the Train page."], key=str)
    assert [j.id for j in manager.active()] in ([run_id], [])  # once (or already trained)
    assert manager.wait(run_id, 120).status == "finished"


PAUSED_SERVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from lab.jobs import JobManager
    from lab.spec import LayerSpec, ModelSpec, TrainSpec
    from lab.records.sqlite import SQLiteStore as Store
    m = JobManager(Store())
    spec = ModelSpec("small", [LayerSpec("Flatten"), LayerSpec("Dense", units=32),
                               LayerSpec("Dense", units=10, activation="softmax")])
    job = m.submit(spec, TrainSpec(dataset="mnist", epochs=500, train_limit=2000, batch_size=8), owner="ada")
    print(m.wait(job.id, 600).message, flush=True)
""")


def test_a_run_let_go_from_another_server_while_its_own_was_paused_is_stopped_there_unwritten(tmp_path, monkeypatch):
    """Lab server a trains a run, then freezes (its machine paused) for longer than
    LAB_SERVER_SILENT_S. From b, the run's owner marks it interrupted and continues it. When a
    wakes, it stops its copy of the run without writing anything more for it: the records
    and the model file are b's now."""
    env = {**os.environ, "LAB_CHECKPOINT_S": "0", "LAB_SERVER_NAME": "lab-a", "LAB_SERVER_SILENT_S": "10"}
    a = subprocess.Popen([sys.executable, "-c", PAUSED_SERVER.format(root=str(ROOT))], env=env,
                         stdout=subprocess.PIPE, text=True)
    store = Store()
    try:
        wait_until(lambda: store.runs() and (store.runs()[0].saved_epoch or 0) >= 1, timeout=120)
        run_id = store.runs()[0].id
        a.send_signal(signal.SIGSTOP)
        monkeypatch.setenv("LAB_SERVER_NAME", "lab-b")
        monkeypatch.setenv("LAB_SERVER_SILENT_S", "10")
        b = JobManager(store, model_dir=lab_settings().models_dir, home=tmp_path / "b")
        assert b.trains_elsewhere(store.run(run_id)) and b.silence(store.run(run_id)) is None  # a spoke lately
        assert not b.let_go_of(run_id, "ada")  # not silent long enough yet
        wait_until(lambda: b.silence(store.run(run_id)) is not None, timeout=60, what="a silent for 10 s")
        with pytest.raises(PermissionError):
            b.let_go_of(run_id, "bob")
        assert b.let_go_of(run_id, "ada")
        let_go = store.run(run_id)
        assert let_go.status == "interrupted" and let_go.message.startswith("Lab server lab-a stopped answering")
        a.send_signal(signal.SIGCONT)
        out, _ = a.communicate(timeout=60)  # a stops its copy and ends
        assert "Another lab server marked this run interrupted" in out
        after = store.run(run_id)
        assert (after.status, after.message) == ("interrupted", let_go.message)  # a wrote nothing over it
        assert after.epochs_done <= let_go.epochs_done + 1  # at most an epoch ending as a woke
        again = b.continue_run(run_id, 1, owner="ada")
        assert b.wait(again.id, 120).status == "finished"
        assert store.run(run_id).status == "finished" and store.run(run_id).server == "lab-b"
    finally:
        if a.poll() is None:
            a.send_signal(signal.SIGCONT)
            a.kill()
            a.wait()


class _LosesItsWorker:
    """An executor whose job's worker dies after its first epoch (as a lost Ray worker does):
    the run ends itself as interrupted, and the executor takes a moment before ``done``."""

    where, warning, problem = "on a cluster that loses workers", None, None

    def __init__(self):
        self.release = threading.Event()

    def start(self, job, sink, done) -> None:
        def work():
            sink.begin("CPU")
            sink.model_ready()
            sink.lost("The Ray worker training this run died; continue it from its last saved epoch.")
            self.release.wait(60)
            done(job.id)

        threading.Thread(target=work, daemon=True).start()


def test_a_run_that_ended_itself_interrupted_is_not_taken_for_one_let_go_by_another_server(tmp_path, monkeypatch):
    """Between a job marking its own run interrupted (its worker died) and the executor saying
    it is done, this server's stop listener finds an interrupted run among its claimed ones.
    That is the job's own ending, not another server letting the run go: the live view keeps
    the job's message, and nothing is made read-only."""
    store = Store(tmp_path / "runs.sqlite")
    looked: list[list[int]] = []
    taken = store.taken
    monkeypatch.setattr(store, "taken", lambda server, ids: looked.append(taken(server, ids)) or looked[-1])
    executor = _LosesItsWorker()
    manager = JobManager(store, model_dir=tmp_path / "trained", executor=executor)
    job = manager.submit(SMALL, settings(epochs=1), owner="ada")
    wait_until(lambda: store.run(job.id).status == "interrupted", what="the run marked interrupted")
    seen = len(looked)
    wait_until(lambda: job.id in sum(looked[seen:], []), what="the listener finding it interrupted")
    wait_until(lambda: len(looked) > seen + 1, what="the listener looking once more")
    message = manager.snapshot(job.id).message
    executor.release.set()
    assert manager.wait(job.id, 30).status == "interrupted"
    assert message.startswith("The Ray worker training this run died")
    assert manager.snapshot(job.id).message.startswith("The Ray worker training this run died")
    assert store.run(job.id).message.startswith("The Ray worker training this run died")
