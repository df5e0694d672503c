"""Upload a Keras model file: checked by `lab.upload`, recorded as a run of this browser's
person, then chosen in the page's run picker."""

from __future__ import annotations

import streamlit as st

from lab import data, upload
from lab.settings import settings
from ui import resources, state
from ui.text import escape

IMAGE_DATASETS = ("mnist", "fashion_mnist")


def form(key: str, picks: str) -> None:
    """A file box, the dataset the model was trained on, a name and a button; the new run is
    chosen in the select box keyed ``picks`` on the next run (`ui.state.chosen_next`)."""
    limit = settings().max_model_mb
    st.caption(f"A model saved with Keras (model.save('name.keras')) that reads 28x28 grey images and answers "
               f"10 classes. Up to {limit:,} MB (LAB_MAX_MODEL_MB). It is opened in Keras' safe mode: a model "
               "with Python code in it (a Lambda layer) is refused, never run. It becomes a run of its own.")
    file = st.file_uploader("Keras model file", type=["keras"], max_upload_size=limit, key=f"{key}_file")
    c = st.columns(2)
    dataset = c[0].selectbox("Trained on", IMAGE_DATASETS, key=f"{key}_dataset",
                             format_func=lambda n: data.DATASETS[n].title)
    name = c[1].text_input("Name it (default: the file name)", key=f"{key}_name", max_chars=upload.MAX_NAME)
    if not st.button("Add it as a run", disabled=file is None, key=f"{key}_go"):
        return
    me = state.me()
    try:
        with st.spinner("Checking the model and reading the whole test set with it..."):
            run_id = upload.receive(file.getvalue(), file.name, dataset, resources.store(), resources.models(),
                                    owner=me.name, owner_id=me.id, name=name)
    except (upload.UploadError, data.DatasetError) as exc:
        st.error(escape(exc))
        return
    state.choose_next(picks, run_id)
    st.toast(f"The model is now run {run_id}.")
    st.rerun()
