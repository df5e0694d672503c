"""lab.answers and lab.evaluate: a run's answers on the whole test set, kept with the run, and what they show.

The models are real (the session's tiny workshop run, continued or copied here), the
images are the real MNIST split, and every figure is checked against one computed here
independently from the labels and plain Keras answers.
"""

from __future__ import annotations

import time
from dataclasses import replace

import keras
import numpy as np
import pytest

import lab.data
from appkit import install_model, page_manager, seed_run
from lab import answers, artifacts, evaluate
from lab.words import percent
from lab.build import build_model
from lab.records import RunRecord, Status
from lab.records.sqlite import SQLiteStore as Store
from lab.settings import settings
from lab.spec import load_presets


def keras_answers(path, images) -> np.ndarray:
    """The classes plain Keras gives the images (``model.predict``), for comparison."""
    model = keras.models.load_model(path, compile=False)
    return model.predict(images.reshape((-1, 28, 28, 1)), verbose=0).argmax(axis=1)


@pytest.fixture
def installed(trained_model):
    store = Store()
    run_id = install_model(trained_model, store)
    return store, store.run(run_id)


def test_answers_are_those_of_plain_keras_and_the_confusion_matrix_counts_them(installed):
    store, run = installed
    models = page_manager().models
    p = answers.for_run(run, models)
    ds = lab.data.load("mnist")
    assert p.probs.shape == (len(ds.y_test), 10) and np.allclose(p.probs.sum(axis=1), 1, atol=1e-5)
    given = keras_answers(models.locate(run), ds.scaled(ds.x_test))
    assert np.array_equal(p.predicted, given)
    assert p.accuracy == pytest.approx(run.test_acc, abs=1e-6)  # what the trainer's evaluate() recorded

    counts = [[0] * 10 for _ in range(10)]  # counted one image at a time
    for label, answer in zip(ds.y_test.tolist(), given.tolist()):
        counts[label][answer] += 1
    matrix = evaluate.confusion(p.labels, p.predicted, 10)
    assert matrix.tolist() == counts
    assert matrix.sum() == len(ds.y_test)
    per_class = evaluate.class_accuracy(p)
    for c in range(10):
        assert per_class["images"][c] == sum(counts[c])
        assert per_class["accuracy"][c] == pytest.approx(counts[c][c] / sum(counts[c]))
    assert evaluate.shares(matrix).sum(axis=1) == pytest.approx(np.ones(10))
    true, shown = evaluate.worst_cell(p)
    off = [(counts[t][g], t, g) for t in range(10) for g in range(10) if t != g]
    assert counts[true][shown] == max(off)[0] and true != shown
    assert set(evaluate.cell(p, true, shown)) == {i for i in range(len(given)) if ds.y_test[i] == true
                                                  and given[i] == shown}


