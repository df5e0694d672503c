"""Pictures of what a network gets right and wrong: Altair charts of its test answers
(confusion matrix, accuracy per class, two runs compared, the shift experiment) and
framed test images. Pure functions of arrays and DataFrames; no Streamlit.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lab.evaluate import shares

RIGHT, WRONG = (44, 160, 44), (214, 39, 40)  # frame colours of a test image given its true class, or not
VERDICT_COLORS = alt.Scale(domain=["better", "worse", "same"], range=["#2ca02c", "#d62728", "#999999"])
CELL = "cell"  # the name of the confusion matrix's point selection (fields "true" and "given": class numbers)


def share_label(share: float) -> str:
    """A cell's share as a whole percent that never hides a mistake: a few images read "<1%",
    a class all but right reads ">99%", never "0%" or "100%".

    Example:
        >>> [share_label(s) for s in (0.0, 0.005, 0.25, 0.995, 1.0)]
        ['0%', '<1%', '25%', '>99%', '100%']
    """
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def confusion_chart(matrix: np.ndarray, class_names, as_shares: bool = False,
                    chosen: tuple[int, int] | None = None) -> alt.Chart:
    """The confusion matrix as a heat map: true class down, class given across, each cell
    its count (or its share of the true class). Clicking a cell selects it (a point
    selection named `CELL` on the fields ``true`` and ``given``); ``chosen`` is outlined.

    Example:
        >>> confusion_chart(np.array([[5, 1], [0, 4]]), ["a", "b"]).to_dict()["layer"][0]["mark"]["type"]
        'rect'
    """
    n = len(class_names)
    part = shares(matrix)
    t, g = np.divmod(np.arange(n * n), n)
    df = pd.DataFrame({"true": t, "given": g, "true class": [class_names[i] for i in t],
                       "predicted": [class_names[i] for i in g], "images": matrix.ravel(),
                       "share": part.ravel()})
    df["value"] = df["share"] if as_shares else df["images"]
    df["label"] = [share_label(s) if as_shares else f"{c:,}" for s, c in zip(df["share"], df["images"])]
    df["dark"] = df["value"] > df["value"].max() * 0.5
    df["chosen"] = [(a, b) == chosen for a, b in zip(t, g)]
    names = list(class_names)
    pick = alt.selection_point(fields=["true", "given"], name=CELL, on="click", clear=False)
    base = alt.Chart(df).encode(
        x=alt.X("predicted:N", sort=names, title="predicted class", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("true class:N", sort=names, title="true class"),
        tooltip=["true class", "predicted", alt.Tooltip("images:Q", format=","),
                 alt.Tooltip("share:Q", format=".1%", title="share of the true class")])
    cells = base.mark_rect().encode(
        color=alt.Color("value:Q", title="share" if as_shares else "images",
                        scale=alt.Scale(scheme="blues", type="sqrt"),
                        legend=alt.Legend(format="%" if as_shares else ",d")),
        stroke=alt.condition("datum.chosen", alt.value("#d62728"), alt.value(None)),
        strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0)),
    ).add_params(pick)
    text = base.mark_text(baseline="middle", fontSize=11).encode(
        text="label:N", color=alt.condition("datum.dark", alt.value("white"), alt.value("#222222")))
    return (cells + text).properties(height=420, title="true class (rows) against the class given (columns)")


def class_accuracy_chart(frame: pd.DataFrame) -> alt.Chart:
    """Accuracy per class as bars (``frame`` from `lab.evaluate.class_accuracy`)."""
    base = alt.Chart(frame).encode(
        x=alt.X("class:N", sort=list(frame["class"]), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=["class", alt.Tooltip("accuracy:Q", format=".2%"), "images"])
    bars = base.mark_bar(color="#1f77b4")
    labels = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("accuracy:Q", format=".1%"))
    return (bars + labels).properties(height=240, title="accuracy per class")


def change_chart(frame: pd.DataFrame, names: tuple[str, str]) -> alt.Chart:
    """Per class, how many percentage points run ``names[1]`` gains (or loses) against
    ``names[0]`` (``frame`` from `lab.evaluate.compare`)."""
    return alt.Chart(frame, title=f"{names[1]} against {names[0]}, per class").mark_bar().encode(
        x=alt.X("class:N", sort=list(frame["class"]), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("change (points):Q", title="change (percentage points)"),
        color=alt.Color("verdict:N", scale=VERDICT_COLORS, title=None),
        tooltip=["class", alt.Tooltip(f"accuracy {names[0]}:Q", format=".2%"),
                 alt.Tooltip(f"accuracy {names[1]}:Q", format=".2%"), "change (points)", "verdict"],
    ).properties(height=320)  # Streamlit fits title, axes and bars into this height


def shift_chart(frame: pd.DataFrame, direction: str) -> alt.Chart:
    """Test accuracy against the shift, one line per run (``frame`` from `lab.shift.curves`)."""
    return alt.Chart(frame, title=f"test accuracy of images moved {direction}").mark_line(point=True).encode(
        x=alt.X("shift:Q", title="pixels moved", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="test accuracy"),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="top", labelLimit=400)),
        tooltip=["run", "shift", alt.Tooltip("accuracy:Q", format=".2%")],
    ).properties(height=420)  # Streamlit fits title, legend, axes and lines into this height


def tile(image: np.ndarray, right: bool | None = None, zoom: int = 4) -> np.ndarray:
    """A grey uint8 image enlarged ``zoom`` times (crisp pixels), framed green when the
    network got it right, red when wrong, not at all when ``right`` is None.

    Example:
        >>> tile(np.zeros((28, 28), np.uint8), right=False).shape
        (116, 116, 3)
    """
    big = np.kron(np.asarray(image, np.uint8), np.ones((zoom, zoom), np.uint8))
    rgb = np.repeat(big[..., None], 3, axis=2)
    if right is None:
        return rgb
    framed = np.empty((rgb.shape[0] + 4, rgb.shape[1] + 4, 3), np.uint8)
    framed[:] = RIGHT if right else WRONG
    framed[2:-2, 2:-2] = rgb
    return framed
