"""A dense network on one image, step by step: the pixels, each layer's values, the answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lab import charts, data, inside, inside_charts
from lab.records import Person
from ui import inside_inputs
from ui.text import escape


def show(me: Person) -> None:
    """The tab: pick a Flatten/Dense/Dropout network and an image, see every number it computes."""
    st.write("A dense network reads an image as one long row of 784 numbers. Each Dense layer "
             "multiplies that row by its weights, adds its biases and applies its activation; the last "
             "layer gives one score per class, and softmax turns the scores into probabilities. Every "
             "value below is computed by hand (NumPy) from the model's own weights.")
    run = inside_inputs.pick("Network", "dense_run", lambda r: inside.dense_only(r.spec_json),
                             "train a dense network (for example the workshop 16-16-10) on the Train "
                             "page.")
    if run is None:
        return
    opened = inside_inputs.opened(run, inside.check, inside.InsideError, key="dense", say=st.warning)
    if opened is None:
        return
    model, _, _, image, label, caption = opened
    try:
        walk = inside.walk(model, image)
    except inside.InsideError as exc:
        st.error(escape(f"Run {run.id}: {exc}"))
        return

    left, right = st.columns([1, 5])
    left.image(np.kron((image * 255).astype(np.uint8), np.ones((5, 5), np.uint8)), caption=caption)
    with right:
        st.markdown("**The input, flattened**: the 28 rows of pixels one after another, 784 numbers "
                    "(0 is black, 1 is white). Hover to read one.")
        st.altair_chart(inside_charts.strip_chart(walk.inputs, "784 inputs"), width="stretch")
    for layer in walk.layers[:-1]:
        n = len(layer.after)
        st.markdown(f"**Layer {layer.position}, {layer.label}**: {n} sums (inputs x weights + bias), "
                    f"then {layer.activation}; these {n} values are what the next layer reads.")
        st.altair_chart(inside_charts.strip_chart(layer.after, f"{n} activations of layer {layer.position}"),
                        width="stretch")
    for note in walk.skipped:
        st.caption(note)

    last = walk.layers[-1]
    names = data.DATASETS[run.dataset].class_names if run.dataset in data.DATASETS else tuple(
        str(i) for i in range(len(walk.outputs)))
    st.markdown(f"**The output layer, {last.label}**: one score per class, before and after "
                f"{last.activation}.")
    left, right = st.columns([2, 3])
    left.dataframe(pd.DataFrame({"class": names, f"before {last.activation}": last.before,
                                 f"after {last.activation}": last.after}), hide_index=True,
                   column_config={f"before {last.activation}": st.column_config.NumberColumn(format="%.3f"),
                                  f"after {last.activation}": st.column_config.NumberColumn(format="%.4f")})
    right.altair_chart(charts.probability_chart(walk.outputs, names), width="stretch")
    st.info(inside.sentence(walk, names, label))
    st.caption(f"Computed by hand from the weights; the model's own outputs differ from these by at most "
               f"{walk.difference:.1e}.")
