"""lab.sweeps and JobManager.submit_sweep: one run per combination and seed, grouped, charted."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lab import charts
from lab.jobs import JobManager, JobRejected
from lab.records import RunRecord, Status
from lab.records.sqlite import SQLiteStore
from lab.spec import LayerSpec, ModelSpec, TrainSpec, load_presets
from lab.sweeps import Axis, SweepError, axes_json, layers_for, outcome, parse_values, plan, read_axes

PRESETS = load_presets()
NET = ModelSpec("net", [LayerSpec("Flatten"), LayerSpec("Dense", units=16), LayerSpec("Dropout", rate=0.2),
                        LayerSpec("Dense", units=10, activation="softmax")])


@pytest.mark.parametrize("setting, text, words", [
    ("learning_rate", "0.01, fast", "must be a number, but 'fast' is not one"),
    ("learning_rate", "0.01, 0.1, 0.01", "0.01 appears 2 times"),
    ("learning_rate", "0, 0.1", "must be above 0: 0 is not"),
    ("batch_size", "-32, 64", "must be above 0: -32 is not"),
    ("batch_size", "32.5", "must be a whole number"),
    ("epochs", ", ".join(str(i) for i in range(1, 10_001)), "10,000 epochs values are more than one sweep"),
    ("optimizer", "adam, sgdx", "'sgdx' is not an optimizer"),
    ("rate", "-0.1", "must be 0 or more"),
    ("units", "", "Type the units values"),
])
def test_bad_value_lists_say_what_is_wrong(setting, text, words):
    with pytest.raises(SweepError, match=words):
        parse_values(setting, text, limit=50)


def test_value_lists_are_read():
    assert parse_values("rate", "0, 0.2; 0.5", 50) == (0.0, 0.2, 0.5)
    assert parse_values("units", "8 32 128", 50) == (8, 32, 128)


def test_every_combination_with_every_seed():
    axes = [Axis("learning_rate", (0.1, 0.01)), Axis("units", (8, 32), layer=2)]
    runs = plan(NET, TrainSpec(seed=7), axes, [7, 8], limit=50)
    assert len(runs) == 8
    assert [(t.learning_rate, m.layers[1].units, t.seed) for m, t, _ in runs][:3] == [(0.1, 8, 7), (0.1, 8, 8),
                                                                                       (0.1, 32, 7)]
    assert runs[0][2] == {"learning rate": 0.1, "units (layer 2)": 8, "seed": 7}
    assert NET.layers[1].units == 16  # the network being edited is untouched
    assert layers_for(NET, "units") == [2, 4] and layers_for(NET, "rate") == [3] and layers_for(NET, "epochs") == []
    assert read_axes(axes_json(axes)) == axes


@pytest.mark.parametrize("axes, seeds, words", [
    ([], [1], "Choose a setting"),
    ([Axis("epochs", (1, 2)), Axis("epochs", (3,))], [1], "the same setting"),
    ([Axis("learning_rate", (0.1,))], [], "at least once"),
    ([Axis("units", (4,), layer=3)], [1], r"Layer 3 is not a Dense layer: choose one of \[2, 4\]"),
    ([Axis("filters", (4,), layer=1)], [1], "not a Conv2D layer: choose one of none"),
    ([Axis("learning_rate", tuple(range(1, 11))), Axis("batch_size", tuple(range(1, 11)))], [1],
     "would queue 100 runs"),
])
def test_impossible_sweeps_are_refused(axes, seeds, words):
    with pytest.raises(SweepError, match=words):
        plan(NET, TrainSpec(), axes, seeds, limit=50)


def test_a_real_sweep_queues_one_run_per_point_as_one_request_and_charts(tmp_path):
    manager = JobManager(SQLiteStore(tmp_path / "runs.sqlite"), max_running=1, max_waiting=2,
                         model_dir=tmp_path / "trained")
    xor = PRESETS["xor_2_2_1"]
    axes = [Axis("learning_rate", (0.05, 0.5, 2.0))]
    points = plan(xor.model, replace(xor.train, epochs=40), axes, [1, 2], limit=50)
    about = {"network": xor.model.name, "spec_json": "{}", "train_json": "{}", "axes_json": axes_json(axes),
             "seeds_json": "[1, 2]"}
    jobs = manager.submit_sweep(points, about, owner="ada", owner_id="p1")
    assert len(jobs) == 6 and len({j.group for j in jobs}) == 1
    # six runs, one request (five of them waiting): another person's run still fits in the second place
    other = manager.submit(xor.model, replace(xor.train, epochs=5), owner="bob")
    assert manager.place(other.id) == 2  # after one more sweep run, not after all five
    for job in [*jobs, other]:
        assert manager.wait(job.id, 120).status == "finished"
    sweep = manager.store.sweeps()[0]
    members = [r for r in manager.store.runs() if r.sweep_id == sweep.id]
    assert sweep.size == 6 and len(members) == 6 and {r.owner_id for r in members} == {"p1"}
    assert {json.loads(r.sweep_values)["learning rate"] for r in members} == {0.05, 0.5, 2.0}
    table = outcome(members, axes)
    assert table["learning rate"].tolist() == [0.05, 0.5, 2.0] and table["finished"].tolist() == [2, 2, 2]
    for _, row in table.iterrows():
        accs = [r.test_acc for r in members if json.loads(r.sweep_values)["learning rate"] == row["learning rate"]]
        assert row["mean accuracy"] == pytest.approx(sum(accs) / 2)
    spec = charts.sweep_chart(table, ["learning rate"], log_x=True).to_dict()
    assert spec["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"


def test_a_sweep_over_the_limit_or_with_a_bad_point_is_refused_whole(tmp_path):
    manager = JobManager(SQLiteStore(tmp_path / "runs.sqlite"), model_dir=tmp_path / "trained")
    points = plan(NET, TrainSpec(train_limit=500), [Axis("batch_size", (32, 5000))], [1], limit=50)
    with pytest.raises(JobRejected, match="The run with batch size 5000, seed 1 cannot be trained: The batch size"):
        manager.submit_sweep(points, {}, owner="ada")
    with pytest.raises(JobRejected, match="A sweep needs 1 to 50 runs"):
        manager.submit_sweep(points * 30, {}, owner="ada")
    assert manager.store.runs() == [] and manager.store.sweeps() == []


def test_a_stopped_seed_is_left_out_of_its_points_mean_and_not_counted_as_finished():
    def run(i, status, acc, lr):
        return RunRecord(i, status=status, test_acc=acc, sweep_values=json.dumps({"learning rate": lr, "seed": i}))
    runs = [run(1, Status.FINISHED, 0.97, 0.001), run(2, Status.STOPPED, 0.41, 0.001),  # stopped after 0 epochs
            run(3, Status.FINISHED, 0.95, 0.01), run(4, Status.FINISHED, 0.95, 0.01), run(5, Status.RUNNING, None, 0.01)]
    table = outcome(runs, [Axis("learning_rate", (0.001, 0.01))]).set_index("learning rate")
    assert table.loc[0.001, ["mean accuracy", "spread", "finished", "runs"]].tolist() == [0.97, 0.0, 1, 2]
    assert table.loc[0.01, ["mean accuracy", "finished", "runs"]].tolist() == [0.95, 2, 3]