def test_the_gallery_filters_and_orders(installed):
    store, run = installed
    p = answers.for_run(run, page_manager().models)
    n = len(p.labels)
    assert sorted(evaluate.gallery(p, "all", "test set order").tolist()) == list(range(n))
    assert evaluate.gallery(p, "all", "test set order").tolist() == list(range(n))
    wrong = evaluate.gallery(p, "wrong")
    assert set(wrong.tolist()) == {i for i in range(n) if p.predicted[i] != p.labels[i]} and len(wrong) > 0
    sevens = evaluate.gallery(p, 7)
    assert set(sevens.tolist()) == {i for i in range(n) if p.labels[i] == 7}

    ranked = evaluate.gallery(p, "all", "most confidently wrong first")
    right = p.correct[ranked]
    first_right = int(np.argmax(right))
    assert not right[:first_right].any() and right[first_right:].all()  # every wrong one comes first
    sure = p.confidence[ranked]
    assert np.all(np.diff(sure[:first_right]) <= 0)  # the surest wrong answer first
    assert np.all(np.diff(sure[first_right:]) >= 0)  # then the closest calls among the right ones
    assert p.confidence[ranked[0]] == p.confidence[~p.correct].max()
    assert np.all(np.diff(p.confidence[evaluate.gallery(p, "wrong", "least sure first")]) >= 0)

    pages = evaluate.pages(len(wrong))
    assert pages == -(-len(wrong) // evaluate.PER_PAGE)
    assert np.concatenate([evaluate.page(wrong, k) for k in range(1, pages + 1)]).tolist() == wrong.tolist()
    i = int(ranked[0])
    assert evaluate.caption(p, i) == (f"#{i} · Digit: {p.labels[i]} · Predicted: {p.predicted[i]} "
                                      f"({percent(p.confidence[i])})")
    with pytest.raises(ValueError, match="Show 'all', 'wrong' or a class from 0 to 9"):
        evaluate.gallery(p, 12)


def test_answers_are_kept_and_computed_again_after_continue(installed):
    store, run = installed
    models = page_manager().models
    first = answers.for_run(run, models)
    kept = models.predictions(run)
    stamp = kept.stat().st_mtime_ns
    again = answers.for_run(run, models)
    assert kept.stat().st_mtime_ns == stamp  # read back, not computed again
    assert np.array_equal(again.probs, first.probs)

    job = page_manager().continue_run(run.id, 1, owner="ada", teacher=True)
    assert page_manager().wait(job.id, 120).status == "finished"
    run = store.run(run.id)
    assert run.saved_epoch == 2
    later = answers.for_run(run, models)
    assert kept.stat().st_mtime_ns != stamp
    assert not np.allclose(later.probs, first.probs)  # another epoch, other weights, other answers
    ds = lab.data.load("mnist")
    assert np.array_equal(later.predicted, keras_answers(models.locate(run), ds.scaled(ds.x_test)))
    assert later.accuracy == pytest.approx(run.test_acc, abs=1e-6)
    key = f"{artifacts.version(models.locate(run))}|{answers.test_set_key(ds)}"
    assert np.array_equal(artifacts.read_predictions(kept, key), later.probs)

    kept.write_bytes(b"damaged")  # a damaged file of answers is computed again, not trusted
    assert np.array_equal(answers.for_run(run, models).probs, later.probs)


def test_a_run_hands_its_test_answers_to_evaluate_so_they_are_never_computed_again(monkeypatch):
    """The run's own test at the end of training is one pass that gives its test loss, its
    accuracy and the answers Evaluate shows: kept under the model file's version, equal to
    answers computed anew from the file, and matching the recorded figures."""
    preset = load_presets()["workshop_16_16_10"]
    manager = page_manager()
    job = manager.submit(preset.model, replace(preset.train, epochs=1, train_limit=1000), "ada")
    assert manager.wait(job.id, 120).status == "finished"
    run = Store().run(job.id)
    ds = lab.data.load("mnist")
    path = manager.models.locate(run)
    kept = artifacts.read_predictions(manager.models.predictions(run),
                                      f"{artifacts.version(path)}|{answers.test_set_key(ds)}")
    assert kept is not None and kept.shape == (len(ds.y_test), 10)
    fresh = answers.of_model(keras.models.load_model(path, compile=False), ds.scaled(ds.x_test))
    assert np.array_equal(kept, fresh)
    assert run.test_acc == pytest.approx(float(np.mean(kept.argmax(axis=1) == ds.y_test)), abs=1e-6)
    plain = keras.models.load_model(path).evaluate(ds.scaled(ds.x_test), keras.utils.to_categorical(ds.y_test, 10),
                                                   verbose=0, return_dict=True)
    assert run.test_loss == pytest.approx(plain["loss"], rel=1e-5)

    def computed(*args):
        raise AssertionError("the answers were computed again")

    monkeypatch.setattr(answers, "_compute", computed)
    assert np.array_equal(answers.for_run(run, manager.models).probs, kept)


def test_a_run_still_training_is_read_at_its_last_saved_epoch(monkeypatch):
    monkeypatch.setenv("LAB_CHECKPOINT_S", "0")  # save at every epoch end
    preset = load_presets()["workshop_16_16_10"]
    manager = page_manager()
    job = manager.submit(preset.model, replace(preset.train, epochs=200, train_limit=2000, batch_size=16), "ada")
    try:
        deadline = time.monotonic() + 120
        while (Store().run(job.id).saved_epoch or 0) < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        run = Store().run(job.id)
        assert run.status == "running" and run.saved_epoch >= 1
        p = answers.for_run(run, manager.models)
        assert len(p.labels) == 2000
        assert answers.note(run) == (f"Run {run.id} is still training: these are the answers of its last saved "
                                      f"epoch (epoch {run.saved_epoch} of 200). They are computed again when it "
                                      "saves a newer one.")
    finally:
        manager.stop(job.id, "ada")
        manager.wait(job.id, 60)
    assert Store().run(job.id).status == "stopped"


def test_runs_that_cannot_be_looked_at_say_why(installed):
    store, run = installed
    models = page_manager().models
    no_model = store.run(seed_run(store))
    with pytest.raises(answers.EvaluateError, match=rf"Run {no_model.id} has no saved model"):
        answers.for_run(no_model, models)
    xor = store.run(seed_run(store, dataset="xor", network="XOR 2-2-1"))
    with pytest.raises(answers.EvaluateError, match="trained on the XOR truth table, which has no test images"):
        answers.for_run(xor, models)
    with pytest.raises(answers.EvaluateError, match="compare two runs trained on the same dataset"):
        evaluate.comparable(run, xor)


def test_fashion_answers_use_class_names():
    ds = lab.data.load("fashion_mnist")  # Debian's real Fashion-MNIST
    preset = load_presets()["workshop_16_16_10"]
    net = build_model(preset.model, ds.input_shape)  # a real network, untrained: its answers are its own
    store = Store()
    run_id = store.create_run(dataset="fashion_mnist", network="untrained", status="finished")
    models = page_manager().models
    net.save(models.target(run_id))
    store.update_run(run_id, model_path=models.key(run_id))
    p = answers.for_run(store.run(run_id), models)
    assert len(p.labels) == 10_000
    i = int(evaluate.gallery(p)[0])
    names = ds.class_names
    assert evaluate.caption(p, i) == (f"#{i} · Class: {names[p.labels[i]]} · Predicted: {names[p.predicted[i]]} "
                                      f"({percent(p.confidence[i])})")
    best = int(p.predicted[i])
    assert evaluate.explain(p.probs[i], names).startswith(
        f"The largest of the ten numbers is in place {best} ({names[best]}) (")


def test_one_image_in_words(installed):
    store, run = installed
    p = answers.for_run(run, page_manager().models)
    i = int(evaluate.gallery(p)[0])  # the most confidently wrong image
    text = evaluate.explain(p.probs[i], p.class_names, int(p.labels[i]))
    best, label = int(p.predicted[i]), int(p.labels[i])
    assert text == (f"The largest of the ten numbers is in place {best} ({p.probs[i][best]:.3f}), so the network "
                    f"answers {best}. That is wrong: the right answer is {label}, and place {label} holds only "
                    f"{p.probs[i][label]:.3f}.")
    top = np.argsort(-p.probs[i], kind="stable")[:3]
    assert evaluate.top_answers(p.probs[i], p.class_names) == (
        f"First choice {top[0]} ({p.probs[i][top[0]]:.1%}), then {top[1]} ({p.probs[i][top[1]]:.1%}), "
        f"then {top[2]} ({p.probs[i][top[2]]:.1%}).")


def test_two_runs_compared_class_by_class(installed):
    store, run = installed
    models = page_manager().models
    job = page_manager().continue_run(install_model_again(store, run), 2, owner="ada", teacher=True)
    assert page_manager().wait(job.id, 120).status == "finished"
    other = store.run(job.id)
    a, b = answers.for_run(run, models), answers.for_run(other, models)
    table = evaluate.compare(a, b, ("run A", "run B"))
    for c in range(10):
        mine, theirs = a.labels == c, b.labels == c
        before, after = a.correct[mine].mean(), b.correct[theirs].mean()
        row = table.iloc[c]
        assert row["accuracy run A"] == pytest.approx(before) and row["accuracy run B"] == pytest.approx(after)
        assert row["change (points)"] == pytest.approx(round((after - before) * 100, 2))
        assert row["verdict"] == ("better" if after > before else "worse" if after < before else "same")
    only_a, only_b = evaluate.disagreements(a, b)
    assert set(only_a.tolist()) == set(np.flatnonzero(a.correct & ~b.correct).tolist())
    assert set(only_b.tolist()) == set(np.flatnonzero(b.correct & ~a.correct).tolist())
    assert len(only_b) > 0
    assert np.all(np.diff(a.confidence[only_b]) <= 0)  # the surest wrong answers of run A first
    assert b.accuracy - a.accuracy == pytest.approx((len(only_b) - len(only_a)) / len(a.labels))


def install_model_again(store: Store, run) -> int:
    """A second run with the same model file, to continue into another model."""
    copy = store.create_run(**{k: getattr(run, k) for k in ("dataset", "network", "spec_json", "train_json", "seed",
                                                            "params", "status", "epochs_done", "saved_epoch")},
                            owner="ada")
    files = page_manager().models
    files.target(copy).write_bytes(files.locate(run).read_bytes())
    store.update_run(copy, model_path=files.key(copy))
    assert files.locate(store.run(copy)) is not None and settings().models_dir == files.folder
    return copy


@pytest.mark.parametrize("status, words", [
    ("finished", None), ("stopped", "Run 4 was stopped: these are the answers of the model it saved at epoch 3."),
    ("diverged", "Run 4 diverged (its weights became NaN), so its last weights were not kept: these are the "
                 "answers of the model it saved earlier, at epoch 3."),
    ("failed", "Run 4 failed: these are the answers of the model it saved at epoch 3."),
])
def test_answers_of_a_run_that_did_not_finish_say_which_model_they_come_from(status, words):
    assert answers.note(RunRecord(4, status=Status(status), saved_epoch=3, epochs_planned=10)) == words


def test_a_confusion_matrix_in_shares_never_shows_a_mistake_as_0_percent():
    """199 of 200 right: the diagonal reads ">99%" and the one mistake "<1%", not 100% and 0%."""
    from lab.evalcharts import confusion_chart

    chart = confusion_chart(np.array([[199, 1], [0, 200]]), ("0", "1"), as_shares=True)
    labels = {(r["true class"], r["predicted"]): r["label"] for r in chart.data.to_dict("records")}
    assert labels == {("0", "0"): ">99%", ("0", "1"): "<1%", ("1", "0"): "0%", ("1", "1"): "100%"}
