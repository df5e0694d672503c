"""The Evaluate page's views of one run's test answers: the gallery, the confusion matrix,
one image explained, two runs compared, the shift experiment, the model files. Each
view reads `lab.evaluate` (or `lab.shift`) and draws; widget keys start with ``key``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lab import answers, data, evalcharts, evaluate, shift
from lab.artifacts import ModelFiles
from lab.answers import Predictions
from lab.records import RunRecord
from lab.words import plural
from ui import state, upload, widgets
from ui.text import escape

VIEWS = ("Gallery", "Confusion matrix", "One image", "Compare two runs", "Shift experiment", "Model files")


def images(ds: data.Dataset, index: np.ndarray, captions: list[str], right: np.ndarray | None = None) -> None:
    """Test images ``index`` as tiles with their titles; framed green where ``right`` is
    true and red where it is false (no frames without ``right``)."""
    if len(index):
        st.image([evalcharts.tile(ds.x_test[i], None if right is None else bool(right[i])) for i in index],
                 width=150, caption=captions)


def paged(ds: data.Dataset, p: Predictions, index: np.ndarray, key: str) -> None:
    """``index`` as framed, titled tiles, `lab.evaluate.PER_PAGE` to a page."""
    count = evaluate.pages(len(index))
    number = st.pagination(count, key=f"{key}_{count}") if count > 1 else 1
    shown = evaluate.page(index, number)
    images(ds, shown, [evaluate.caption(p, i) for i in shown], p.correct)


def gallery(ds: data.Dataset, p: Predictions, key: str) -> None:
    """All test images, the wrong ones, or one class; sorted and paged."""
    c = st.columns(3)
    show = c[0].selectbox("Show", ["all", "wrong", "class"], key=f"{key}_show", format_func=lambda s: {
        "all": "all test images", "wrong": "only the wrong answers", "class": "one class"}[s])
    if show == "class":
        show = c[1].selectbox("Class", range(p.n_classes), key=f"{key}_class", format_func=lambda i: p.class_names[i])
    order = c[2].selectbox("Order", evaluate.ORDERS, key=f"{key}_order")
    index = evaluate.gallery(p, show, order)
    st.caption(f"{len(index):,} test images; a green frame is a right answer, a red one a wrong answer.")
    paged(ds, p, index, f"{key}_page_{show}_{order}")


def confusion(ds: data.Dataset, p: Predictions, key: str) -> None:
    """The confusion matrix; a clicked cell (or the two boxes under it) shows its images."""
    as_shares = st.toggle("Shares of each true class instead of counts", key=f"{key}_shares")
    true_key, given_key = f"{key}_true", f"{key}_given"
    worst = evaluate.worst_cell(p)
    state.choose_first(true_key, worst[0])
    state.choose_first(given_key, worst[1])
    chosen = (state.widget(true_key), state.widget(given_key))
    chart_key = f"{key}_chart_{chosen[0]}_{chosen[1]}"  # a new chart after each choice: every click counts

    def clicked():
        points = state.widget(chart_key)["selection"][evalcharts.CELL]
        if points:
            state.choose(true_key, int(points[0]["true"]))
            state.choose(given_key, int(points[0]["given"]))

    matrix = evaluate.confusion(p.labels, p.predicted, p.n_classes)
    st.altair_chart(evalcharts.confusion_chart(matrix, p.class_names, as_shares, chosen), key=chart_key,
                    on_select=clicked, selection_mode=evalcharts.CELL, width="stretch")
    c = st.columns(2)
    true = c[0].selectbox("True class", range(p.n_classes), key=true_key, format_func=lambda i: p.class_names[i])
    given = c[1].selectbox("Predicted class", range(p.n_classes), key=given_key, format_func=lambda i: p.class_names[i])
    index = evaluate.cell(p, true, given)
    st.caption(f"Click a cell to see its images. {len(index):,} test images of class {p.class_names[true]} were "
               f"read as {p.class_names[given]}" + (":" if len(index) else "."))
    paged(ds, p, index, f"{key}_page_{true}_{given}")
    st.altair_chart(evalcharts.class_accuracy_chart(evaluate.class_accuracy(p)), width="stretch")


def one_image(ds: data.Dataset, p: Predictions, key: str) -> None:
    """One test image, its ten probabilities, the largest, and the answer in a sentence."""
    i = widgets.index_input("Test image number (the # in the gallery's titles)", len(p.labels), key=key,
                            start=int(evaluate.gallery(p)[0]))  # the most confidently wrong one, to start with
    if i is None:
        return
    left, right = st.columns([1, 2])
    left.image(evalcharts.tile(ds.x_test[i], bool(p.correct[i]), zoom=8), caption=evaluate.caption(p, i))
    with right:
        widgets.answer(p.probs[i], p.class_names)
    st.write(evaluate.explain(p.probs[i], p.class_names, int(p.labels[i])))
    st.dataframe(pd.DataFrame([p.probs[i]], columns=list(p.class_names)).style.format("{:.3f}").highlight_max(
        axis=1, color="#f4c7c3"), hide_index=True)


def compare(run: RunRecord, p: Predictions, runs: list[RunRecord], models: ModelFiles, ds: data.Dataset,
            key: str) -> None:
    """Run ``run`` against another run on the same dataset, class by class."""
    others = [r for r in runs if r.id != run.id and r.dataset == run.dataset]
    if not others:
        st.info(f"No other run on {ds.name} has a saved model to compare with: train another network first.")
        return
    other = widgets.run_picker("Compare with", others, key=f"{key}_other")
    try:
        with st.spinner(f"Computing the answers of run {other.id} on the test set..."):
            q = answers.for_run(other, models)
    except (answers.EvaluateError, data.DatasetError) as exc:
        st.error(escape(exc))
        return
    names = (f"run {run.id}", f"run {other.id}")
    table = evaluate.compare(p, q, names)
    c = st.columns(3)
    c[0].metric(f"Run {run.id}", f"{p.accuracy:.2%}")
    c[1].metric(f"Run {other.id}", f"{q.accuracy:.2%}", f"{(q.accuracy - p.accuracy) * 100:+.2f} points")
    c[2].metric("Classes better / worse", f"{(table['verdict'] == 'better').sum()} / {(table['verdict'] == 'worse').sum()}")
    st.altair_chart(evalcharts.change_chart(table, names), width="stretch")
    st.dataframe(table, hide_index=True, column_config={
        f"accuracy {n}": st.column_config.NumberColumn(format="percent") for n in names})
    for mine, theirs, index in zip(names, reversed(names), evaluate.disagreements(p, q)):
        st.write(f"**{len(index):,}** test images {mine} gets right and {theirs} gets wrong"
                 + (" (the surest wrong answers first):" if len(index) else "."))
        shown = index[:evaluate.PER_PAGE]
        images(ds, shown, [evaluate.caption_two(p, q, i, names) for i in shown])


def shift_experiment(run: RunRecord, runs: list[RunRecord], models: ModelFiles, ds: data.Dataset, key: str) -> None:
    """Test accuracy against a shift of the images, for several runs, and one digit moved."""
    same = {r.id: r for r in runs if r.dataset == run.dataset}
    chosen = st.multiselect("Runs", list(same), default=[run.id, *[i for i in same if i != run.id][:1]],
                            key=f"{key}_runs", format_func=lambda i: widgets.run_label(same[i]))
    c = st.columns(3)
    direction = c[0].selectbox("Direction", list(shift.DIRECTIONS), key=f"{key}_direction")
    largest = widgets.whole("Largest shift (pixels)", shift.LARGEST, 1, f"{key}_largest", c[1])
    count = c[2].selectbox("Test images for each point", [n for n in shift.SAMPLES if n <= len(ds.y_test)] or
                           [len(ds.y_test)], index=1 if len(ds.y_test) >= 1000 else 0, key=f"{key}_count")
    if largest is None:
        return
    try:
        largest = shift.check(largest, min(ds.x_test.shape[1:]))
    except shift.ShiftError as exc:
        st.error(escape(exc))
        return
    asked = (tuple(chosen), direction, largest, count)
    if st.button("Run the shift experiment", type="primary", disabled=not chosen, key=f"{key}_go"):
        state.keep(key, asked)
    if state.scratch(key) != asked:
        st.caption("Choose runs and press the button: each run reads every chosen test image moved by 0, 1, 2, ... "
                   "pixels (moved, not re-centred).")
        return
    picked = [same[i] for i in chosen]
    try:
        with st.spinner(f"Moving {count:,} test images up to {largest} pixels for {plural(len(picked), 'run')}..."):
            frame = shift.curves(picked, models, direction, largest, count)
    except (shift.ShiftError, answers.EvaluateError, data.DatasetError) as exc:
        st.error(escape(exc))
        return
    st.altair_chart(evalcharts.shift_chart(frame, direction), width="stretch")
    st.dataframe(frame.pivot(index="run", columns="shift", values="accuracy"), column_config={
        str(k): st.column_config.NumberColumn(f"{k} px", format="percent") for k in range(largest + 1)})
    i = widgets.index_input("One test image, moved step by step: image number", len(ds.y_test), key=f"{key}_image")
    if i is not None:
        moved, captions = shift.example(picked, models, i, direction, largest)
        st.image([evalcharts.tile(m, zoom=3) for m in moved], caption=captions, width=110)


def model_files(run: RunRecord, key: str) -> None:
    """Downloads of the run's files, and an upload that records a model as a new run."""
    widgets.model_downloads(run, key, heading=f"Download run {run.id}")
    st.subheader("Upload a model")
    upload.form(f"{key}_upload", picks="eval_run")
