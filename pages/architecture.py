"""Architecture: build or change a network and see its shapes and weights."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import pandas as pd
import streamlit as st

from lab import data, editor, spec, summary
from lab.code import keras_code
from ui import state, widgets
from ui.text import escape

st.title("Architecture")
st.write("Start from a classic network or your own, change layers, units and activations, and "
         "see what shape each layer hands to the next and how many weights it learns, with the "
         "arithmetic behind every number, before any training.")

widgets.preset_picker("arch_preset", describe=True)
model, train = state.current()

name = st.text_input("Network name", value=model.name, key=state.key("arch_name", "network"))
dataset = widgets.dataset_select(train, key=state.key("arch_dataset", "network"))

st.subheader("Layers")
st.caption("Edit cells; add a row at the bottom, or select rows and delete them. Only the "
           "columns a layer kind uses matter (Dense: units, activation; Conv2D: filters, kernel, "
           "stride, padding, activation; pooling: pool size, padding; Dropout: rate). Layer 1 is the "
           "top row, as in the table of shapes below.")
editor_key = state.key("arch_layers", "layers")
if state.scratch("arch_base_key") != editor_key:  # the editor's edits apply to the table it started from
    state.keep("arch_base", pd.DataFrame(editor.to_rows(model), columns=editor.COLUMNS).astype(
        dict.fromkeys(editor.NUMBERS, "float64")))
    state.keep("arch_base_key", editor_key)
base = state.scratch("arch_base")
edited = st.data_editor(
    base, num_rows="dynamic", hide_index=True, key=editor_key, placeholder="",  # "layer 2" is the 2nd row
    column_config={
        "kind": st.column_config.SelectboxColumn("layer", options=list(spec.LAYERS), required=True),
        "activation": st.column_config.SelectboxColumn("activation", options=list(spec.ACTIVATIONS)),
        "padding": st.column_config.SelectboxColumn("padding", options=list(spec.PADDINGS)),
        "units": st.column_config.NumberColumn("units"),
        "filters": st.column_config.NumberColumn("filters"),
        "kernel_size": st.column_config.NumberColumn("kernel"),
        "strides": st.column_config.NumberColumn("stride"),
        "pool_size": st.column_config.NumberColumn("pool size"),
        "rate": st.column_config.NumberColumn("rate", format="%.2f"),
        "negative_slope": st.column_config.NumberColumn("slope", format="%.2f"),
    })

try:
    layers, filled = editor.read_rows(list(edited.to_dict("index").items()), base.to_dict("index"))
    model = spec.ModelSpec.from_dict({"name": name, "description": model.description, "layers": layers})
except spec.SpecError as exc:
    st.error(f"{escape(exc)} Fix that cell in the table above.")
    st.stop()
if filled:  # a new or re-kinded row got its kind's defaults: show them in the table
    state.set_model(model)
    state.reset("layers")
    st.rerun()
state.set_model(model)

st.subheader("Optimizer")
new_train = widgets.optimizer_inputs(train, key=state.key("arch", "network"))
if new_train is None:
    st.stop()
train = spec.TrainSpec(**{**new_train.to_dict(), "dataset": dataset})
state.set_train(train)

st.subheader("Shapes and parameters")
table, _ = summary.layer_table(model, data.DATASETS[dataset].input_shape)
st.dataframe(pd.DataFrame([{"#": r.index, "layer": r.layer, "output shape": str(r.output_shape),
                            "parameters": r.params, "where the number comes from": r.formula}
                           for r in table]), hide_index=True,
             column_config={"parameters": st.column_config.NumberColumn(format="localized")})
problems = summary.validate(model, train)
st.metric("Total parameters", "-" if problems else f"{summary.total_params(table):,}")
widgets.show_problems(problems, summary.loss_cautions(model, train))

with st.expander("The same network in Keras code"):
    if not problems:
        st.code(keras_code(model, train, data.DATASETS[dataset].input_shape), language="python")
st.download_button("Download as JSON", spec.dumps(model, train), file_name="network.json",
                   mime="application/json", key="arch_download")
