"""Results: every run, what it was and what it scored; filter, tag, compare, share."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import pandas as pd
import streamlit as st

from lab import charts, results
from lab.data import DATASETS
from lab.words import plural
from ui import resources, run_panel, state, trials, widgets

st.title("Results")
st.write("Every training run is recorded here: which network, which activations, how many epochs, "
         "the accuracy it reached and its best validation epoch, plus everything needed to rebuild "
         "it. Filter the table, click a row to comment, tag, hide, share or run it again, and compare "
         "runs below.")
store, me = resources.store(), state.me()
runs, tags = resources.runs(), store.tags()
if not runs:
    st.info("No runs recorded yet. Train a network on the Train page.")
    st.stop()

shown = results.filter_runs(runs, tags, widgets.result_filters(runs, tags, store.sweeps()))
table = results.table(shown, store.best_epochs(), tags)
st.caption(f"{plural(len(shown), 'run')} shown of {len(runs)}. Click a column header to sort.")
widgets.run_table(table, key="results_grid")
st.download_button("Download as CSV", results.csv(table), "runs.csv", "text/csv", key="results_csv")

by_id = {r.id: r for r in shown}
if by_id:
    st.subheader("One run")
    run = widgets.run_picker("Run", list(by_id.values()), key="results_run")
    run_panel.show(run, tags.get(run.id, []), me)
    widgets.model_downloads(run, key="results_files", heading=f"Download run {run.id}")

st.subheader("Compare runs")
picked = st.multiselect("Runs", list(table["run"]), default=results.compare_first(table), key="results_pick")
if picked:
    mixed = results.datasets_of(table, picked)
    if len(mixed) > 1:
        st.warning(f"These runs were trained on different datasets ({', '.join(DATASETS[d].title for d in mixed)}): "
                   "their accuracies and losses do not compare. Pick runs of one dataset.")
    epochs = pd.DataFrame([{**vars(e), "run": f"run {rid}"} for rid in picked for e in store.epochs(rid)])
    if epochs.empty:
        st.caption("These runs have no finished epochs.")
    else:
        metric = st.radio("Metric", list(charts.EPOCH_METRICS), horizontal=True, key="results_metric",
                          format_func=charts.EPOCH_METRICS.get)
        st.altair_chart(charts.compare_chart(epochs.dropna(subset=[metric]), metric), width="stretch")
    st.dataframe(results.side_by_side(table, picked), width="stretch")

st.subheader("Many runs at once")
groups = results.comparable(table)
if len(groups) > 1:
    name = st.selectbox("Dataset", list(groups), key="results_many_dataset", format_func=lambda d: DATASETS[d].title,
                        help="Accuracies on different datasets do not compare: one dataset at a time.")
    tested = groups[name]
else:
    tested = next(iter(groups.values()), table.iloc[:0])
dims = results.differing_settings(tested) + ["accuracy"]
if len(tested) < 2:
    st.caption("Two or more tested runs trained here on one dataset are needed for this view (uploaded models "
               "have no settings to compare).")
else:
    st.caption(f"The settings that differ between these runs: {', '.join(dims[:-1])}.")
    event = st.altair_chart(charts.parallel_chart(tested, dims, log_dims=("learning rate", "parameters")),
                            width="stretch", on_select="rerun", key="results_many")
    chosen = [p["run"] for p in event.selection.get("pick", [])] if event else []
    if chosen:
        history = store.epochs(int(chosen[0]))
        st.caption(f"Run {chosen[0]}, epoch by epoch:")
        c = st.columns(2)
        c[0].vega_lite_chart(charts.epoch_chart(history, "accuracy"), width="stretch")
        c[1].vega_lite_chart(charts.epoch_chart(history, "loss"), width="stretch")

trials.recorded()  # the recorded "How often does it learn?" studies (Inside the network)
