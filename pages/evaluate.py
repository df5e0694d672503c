"""Evaluate: what a trained network gets right and wrong on the whole test set."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import streamlit as st

from lab import answers, data
from lab.words import plural
from ui import evaluate as views
from ui import resources, state, upload, widgets
from ui.text import escape

st.title("Evaluate")
st.write("A run's test accuracy is one number. Here are the answers behind it: every test image with what the "
         "network read, which classes it mixes up (the confusion matrix), one image explained number by number, "
         "two runs compared class by class, and what happens when the images are moved a few pixels. Models "
         "can be downloaded, and a Keras model can be uploaded to look at it here and on the Draw page.")

models = resources.models()
runs = resources.runs()
usable = [r for r in runs if answers.looks_at_images(r) and models.has_model(r)]
if not usable:
    st.info("There is no trained model to look at yet. Train a network on MNIST or Fashion-MNIST on the Train "
            "page, or upload a Keras model below.")
    st.page_link("pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
    upload.form("eval_files_upload", picks="eval_run")
    st.stop()

state.chosen_next("eval_run")
run = widgets.run_picker("Run", usable, key="eval_run")
left_out = len(runs) - len(usable)
if left_out:
    st.caption(f"{plural(left_out, 'run')} not listed: without a saved model (failed, or stopped before "
               "its first save) or trained on the XOR table, which has no images.")
try:
    with st.spinner(f"Reading all test images with run {run.id} (once: the answers are kept with the run)..."):
        kept = answers.for_run(run, models)
    ds = data.load(run.dataset)
except (answers.EvaluateError, data.DatasetError) as exc:
    st.error(escape(exc))
    st.stop()
if answers.note(run):
    st.warning(answers.note(run))

c = st.columns(4)
c[0].metric("Test images", f"{len(kept.labels):,}")
c[1].metric("Right", f"{int(kept.correct.sum()):,}")
c[2].metric("Wrong", f"{int((~kept.correct).sum()):,}")
c[3].metric("Accuracy", f"{kept.accuracy:.2%}")

view = st.segmented_control("View", views.VIEWS, default=views.VIEWS[0], required=True, key="eval_view")
if view == "Gallery":
    views.gallery(ds, kept, key="eval_gallery")
elif view == "Confusion matrix":
    views.confusion(ds, kept, key=f"eval_cell_{run.id}")
elif view == "One image":
    views.one_image(ds, kept, key=f"eval_one_{run.id}")
elif view == "Compare two runs":
    views.compare(run, kept, usable, models, ds, key="eval_compare")
elif view == "Shift experiment":
    views.shift_experiment(run, usable, models, ds, key="eval_shift")
else:
    views.model_files(run, key="eval_files")
