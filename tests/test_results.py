"""The results table and its side-by-side comparison."""

import json

import pandas as pd

from lab import export, results
from lab.records import RunRecord


def _run(i, **kw):
    base = {"id": i, "network": "net", "activations": "relu, softmax", "epochs_done": 3, "comment": "",
            "test_acc": 0.9123, "val_acc": 0.9, "dataset": "mnist", "params": 13002, "duration_s": 12.345,
            "created": "2026-11-21 10:00:00", "status": "finished", "train_json": '{"optimizer": "adam", '
            '"learning_rate": 0.001, "batch_size": 128}', "seed": 1, "train_acc": 0.95, "test_loss": 0.31234,
            "architecture": "Flatten > Dense(10, softmax)", "owner": "ada", "device": "CPU (2 cores)"}
    return RunRecord(**{**base, **kw})


def test_table_has_the_workshop_columns():
    t = results.table([_run(2), _run(1, test_acc=0.95)])
    assert t.columns[:6].tolist() == ["run", "network", "activations", "epochs", "comment", "accuracy"]
    assert t["accuracy"].tolist() == [0.9123, 0.95]
    assert t.loc[0, "optimizer"] == "adam" and t.loc[0, "batch size"] == 128


def test_changed_comments_only_lists_edited_rows():
    before = results.table([_run(1), _run(2, comment="old")])
    after = before.copy()
    after.loc[1, "comment"] = "new"
    assert results.changed_comments(before, after) == {2: "new"}
    assert results.changed_comments(before, before) == {}


def test_side_by_side_formats_numbers_for_reading():
    t = results.table([_run(1), _run(2, test_acc=None, val_acc=None)])
    s = results.side_by_side(t, [1, 2])
    assert list(s.columns) == ["run 1", "run 2"]
    assert s.loc["accuracy", "run 1"] == "91.23%" and s.loc["accuracy", "run 2"] == ""
    assert s.loc["parameters", "run 1"] == "13,002"
    assert s.loc["duration (s)", "run 1"] == "12.3" and s.loc["test loss", "run 1"] == "0.3123"
    gap = results.side_by_side(t.assign(**{"best epoch": [3, None]}), [1, 2])  # pandas makes the column float
    assert gap.loc["best epoch", "run 1"] == "3" and gap.loc["best epoch", "run 2"] == ""
    assert isinstance(s, pd.DataFrame)


def test_the_many_runs_view_shows_the_settings_that_differ():
    from lab.results import differing_settings

    base = {"learning rate": 0.01, "batch size": 64, "dropout": None, "parameters": 1000, "epochs": 5, "seed": 1,
            "optimizer": "adam", "dataset": "mnist", "network": "net"}
    same = pd.DataFrame([base, base])
    assert differing_settings(same) == ["learning rate", "batch size", "parameters"]  # nothing differs
    swept = pd.DataFrame([base, {**base, "dropout": 0.5, "optimizer": "sgd", "seed": 2}])
    assert differing_settings(swept) == ["dropout", "seed", "optimizer"]


def test_the_table_puts_the_best_validation_epoch_beside_the_final_one():
    from lab.records import RunRecord
    from lab.results import COLUMNS, table

    assert COLUMNS[COLUMNS.index("val accuracy") + 1: COLUMNS.index("val accuracy") + 3] == [
        "best val accuracy", "best epoch"]
    spec = '{"layers": [{"kind": "Flatten"}, {"kind": "Dropout", "rate": 0.3}]}'
    t = table([RunRecord(4, val_acc=0.81, spec_json=spec)], best={4: (0.86, 3)})
    row = t.iloc[0]
    assert (row["val accuracy"], row["best val accuracy"], row["best epoch"], row["dropout"]) == (0.81, 0.86, 3, 0.3)


def test_accuracy_is_the_test_accuracy_only():
    """An interrupted run was never tested: its validation accuracy (usually higher) must not
    pass for a test figure beside the tested runs'."""
    from lab.records import RunRecord, Status
    from lab.results import table

    t = table([RunRecord(1, test_acc=0.855, val_acc=0.87), RunRecord(2, status=Status.INTERRUPTED, val_acc=0.886)])
    assert t.loc[0, "accuracy"] == 0.855 and pd.isna(t.loc[1, "accuracy"]) and t.loc[1, "val accuracy"] == 0.886


def test_a_record_damaged_outside_the_lab_still_shows_and_exports():
    """One run whose saved settings or spec are not JSON (edited by hand, a bad copy) does not
    break the table, the comparison or the spec download for the whole class."""
    bad = RunRecord(7, network="n", dataset="mnist", status="finished", test_acc=0.9,
                    train_json="{not json", spec_json="[1, 2", comment="kept")
    row = results.table([bad]).to_dict("records")[0]
    assert (row["run"], row["accuracy"], row["comment"], row["optimizer"]) == (7, 0.9, "kept", None)
    assert results.dropout(bad) is None
    doc = json.loads(export.spec_document(bad))
    assert doc["name"] == "n" and doc["train"] == {} and doc["run"]["test accuracy"] == 0.9


def test_tags_are_one_whatever_their_case():
    assert results.parse_tags("Dropout, dropout, SMALL", known=["small"]) == ["Dropout", "small"]
    tags = {1: ["Dropout"], 2: ["dropout"], 3: ["wide"]}
    assert results.tag_names(tags) == ["Dropout", "wide"]
    runs = [RunRecord(i) for i in (1, 2, 3)]
    assert [r.id for r in results.filter_runs(runs, tags, results.Filters(tags=("DROPOUT",)))] == [1, 2]
