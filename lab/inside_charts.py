"""Altair charts of what happens inside a network: XOR's decision surface, how often it
learns, and one layer's values as a strip of coloured cells."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lab import xor

OUTPUT_SCALE = alt.Scale(domain=[0, 1], scheme="blueorange")
BELOW = alt.Legend(orient="bottom", direction="horizontal")  # beside the plot, a legend narrows it


def surface_chart(net: xor.XorNet, cells: int = 40) -> alt.LayerChart:
    """The output of ``net`` over [-0.5, 1.5]² as a heat map (blue near 0, orange near 1), the
    line each hidden unit draws (where its sum is 0), and the four XOR points.

    Example:
        >>> net = xor.XorNet(np.ones((2, 2)), np.array([0., -1.]), np.array([[8.], [-16.]]),
        ...                  np.array([-4.]), "relu")
        >>> [layer.mark.type if hasattr(layer.mark, "type") else layer.mark for layer in
        ...  surface_chart(net, cells=4).layer]
        ['rect', 'line', 'point', 'text']
    """
    lo, hi = xor.SQUARE
    axis = alt.Scale(domain=[lo, hi], nice=False)
    heat = alt.Chart(xor.surface(net, cells)).mark_rect(strokeWidth=0.6).encode(
        x=alt.X("x1:Q", scale=axis, title="x1"), x2="x1_end:Q",
        y=alt.Y("x2:Q", scale=axis, title="x2"), y2="x2_end:Q",
        color=alt.Color("output:Q", scale=OUTPUT_SCALE, title="output", legend=BELOW),
        stroke=alt.Stroke("output:Q", scale=OUTPUT_SCALE, legend=None),  # each cell's own colour: no seams
        tooltip=[alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f"),
                 alt.Tooltip("output:Q", format=".3f")])
    lines = alt.Chart(xor.unit_lines(net)).mark_line(color="black", strokeDash=[6, 3], strokeWidth=1.5).encode(
        x=alt.X("x1:Q", scale=axis), y=alt.Y("x2:Q", scale=axis), detail="unit:N",
        tooltip=[alt.Tooltip("unit:N", title="where this hidden unit's sum is 0")])
    table = xor.truth_table(net)
    table["point"] = [f"({a}, {b}) → {t}" for a, b, t in zip(table.x1, table.x2, table["right answer"])]
    points = alt.Chart(table).mark_point(filled=True, size=220, stroke="black", strokeWidth=1.5).encode(
        x=alt.X("x1:Q", scale=axis), y=alt.Y("x2:Q", scale=axis),
        color=alt.Color("right answer:Q", scale=OUTPUT_SCALE, legend=None),
        shape=alt.Shape("right:N", scale=alt.Scale(domain=[True, False], range=["circle", "cross"]),
                        title="right side of 0.5", legend=BELOW),
        tooltip=["point:N", alt.Tooltip("output:Q", format=".4f"), "right:N"])
    labels = alt.Chart(table).mark_text(dy=-16, fontSize=12, fontWeight="bold").encode(
        x=alt.X("x1:Q", scale=axis), y=alt.Y("x2:Q", scale=axis), text="point:N")
    # Streamlit fits axes and legends into the chart's size: legends below, and 100 px more height
    # than width for the x axis and the legends, keep the square square
    return alt.layer(heat, lines, points, labels).properties(width=400, height=500)


def share_chart(table: pd.DataFrame) -> alt.LayerChart:
    """The share of tries that learned, one bar per hidden size, with the counts on top
    (``table`` from `lab.trials.share_table`).

    Example:
        >>> t = pd.DataFrame({"hidden units": [1, 2], "tries": [50, 50], "learned": [0, 27],
        ...                   "share": [0.0, 0.54], "label": ["0 of 50", "27 of 50"]})
        >>> len(share_chart(t).layer)
        2
    """
    base = alt.Chart(table).encode(
        x=alt.X("hidden units:O", title="hidden units", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="share of tries that learned XOR", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=["hidden units:O", "learned:Q", "tries:Q", alt.Tooltip("share:Q", format=".0%")])
    bars = base.mark_bar(color="#1f77b4")
    counts = base.mark_text(dy=-8, fontSize=13).encode(text="label:N")
    return alt.layer(bars, counts).properties(height=300)


def strip_chart(values, title: str, signed: bool = False, height: int = 120) -> alt.Chart:
    """One layer's values as a row of coloured cells, one per value (its number on hover).

    Args:
        values: a 1-D array (784 pixels, or one layer's units).
        title: the chart's title.
        signed: colour 0 white, negatives blue and positives red (sums before an activation);
            otherwise 0 is black and large values white, as in the digit's picture and in the
            feature maps (pixels, relu outputs, probabilities).
        height: of the whole chart in pixels, its title and axis included (Streamlit fits a chart
            into its height; at 40 the cells had no room left).

    Example:
        >>> strip_chart(np.array([0.0, 0.5, 1.0]), "three").data.to_dict("records")[1]
        {'index': 1, 'end': 2, 'value': 0.5, 'row': 0}
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    df = pd.DataFrame({"index": np.arange(len(v)), "end": np.arange(1, len(v) + 1), "value": v, "row": 0})
    if signed:
        top = float(np.max(np.abs(v))) or 1.0
        scale = alt.Scale(scheme="redblue", domain=[-top, top], reverse=True)
    else:
        scale = alt.Scale(scheme="greys", reverse=True,  # greys runs white to black: 0 black, as the picture
                          domain=[min(0.0, float(v.min())), max(float(v.max()), 1e-9)])
    return alt.Chart(df, title=title).mark_rect().encode(
        x=alt.X("index:Q", title=None, scale=alt.Scale(domain=[0, len(v)], nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        x2="end:Q",
        y=alt.Y("row:N", axis=None),  # one band the chart's height: a rect without y is drawn 0 px tall
        color=alt.Color("value:Q", scale=scale, legend=None),
        tooltip=[alt.Tooltip("index:Q", title="number"), alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=height)
