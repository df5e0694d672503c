"""Architecture: build or change a network and see its shapes and weights."""

import pandas as pd
import streamlit as st

import ui
from lab import data, spec, summary
from lab.build import keras_code

st.title("Architecture")
st.write("Start from a classic network or your own, change layers, units and activations, and "
         "see what shape each layer hands to the next and how many weights it learns, with the "
         "arithmetic behind every number, before any training.")

choice = ui.preset_picker("arch_preset")
model, train = ui.current()
st.caption(ui.presets()[choice].model.description)

version = ui.version()
name = st.text_input("Network name", value=model.name, key=f"arch_name_{version}")
dataset = ui.dataset_select(train, key=f"arch_dataset_{version}")

st.subheader("Layers")
st.caption("Edit cells; add a row at the bottom, or select rows and delete them. Only the "
           "columns a layer kind uses matter (Dense: units, activation; Conv2D: filters, kernel, "
           "stride, padding, activation; pooling: pool size, padding; Dropout: rate).")
COLUMNS = ["kind", "units", "filters", "kernel_size", "strides", "pool_size", "padding",
           "activation", "rate", "negative_slope"]
editor_key = f"arch_layers_{version}"
if editor_key not in st.session_state:  # the editor's edits apply to the base it started from
    st.session_state["arch_base"] = pd.DataFrame(
        [{c: layer.used().get(c) for c in COLUMNS} for layer in model.layers], columns=COLUMNS)
edited = st.data_editor(
    st.session_state["arch_base"], num_rows="dynamic", hide_index=False, key=editor_key, placeholder="",
    column_config={
        "kind": st.column_config.SelectboxColumn("layer", options=list(spec.LAYERS), required=True),
        "activation": st.column_config.SelectboxColumn("activation", options=list(spec.ACTIVATIONS)),
        "padding": st.column_config.SelectboxColumn("padding", options=list(spec.PADDINGS)),
        "units": st.column_config.NumberColumn("units", step=1),
        "filters": st.column_config.NumberColumn("filters", step=1),
        "kernel_size": st.column_config.NumberColumn("kernel", step=1),
        "strides": st.column_config.NumberColumn("stride", step=1),
        "pool_size": st.column_config.NumberColumn("pool size", step=1),
        "rate": st.column_config.NumberColumn("rate", format="%.2f"),
        "negative_slope": st.column_config.NumberColumn("slope", format="%.2f"),
    })

rows = [{k: v for k, v in row.items() if not pd.isna(v)} for row in edited.to_dict("records")]
try:
    model = spec.ModelSpec.from_dict({"name": name, "description": model.description,
                                      "layers": [r for r in rows if r.get("kind")]})
except spec.SpecError as exc:
    st.error(f"{exc} Fix that cell in the table above.")
    st.stop()
st.session_state["model_spec"] = model

st.subheader("Optimizer")
new_train = ui.optimizer_inputs(train, key=f"arch_{version}")
if new_train is None:
    st.stop()
train = spec.TrainSpec(**{**new_train.to_dict(), "dataset": dataset})
ui.set_train(train)

st.subheader("Shapes and parameters")
table, _ = summary.layer_table(model, data.DATASETS[dataset].input_shape)
st.dataframe(pd.DataFrame([{"#": r.index, "layer": r.layer, "output shape": str(r.output_shape),
                            "parameters": r.params, "where the number comes from": r.formula}
                           for r in table]), hide_index=True,
             column_config={"parameters": st.column_config.NumberColumn(format="localized")})
problems = summary.validate(model, train)
st.metric("Total parameters", "-" if problems else f"{summary.total_params(table):,}")
ui.show_problems(problems)

with st.expander("The same network in Keras code"):
    if not problems:
        st.code(keras_code(model, train, data.DATASETS[dataset].input_shape), language="python")
st.download_button("Download as JSON", spec.dumps(model, train), file_name="network.json",
                   mime="application/json", key="arch_download")
