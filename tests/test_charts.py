"""lab.charts: each builder's Vega-Lite spec has the intended encodings and data rows."""

from __future__ import annotations

import json
import math

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lab.jobs import Sample
from lab.records import Epoch
from lab.charts import compare_chart, count_chart, epoch_chart, live_chart, probability_chart

HISTORY = [
    Epoch(1, loss=0.9, accuracy=0.70, val_loss=0.8, val_accuracy=0.75),
    Epoch(2, loss=0.5, accuracy=0.85, val_loss=0.6, val_accuracy=0.80),
    Epoch(3, loss=0.3, accuracy=0.90, val_loss=None, val_accuracy=None),
]


def _spec(chart) -> tuple[dict, list[dict]]:
    """The chart's dict and the rows of its (single, inline) data set: an Altair chart, or a
    plain Vega-Lite spec (the charts the Train page redraws every second), which must be
    valid Vega-Lite and plain JSON (no NaN)."""
    if isinstance(chart, dict):
        alt.Chart.from_dict(chart)  # raises on anything that is not Vega-Lite
        json.loads(json.dumps(chart, allow_nan=False))
        return chart, chart["data"]["values"]
    assert isinstance(chart, alt.Chart)
    d = chart.to_dict()
    rows = d["datasets"][d["data"]["name"]]
    return d, rows


def _enc(d, channel):
    return d["encoding"][channel]


@pytest.mark.parametrize("metric", ["loss", "accuracy"])
def test_epoch_chart(metric):
    d, rows = _spec(epoch_chart(HISTORY, metric))
    assert d["mark"]["type"] == "line" and d["mark"]["point"] is True
    assert _enc(d, "x")["field"] == "epoch" and _enc(d, "x")["type"] == "quantitative"
    assert _enc(d, "y")["field"] == "value" and _enc(d, "y")["title"] == metric
    assert _enc(d, "color")["field"] == "split" and _enc(d, "color")["type"] == "nominal"
    assert _enc(d, "color")["scale"]["domain"] == ["train", "validation"]
    assert metric in d["title"]
    assert {r["metric"] for r in rows} == {metric}
    got = {(r["epoch"], r["split"]): r["value"] for r in rows}
    want = {(h.epoch, s): getattr(h, k) for h in HISTORY for s, k in (("train", metric),
                                                                ("validation", f"val_{metric}"))
            if getattr(h, k) is not None}
    assert got == want


def test_an_epoch_chart_without_validation_has_no_validation_in_its_legend():
    d, rows = _spec(epoch_chart([Epoch(1, loss=0.7), Epoch(2, loss=0.6)], "loss"))  # XOR: no validation split
    assert _enc(d, "color")["scale"] == {"domain": ["train"], "range": ["#1f77b4"]}
    assert {r["split"] for r in rows} == {"train"}


def test_epoch_chart_empty_history():
    d, rows = _spec(epoch_chart([], "loss"))
    assert rows == [] and _enc(d, "y")["field"] == "value"


def test_live_chart():
    samples = [Sample(0.25, loss=2.0, accuracy=0.3), Sample(0.5, loss=1.5, accuracy=0.5)]
    d, rows = _spec(live_chart(samples))
    assert d["mark"]["type"] == "line"
    assert _enc(d, "x")["field"] == "epoch" and _enc(d, "y")["field"] == "value"
    assert _enc(d, "color")["field"] == "metric"
    got = sorted((r["epoch"], r["metric"], r["value"]) for r in rows)
    assert got == [(0.25, "accuracy", 0.3), (0.25, "loss", 2.0), (0.5, "accuracy", 0.5), (0.5, "loss", 1.5)]


def test_probability_chart_highlights_the_best():
    names = [str(i) for i in range(10)]
    probs = np.full(10, 0.02)
    probs[7] = 0.82
    d, rows = _spec(probability_chart(probs, names))
    assert d["mark"]["type"] == "bar"
    assert _enc(d, "x")["field"] == "class" and _enc(d, "x")["sort"] == names
    assert _enc(d, "y")["field"] == "probability" and _enc(d, "y")["scale"]["domain"] == [0, 1]
    assert _enc(d, "color")["condition"]["test"] == "datum.best"
    assert [r["class"] for r in rows] == names
    assert [r["probability"] for r in rows] == pytest.approx(probs.tolist())
    assert [r["best"] for r in rows] == [i == 7 for i in range(10)]
    assert all(isinstance(r["probability"], float) for r in rows)


def test_count_chart_counts_every_class():
    names = ["T-shirt/top", "Trouser", "Pullover"]
    d, rows = _spec(count_chart(np.array([0, 2, 2, 0, 2]), names))
    assert d["mark"]["type"] == "bar"
    assert _enc(d, "x")["field"] == "class" and _enc(d, "x")["sort"] == names
    assert _enc(d, "y")["field"] == "count" and _enc(d, "y")["type"] == "quantitative"
    assert [(r["class"], r["count"]) for r in rows] == [("T-shirt/top", 2), ("Trouser", 0), ("Pullover", 3)]


