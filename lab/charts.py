"""Chart builders: pure functions of plain rows or DataFrames, giving Altair charts (or, for
the charts a page redraws every second, plain Vega-Lite specs)."""

from __future__ import annotations

import math
from typing import Sequence

import altair as alt
import numpy as np
import pandas as pd

from lab.records.types import Epoch

# The Train page redraws its three charts every second for every browser watching a run, so
# they are plain Vega-Lite specs: building one takes well under a millisecond, where an Altair
# chart takes about 40 ms (objects, then schema validation when Streamlit serialises it), time
# the training thread waits for (bench/README.md, section 1). Draw them with st.vega_lite_chart.


def epoch_chart(history: Sequence[Epoch], metric: str) -> dict:
    """Train and validation ``metric`` ("loss" or "accuracy") per finished epoch, as a
    Vega-Lite spec with its rows inline.

    Example:
        >>> spec = epoch_chart([Epoch(1, loss=0.5, val_loss=0.6)], "loss")
        >>> spec["mark"], [r["split"] for r in spec["data"]["values"]]
        ({'type': 'line', 'point': True}, ['train', 'validation'])
    """
    rows = [{"epoch": h.epoch, "metric": metric, "split": split, "value": _finite(getattr(h, key))}
            for h in history for split, key in (("train", metric), ("validation", f"val_{metric}"))
            if getattr(h, key) is not None]
    shown = [(split, color) for split, color in (("train", "#1f77b4"), ("validation", "#ff7f0e"))
             if any(r["split"] == split for r in rows)] or [("train", "#1f77b4")]  # no validation: no legend for it
    return {
        "title": f"{metric} per epoch", "height": 260, "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": "epoch",
                  "axis": {"tickMinStep": 1, "format": "d"}},
            "y": {"field": "value", "type": "quantitative", "title": metric, "scale": {"zero": False}},
            "color": {"field": "split", "type": "nominal", "title": None,
                      "scale": {"domain": [s for s, _ in shown], "range": [c for _, c in shown]}},
            "tooltip": [{"field": "epoch", "type": "quantitative"}, {"field": "split", "type": "nominal"},
                        {"field": "value", "type": "quantitative", "format": ".4f", "title": metric}],
        },
    }


def live_chart(samples: Sequence) -> dict:
    """Training loss and accuracy sampled every few batches (x: epochs, fractional), as a
    Vega-Lite spec; ``samples`` are `lab.jobs.Sample`s.

    Example:
        >>> from lab.jobs.progress import Sample
        >>> [r["metric"] for r in live_chart([Sample(0.5, 1.2, 0.4)])["data"]["values"]]
        ['loss', 'accuracy']
    """
    rows = [{"epoch": s.epoch, "metric": metric, "value": _finite(getattr(s, metric))}
            for s in samples for metric in ("loss", "accuracy")]
    return {
        "title": "live, every few batches", "height": 260, "data": {"values": rows},
        "mark": {"type": "line"},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": "epoch"},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "metric", "type": "nominal", "title": None},
            "tooltip": [{"field": "epoch", "type": "quantitative", "format": ".2f"},
                        {"field": "metric", "type": "nominal"},
                        {"field": "value", "type": "quantitative", "format": ".4f"}],
        },
    }


def _finite(value) -> float | None:
    """A number a browser's JSON can carry: NaN and infinities become empty (no point)."""
    value = float(value)
    return value if math.isfinite(value) else None


def probability_chart(probs, class_names) -> alt.Chart:
    """One bar per class; the most likely one highlighted."""
    df = pd.DataFrame({"class": list(class_names), "probability": [float(p) for p in probs]})
    best = df["probability"].idxmax()
    df["best"] = df.index == best
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("class:N", sort=list(class_names), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1])),
        color=alt.condition("datum.best", alt.value("#d62728"), alt.value("#1f77b4")),
        tooltip=["class", alt.Tooltip("probability:Q", format=".3f")],
    ).properties(height=260)


def count_chart(labels, class_names) -> alt.Chart:
    """How many examples of each class."""
    counts = pd.Series(labels).value_counts().reindex(range(len(class_names)), fill_value=0)
    df = pd.DataFrame({"class": list(class_names), "count": counts.to_numpy()})
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("class:N", sort=list(class_names), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", axis=alt.Axis(tickMinStep=1, format="d")), tooltip=["class", "count"],
    ).properties(height=220)


EPOCH_METRICS = {"val_accuracy": "validation accuracy", "accuracy": "training accuracy",
                 "val_loss": "validation loss", "loss": "training loss"}  # a run's figures per epoch, in words


def compare_chart(epochs: pd.DataFrame, metric: str = "val_accuracy") -> alt.Chart:
    """One line per run: ``metric`` (one of `EPOCH_METRICS`) against epoch (columns run,
    epoch, ``metric``), named in words: "accuracy" alone would read as the test accuracy
    of the runs table."""
    words = EPOCH_METRICS[metric]
    return alt.Chart(epochs, title=f"{words} by epoch").mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y(f"{metric}:Q", title=words, scale=alt.Scale(zero=False)),
        color=alt.Color("run:N"),
        tooltip=["run", "epoch", alt.Tooltip(f"{metric}:Q", title=words, format=".4f")],
    ).properties(height=280)


