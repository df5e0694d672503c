"""Results: every run, what it was and what it scored; compare runs."""

import pandas as pd
import streamlit as st

from lab import charts, results
from ui import resources, state

st.title("Results")
st.write("Every training run is recorded here: which network, which activations, how many "
         "epochs, your comment and the accuracy it reached, plus everything needed to rebuild "
         "it. Write comments in the table; they are saved at once.")
store = resources.store()
table = results.table(resources.runs())
if table.empty:
    st.info("No runs recorded yet. Train a network on the Train page.")
    st.stop()

edited = st.data_editor(  # a new key after each save: old edits must not be written again
    table, hide_index=True, key=state.key("results_table", "results"),
    disabled=[c for c in table.columns if c != "comment"],
    column_config={
        "accuracy": st.column_config.NumberColumn("accuracy", format="percent",
                                                  help="Test accuracy (validation accuracy if not tested)"),
        "val accuracy": st.column_config.NumberColumn(format="percent"),
        "train accuracy": st.column_config.NumberColumn(format="percent"),
        "parameters": st.column_config.NumberColumn(format="localized"),
        "duration (s)": st.column_config.NumberColumn(format="%.1f"),
        "comment": st.column_config.TextColumn("comment", max_chars=500),
    })
changes = results.changed_comments(table, edited)
for run_id, comment in changes.items():
    store.set_comment(run_id, comment)
    st.toast(f"Comment of run {run_id} saved.")
if changes:
    state.reset("results")
    st.rerun()
st.download_button("Download as CSV", results.csv(table), "runs.csv", "text/csv", key="results_csv")

st.subheader("Compare runs")
picked = st.multiselect("Runs", list(table["run"]), default=list(table["run"][:3]), key="results_pick")
if picked:
    epochs = pd.DataFrame([{**vars(e), "run": f"run {rid}"} for rid in picked for e in store.epochs(rid)])
    if epochs.empty:
        st.caption("These runs have no finished epochs.")
    else:
        metric = st.radio("Metric", ["val_accuracy", "accuracy", "val_loss", "loss"], horizontal=True,
                          key="results_metric")
        st.altair_chart(charts.compare_chart(epochs.dropna(subset=[metric]), metric), width="stretch")
    st.dataframe(results.side_by_side(table, picked), width="stretch")
