"""Datasets: what the network will read, before it reads it."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import numpy as np
import pandas as pd
import streamlit as st

from ui import state, widgets
from ui.text import escape
from lab import charts, data

st.title("Datasets")
st.write("What a network is given: arrays of pixel numbers and a label for each. "
         "Look at their shapes, their values before and after scaling, some samples, "
         "how many of each class there are, and a label written as a one-hot vector.")

model, train = state.current()
name = widgets.dataset_select(train, key="ds_name")
info = data.DATASETS[name]
st.caption(info.about)
try:
    ds = data.load(name)
except data.DatasetError as exc:
    st.error(escape(exc))  # paths hold underscores: plain text, not Markdown
    st.stop()
held = len(ds.x_train) + len(ds.x_test)
part = "" if name == "xor" or len(ds.x_train) == info.n_train else f" This copy holds {held:,} of them."
st.caption(escape(f"Loaded from {ds.source}.{part}"))

sample = ds.x_train[:1000]
scaled = ds.scaled(sample)
c = st.columns(2) + st.columns(2)  # two by two: "60000 x 28 x 28" is too wide for a quarter of a projector
c[0].metric("Training set", " x ".join(f"{n:,}" for n in ds.x_train.shape))
c[1].metric("Test set", " x ".join(f"{n:,}" for n in ds.x_test.shape))
c[2].metric("Stored as", f"{ds.x_train.dtype}, {sample.min()} to {sample.max()}")
c[3].metric("Network input", f"float32, {scaled.min():g} to {scaled.max():g}")
scaling = (f"Each value is divided by **{ds.scale:g}** so inputs lie between 0 and 1" if ds.scale != 1 else
           "The values are 0 and 1 already, so the network takes them as they are")
st.write(f"{scaling}; the network's input shape is **{ds.input_shape}**.")

st.subheader("Samples")
if name == "xor":
    st.dataframe(pd.DataFrame({"x1": ds.x_train[:, 0], "x2": ds.x_train[:, 1], "x1 XOR x2": ds.y_train}),
                 hide_index=True)
else:
    start = widgets.index_input("First sample", len(ds.x_train), key="ds_start", step=24,
                                last=len(ds.x_train) - 24)
    if start is not None:
        idx = range(start, start + 24)
        st.image([ds.x_train[i] for i in idx], width=64,
                 caption=[f"{i}: {ds.class_names[ds.y_train[i]]}" for i in idx])

st.subheader("Label counts (training set)")
st.altair_chart(charts.count_chart(ds.y_train, ds.class_names), width="stretch")

st.subheader("One label as a one-hot vector")
i = widgets.index_input("Sample number", len(ds.x_train), key="ds_one")
if i is None:
    st.stop()
label = int(ds.y_train[i])
left, right = st.columns([1, 3])
if name != "xor":
    left.image(np.kron(ds.x_train[i], np.ones((4, 4), np.uint8)), caption=f"label {label}")
else:
    left.write(f"Inputs **{ds.x_train[i][0]}, {ds.x_train[i][1]}**")
named = "" if ds.class_names[label] == str(label) else f" ({ds.class_names[label]})"
right.write(f"Label **{label}**{named} becomes a row with a 1 in place {label}:")
right.dataframe(pd.DataFrame([np.eye(len(ds.class_names), dtype=int)[label]], columns=list(ds.class_names)),
                hide_index=True)
