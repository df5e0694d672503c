"""Altair chart builders: pure functions of plain rows or DataFrames."""

from __future__ import annotations

from dataclasses import asdict
from typing import Sequence

import altair as alt
import pandas as pd

from lab.records.types import Epoch

SPLIT_COLORS = alt.Scale(domain=["train", "validation"], range=["#1f77b4", "#ff7f0e"])


def history_frame(history: Sequence[Epoch]) -> pd.DataFrame:
    """Finished epochs -> long table (epoch, metric, split, value) for charting.

    Example:
        >>> history_frame([Epoch(1, loss=0.5, val_loss=0.6)]).shape
        (2, 4)
    """
    rows = []
    for h in history:
        for metric in ("loss", "accuracy"):
            for split, key in (("train", metric), ("validation", f"val_{metric}")):
                if getattr(h, key) is not None:
                    rows.append({"epoch": h.epoch, "metric": metric, "split": split, "value": getattr(h, key)})
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "value"])


def epoch_chart(history: Sequence[Epoch], metric: str) -> alt.Chart:
    """Train and validation ``metric`` ("loss" or "accuracy") per finished epoch."""
    df = history_frame(history)
    df = df[df.metric == metric]
    return alt.Chart(df, title=f"{metric} per epoch").mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", scale=SPLIT_COLORS, title=None),
        tooltip=["epoch:Q", "split:N", alt.Tooltip("value:Q", format=".4f", title=metric)],
    ).properties(height=260)


def live_chart(samples: Sequence) -> alt.Chart:
    """Training loss and accuracy sampled every few batches (x: epochs, fractional);
    ``samples`` are `lab.jobs.Sample`s."""
    df = pd.DataFrame([asdict(s) for s in samples], columns=["epoch", "loss", "accuracy"]).melt(
        "epoch", var_name="metric", value_name="value")
    return alt.Chart(df, title="live, every few batches").mark_line().encode(
        x=alt.X("epoch:Q", title="epoch"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("metric:N", title=None),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), "metric", alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=260)


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
        y="count:Q", tooltip=["class", "count"],
    ).properties(height=220)


def compare_chart(epochs: pd.DataFrame, metric: str = "val_accuracy") -> alt.Chart:
    """One line per run: ``metric`` against epoch (columns run, epoch, ``metric``)."""
    return alt.Chart(epochs, title=f"{metric} by epoch").mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y(f"{metric}:Q", scale=alt.Scale(zero=False)),
        color=alt.Color("run:N"),
        tooltip=["run", "epoch", alt.Tooltip(f"{metric}:Q", format=".4f")],
    ).properties(height=280)