def test_compare_chart():
    epochs = pd.DataFrame({"run": ["#1", "#1", "#2"], "epoch": [1, 2, 1],
                           "val_accuracy": [0.9, 0.95, 0.8], "loss": [0.3, 0.2, 0.5]})
    d, rows = _spec(compare_chart(epochs))
    assert _enc(d, "y")["field"] == "val_accuracy" and _enc(d, "color")["field"] == "run"
    assert _enc(d, "x")["field"] == "epoch"
    assert [(r["run"], r["epoch"], r["val_accuracy"]) for r in rows] == [("#1", 1, 0.9), ("#1", 2, 0.95),
                                                                         ("#2", 1, 0.8)]
    assert d["title"] == "validation accuracy by epoch" and _enc(d, "y")["title"] == "validation accuracy"
    d, _ = _spec(compare_chart(epochs, "loss"))
    assert _enc(d, "y")["field"] == "loss" and d["title"] == "training loss by epoch"  # not the test figures


def test_nan_loss_does_not_break_the_spec():
    d, rows = _spec(epoch_chart([Epoch(1, loss=float("nan"), val_loss=0.5)], "loss"))
    train = [r for r in rows if r["split"] == "train"][0]
    assert train["value"] is None or math.isnan(train["value"])


def test_sweep_chart_one_setting_and_two():
    from lab.charts import sweep_chart

    one = pd.DataFrame({"learning rate": [0.01, 0.1], "mean accuracy": [0.8, 0.9], "spread": [0.02, 0.0],
                        "finished": [2, 2], "runs": [2, 2]})
    d = sweep_chart(one, ["learning rate"], log_x=True).to_dict()
    rule, line = d["layer"]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["y"]["field"] == "low"
    assert line["encoding"]["y"]["field"] == "mean accuracy" and line["encoding"]["x"]["scale"]["type"] == "log"
    rows = d["datasets"][d["data"]["name"]]
    assert [(r["low"], r["high"]) for r in rows] == [(pytest.approx(0.78), pytest.approx(0.82)), (0.9, 0.9)]
    two = pd.DataFrame({"learning rate": [0.01, 0.01, 0.1], "batch size": [32, 64, 32],
                        "mean accuracy": [0.8, 0.85, None], "spread": [0.0, 0.0, None], "finished": [1, 1, 0],
                        "runs": [1, 1, 1]})
    d = sweep_chart(two, ["learning rate", "batch size"]).to_dict()
    cells, labels = d["layer"]
    assert cells["mark"]["type"] == "rect" and cells["encoding"]["color"]["field"] == "mean accuracy"
    assert len(d["datasets"][d["data"]["name"]]) == 2  # the unfinished point is not drawn
    assert [r["light"] for r in d["datasets"][d["data"]["name"]]] == [False, True]  # dark text on the yellow end
    assert labels["encoding"]["color"]["condition"]["value"] == "#222222"


def test_parallel_chart_scales_each_setting_and_selects_runs():
    from lab.charts import parallel_chart

    frame = pd.DataFrame({"run": [1, 2, 3], "accuracy": [0.5, 0.9, 0.7], "learning rate": [0.001, 0.1, 0.01],
                          "batch size": [32, 128, None]})
    d = parallel_chart(frame, ["learning rate", "batch size", "accuracy"], log_dims=("learning rate",)).to_dict()
    rows = d["datasets"][d["data"]["name"]]
    pos = {(r["run"], r["setting"]): r["position"] for r in rows}
    assert pos[(1, "learning rate")] == 0.0 and pos[(2, "learning rate")] == 1.0
    assert pos[(3, "learning rate")] == pytest.approx(0.5)  # log scale: 0.01 is half-way from 0.001 to 0.1
    assert (3, "batch size") not in pos  # a missing value draws no point
    assert d["params"][0]["name"] == "pick" and d["params"][0]["select"]["fields"] == ["run"]
    label = {(r["run"], r["setting"]): r["label"] for r in rows}  # each axis names its two ends
    assert [label[(i, "learning rate")] for i in (1, 3, 2)] == ["0.001", "", "0.1"]
    assert [layer["mark"]["type"] for layer in d["layer"]] == ["line", "text"]
    assert [label[(i, "accuracy")] for i in (1, 3, 2)] == ["50.0%", "", "90.0%"]  # as the colour legend


def test_parallel_chart_spreads_a_setting_in_words_and_shows_its_values():
    from lab.charts import parallel_chart

    frame = pd.DataFrame({"run": [1, 2, 3], "accuracy": [0.5, 0.9, 0.7], "optimizer": ["sgd", "adam", "rmsprop"],
                          "dropout": [0.5, None, 0.25]})
    d = parallel_chart(frame, ["optimizer", "dropout", "accuracy"]).to_dict()
    rows = d["datasets"][d["data"]["name"]]
    pos = {(r["run"], r["setting"]): r["position"] for r in rows}
    shown = {(r["run"], r["setting"]): r["shown"] for r in rows}
    assert [pos[(i, "optimizer")] for i in (2, 3, 1)] == [0.0, 0.5, 1.0]  # adam, rmsprop, sgd
    assert shown[(1, "optimizer")] == "sgd" and shown[(1, "dropout")] == "0.5"
    assert {r["label"] for r in rows if r["setting"] == "optimizer"} == {"adam", "rmsprop", "sgd"}  # every word
    long_name = parallel_chart(frame.assign(network=["a network with a long name", "b", "c"]), ["network", "accuracy"])
    named = [r for r in long_name.to_dict()["datasets"][long_name.to_dict()["data"]["name"]] if r["setting"] == "network"]
    assert {r["label"] for r in named} == {"a network with a…", "b", "c"}  # clear of the next axis
    assert {r["shown"] for r in named} >= {"a network with a long name"}  # whole in the tooltip
    assert pos[(3, "dropout")] == 0.0 and (2, "dropout") not in pos
