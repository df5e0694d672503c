"""lab.trials: many XOR tries trained at once agree with separate Keras fits; studies are
checked, run for real and recorded (records schema version 3)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from lab import trials, xor
from lab.records.sqlite import SQLiteStore as Store
from lab.records.types import TrialBatch

FIXTURE = Path(__file__).parent / "fixtures" / "runs_before_migrations.sqlite"


@pytest.mark.parametrize("activation, hidden", [("tanh", 2), ("relu", 3), ("sigmoid", 2)])
def test_tries_trained_together_agree_with_separate_keras_fits(activation, hidden):
    """The same starts, trained the fast way (one compiled loop for all tries) and one
    ``model.fit`` per try: same side of 0.5 on all four inputs, weights close."""
    start = trials.initial(hidden, 2, seed=11)  # two tries each: a Keras fit per try is the slow part
    fast = trials.train(start, activation, learning_rate=1.0, epochs=100)
    assert fast.w1.shape == (2, 2, hidden) and fast.b2.shape == (2, 1)
    for i in range(len(start)):
        slow = trials.keras_fit(start.net(i, activation), learning_rate=1.0, epochs=100)
        mine = fast.net(i, activation)
        for a, b in ((mine.w1, slow.w1), (mine.b1, slow.b1), (mine.w2, slow.w2), (mine.b2, slow.b2)):
            np.testing.assert_allclose(a, b, atol=1e-4)
        out_fast, out_slow = mine.outputs(xor.INPUTS), slow.outputs(xor.INPUTS)
        assert np.array_equal(out_fast > 0.5, out_slow > 0.5), (i, out_fast, out_slow)
        assert xor.learned(out_fast) == xor.learned(out_slow)
        assert not np.allclose(mine.w1, start.w1[i])  # it did train


def test_tries_do_not_touch_each_other():
    """A try trained in a batch of many ends as it ends when trained alone."""
    start = trials.initial(3, 6, seed=5)
    together = trials.train(start, "tanh", 1.0, 60)
    alone = trials.train(trials.Batch(start.w1[2:3], start.b1[2:3], start.w2[2:3], start.b2[2:3]), "tanh", 1.0, 60)
    np.testing.assert_allclose(together.w1[2], alone.w1[0], atol=1e-5)


def test_starts_are_glorot_uniform_and_repeatable():
    a, b = trials.initial(4, 200, seed=3), trials.initial(4, 200, seed=3)
    np.testing.assert_array_equal(a.w1, b.w1)
    assert not np.array_equal(a.w1, trials.initial(4, 200, seed=4).w1)
    assert np.abs(a.w1).max() <= np.sqrt(6 / 6) and np.abs(a.w2).max() <= np.sqrt(6 / 5)
    assert np.abs(a.w1).max() > 0.9 * np.sqrt(6 / 6)  # uniform over the whole range
    assert not a.b1.any() and not a.b2.any()


def test_a_study_counts_tries_that_learned():
    plan = trials.Plan((1, 2, 8), tries=20, seed=2)
    results = trials.run(plan)
    assert [r.hidden for r in results] == [1, 2, 8] and all(len(r.tries) == 20 for r in results)
    for r in results:
        for t in r.tries:
            assert t.learned == xor.learned(t.net.outputs(xor.INPUTS)) == xor.learned(t.outputs)
            np.testing.assert_allclose(t.outputs, t.net.outputs(xor.INPUTS))
    one, _, eight = results
    assert one.learned == 0  # one line never separates XOR
    assert eight.learned > one.learned
    table = trials.share_table(results)
    assert table["label"].tolist() == [f"{r.learned} of 20" for r in results]
    assert trials.share_table(results[::-1])["hidden units"].tolist() == [1, 2, 8]  # as the chart, smallest first
    assert {h for h, _ in trials.failed(results)} >= {1}


@pytest.mark.parametrize("plan, expect", [
    (trials.Plan((2,), 0), "0 tries per hidden size is too few: use 1 to 200"),
    (trials.Plan((2,), 100_000), "100,000 tries per hidden size is more than the lab allows in one study (200, LAB_MAX_TRIES)"),
    (trials.Plan((0,), 10), "A hidden size of 0 gives the network no hidden layer"),
    (trials.Plan((1_000_000,), 10), "A hidden size of 1,000,000 is more than the lab's limit of 64"),
    (trials.Plan((2,), 10, activation="softmax"), "The hidden activation 'softmax' is not one the XOR lab offers"),
    (trials.Plan((2,), 10, epochs=0), "Epochs is 0: use 1 to 1,000"),
    (trials.Plan((2,), 10, learning_rate=0.0), "The learning rate is 0: it must be above 0"),
    (trials.Plan((2,), 10, seed=-1), "The seed is -1"),
    (trials.Plan((), 10), "Type at least one hidden size"),
])
def test_plans_out_of_range_are_refused_before_any_training(plan, expect):
    assert any(expect in p for p in trials.check(plan)), trials.check(plan)
    with pytest.raises(trials.TrialsError, match="."):
        trials.run(plan)


def test_the_tries_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("LAB_MAX_TRIES", "10")
    assert "more than the lab allows in one study (10, LAB_MAX_TRIES)" in trials.check(trials.Plan((2,), 11))[0]
    assert trials.check(trials.Plan((2,), 10)) == []


@pytest.mark.parametrize("text, expect", [
    ("", "Type at least one hidden size"),
    ("1, two", "'two' is not a whole number"),
    ("1.5", "'1.5' is not a whole number"),
    ("2, 2", "The hidden size 2 appears twice"),
    ("1 2 3 4 5 6 7 8 9", "That is 9 hidden sizes: one study compares at most 8."),
    ("0", "A hidden size of 0"),
    ("nan", "'nan' is not a whole number"),
])
def test_hidden_sizes_typed_wrong(text, expect):
    with pytest.raises(trials.TrialsError, match=expect.replace("(", r"\(")):
        trials.parse_sizes(text)


# ---- records ----------------------------------------------------------------------------------


def test_a_study_is_recorded_and_read_back(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    plan = trials.Plan((1, 3), tries=5, activation="relu", learning_rate=0.5, epochs=30, seed=9)
    results = trials.run(plan)
    first = store.record_trials(trials.to_rows(plan, results, "ada", "p1"))
    second = store.record_trials(trials.to_rows(plan, results[:1], "bob", "p2"))
    assert (first, second) == (1, 2)
    batches = store.trials(first)
    assert [b.hidden for b in sorted(batches, key=lambda b: b.id)] == [1, 3]
    b = batches[0]
    assert isinstance(b, TrialBatch) and (b.owner, b.owner_id, b.activation, b.learning_rate, b.epochs, b.tries,
                                          b.seed) == ("ada", "p1", "relu", 0.5, 30, 5, 9)
    assert len(json.loads(b.outcomes_json)) == 5
    assert [x.study for x in store.trials()] == [2, 1, 1]  # newest first
    back = trials.from_records(store.trials(first))
    for mine, read in zip(results, back):
        assert mine.hidden == read.hidden and mine.learned == read.learned
        for t, u in zip(mine.tries, read.tries):
            assert t.learned == u.learned and t.outputs == u.outputs
            np.testing.assert_allclose(u.net.outputs(xor.INPUTS), t.outputs, atol=1e-6)
    table = trials.studies(store.trials())
    assert table["study"].tolist() == [2, 1] and table["by"].tolist() == ["bob", "ada"]
    assert table["learned"][1] == f"1 unit: {results[0].learned} of 5, 3 units: {results[1].learned} of 5"


def test_a_failed_write_records_nothing(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    rows = [{"owner": "ada", "hidden": 1, "tries": 1, "outcomes_json": "[]"}, {"owner": "ada", "bogus": 1}]
    with pytest.raises(KeyError, match="bogus"):
        store.record_trials(rows)
    with pytest.raises(KeyError):
        store.record_trials([])
    assert store.trials() == []


def test_a_damaged_record_says_so():
    bad = TrialBatch(4, 1, "now", "ada", "p1", 2, "tanh", 1.0, 10, 1, 0, 0, 0.1, "{not json")
    with pytest.raises(trials.TrialsError, match="The record of trial batch 4 cannot be read"):
        trials.from_records([bad])


def test_records_written_before_migrations_gain_the_trials_table(tmp_path):
    path = tmp_path / "runs.sqlite"
    shutil.copy(FIXTURE, path)
    old = sqlite3.connect(path)
    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    old.close()
    assert "trials" not in tables
    store = Store(path)
    assert store.schema_version() >= 3
    assert store.trials() == [] and len(store.runs()) == 3  # the old runs are all there
    study = store.record_trials([{"owner": "ada", "owner_id": "p1", "hidden": 2, "activation": "tanh",
                                  "learning_rate": 1.0, "epochs": 100, "tries": 1, "seed": 0, "learned": 1,
                                  "seconds": 0.1, "outcomes_json": "[]"}])
    assert study == 1 and store.trials(1)[0].created


def test_a_file_at_version_2_gains_the_trials_table_and_keeps_its_runs(tmp_path):
    """A records file left by the lab before trials existed (schema 2) is brought up to date."""
    from lab.records.migrations import MIGRATIONS

    path = tmp_path / "runs.sqlite"
    db = sqlite3.connect(path)
    for step in sorted((m for m in MIGRATIONS if m.version <= 2), key=lambda m: m.version):
        for statement in step.statements:
            db.execute(statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    db.execute("INSERT INTO runs (network, status) VALUES ('kept', 'finished')")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert [r.network for r in store.runs()] == ["kept"] and store.trials() == []