def sweep_chart(outcome: pd.DataFrame, axes: list[str], log_x: bool = False) -> alt.Chart:
    """Test accuracy against the swept setting: the mean over seeds with a bar for the spread
    (one setting), or a heat map of the mean (two settings). ``outcome`` is
    `lab.sweeps.outcome`'s table."""
    done = outcome.dropna(subset=["mean accuracy"]).copy()
    done["low"] = done["mean accuracy"] - done["spread"]
    done["high"] = done["mean accuracy"] + done["spread"]
    tooltip = [*axes, alt.Tooltip("mean accuracy:Q", format=".2%"), alt.Tooltip("spread:Q", format=".2%"),
               "finished:Q", "runs:Q"]
    if len(axes) == 2:
        base = alt.Chart(done, title="mean test accuracy").encode(
            x=alt.X(f"{axes[0]}:O"), y=alt.Y(f"{axes[1]}:O"), tooltip=tooltip)
        cells = base.mark_rect().encode(color=alt.Color("mean accuracy:Q", scale=alt.Scale(scheme="viridis"),
                                                        legend=alt.Legend(format="%")))
        low, high = done["mean accuracy"].min(), done["mean accuracy"].max()
        done["light"] = done["mean accuracy"] > low + 0.55 * (high - low)  # viridis turns green, then yellow
        labels = base.mark_text(baseline="middle").encode(
            text=alt.Text("mean accuracy:Q", format=".1%"),
            color=alt.condition("datum.light", alt.value("#222222"), alt.value("white")))
        return (cells + labels).properties(height=300)
    numeric = pd.api.types.is_numeric_dtype(done[axes[0]])
    x = alt.X(f"{axes[0]}:{'Q' if numeric else 'N'}", title=axes[0],
              scale=alt.Scale(type="log") if numeric and log_x else alt.Undefined)
    base = alt.Chart(done, title="test accuracy (mean and spread over seeds)").encode(x=x, tooltip=tooltip)
    spread = base.mark_rule().encode(y=alt.Y("low:Q", title="test accuracy", axis=alt.Axis(format="%")),
                                     y2="high:Q")
    mean = base.mark_line(point=True).encode(y="mean accuracy:Q")
    return (spread + mean).properties(height=300)


LABEL_CHARS = 18  # of a word beside a parallel axis


def parallel_chart(frame: pd.DataFrame, dims: list[str], log_dims: tuple[str, ...] = ()) -> alt.Chart:
    """Many runs at once: one line per run across the settings in ``dims`` (each axis scaled
    to its own range, log for ``log_dims``; a setting in words, such as the optimizer, spreads
    its values evenly), coloured by accuracy. Clicking a line selects the run (a point
    selection named ``pick`` on the field ``run``)."""
    long = frame.assign(shade=frame["accuracy"]).melt(id_vars=["run", "shade"], value_vars=dims,
                                                      var_name="setting", value_name="value")
    long = long.dropna(subset=["value"])
    words = [d for d in dims if not pd.api.types.is_numeric_dtype(frame[d])]
    long["shown"] = [v if s in words else f"{float(v):.1%}" if s == "accuracy" else _number(float(v))
                     for s, v in zip(long["setting"], long["value"])]  # accuracy in %, as its colour legend
    for d in words:  # words take evenly spaced places, in alphabetical order
        places = {w: i for i, w in enumerate(sorted(frame[d].dropna().astype(str).unique()))}
        rows = long["setting"] == d
        long.loc[rows, "value"] = long.loc[rows, "value"].astype(str).map(places)
    long["value"] = long["value"].astype(float)
    scaled = np.log10(long["value"].clip(lower=1e-12)).where(long["setting"].isin(log_dims), long["value"])
    span = scaled.groupby(long["setting"]).transform(lambda v: (v.max() - v.min()) or 1.0)
    low = scaled.groupby(long["setting"]).transform("min")
    long["position"] = (scaled - low) / span
    long["label"] = [_short(text) for text in _axis_labels(long, words)]
    pick = alt.selection_point(fields=["run"], name="pick")
    base = alt.Chart(long, title="each line is a run: click one to see its curves").encode(
        x=alt.X("setting:N", sort=dims, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("position:Q", axis=None))
    lines = base.mark_line(point=alt.OverlayMarkDef(size=70)).encode(  # points big enough to hover in class
        detail="run:N",
        color=alt.condition(pick, alt.Color("shade:Q", title="accuracy", scale=alt.Scale(scheme="viridis"),
                                            legend=alt.Legend(format=".1%")), alt.value("#dddddd")),
        tooltip=["run:N", "setting:N", alt.Tooltip("shown:N", title="value"),
                 alt.Tooltip("shade:Q", title="accuracy", format=".2%")],
    ).add_params(pick)
    labels = base.mark_text(align="left", dx=7, fontSize=11, color="#555555").encode(
        text="label:N").transform_filter(alt.datum.label != "")
    return alt.layer(lines, labels).properties(height=320)


def _number(value: float) -> str:
    """A setting's value as an axis says it: whole numbers in full, others to 4 digits.

    Example:
        >>> _number(669706.0), _number(0.001), _number(0.25)
        ('669,706', '0.001', '0.25')
    """
    return f"{int(value):,}" if value.is_integer() else f"{value:.4g}"


def _short(text: str, most: int = LABEL_CHARS) -> str:
    """``text`` cut to ``most`` characters with "…", so it stays clear of the next axis (a
    point's tooltip shows it whole).

    Example:
        >>> _short("CNN Conv 32-64-128 with extra dropout"), _short("adam")
        ('CNN Conv 32-64-12…', 'adam')
    """
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _axis_labels(long: pd.DataFrame, words: list[str]) -> list[str]:
    """What each axis says beside its points: every word of a setting in words, and the
    lowest and highest value of a number (so the reader knows which end is which); written
    once per place, "" elsewhere."""
    ends = long.groupby("setting")["position"].transform(lambda v: v.isin([v.min(), v.max()]))
    show = (long["setting"].isin(words) | ends) & ~long.duplicated(["setting", "position"])
    return [text if keep else "" for text, keep in zip(long["shown"], show)]
