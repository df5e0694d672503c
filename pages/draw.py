"""Draw: write a digit and see what a trained network reads."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from lab import data, predict
from ui import resources, state, widgets
from ui.text import escape

st.title("Draw and predict")
st.write("Draw a digit with the mouse (or upload a photo of one). The lab turns it into the "
         "28x28 grey image the network was trained on, white on black and centred like MNIST, "
         "and shows the network's probability for each class.")

models = resources.models()
runs = [r for r in resources.runs() if models.has_model(r) and predict.draws_for(r.dataset)]
if not runs:
    st.info("There is no trained model yet. Train a network on MNIST on the Train page, then "
            "come back here to draw for it.")
    st.page_link("pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
    st.stop()
c = st.columns([3, 2])
with c[0]:
    run = widgets.run_picker("Model", runs, key="draw_model")
others = [r for r in runs if r.id != run.id and r.dataset == run.dataset]
with c[1]:  # beside the first model, not a new row: the canvas below keeps its place, and its drawing
    compare = st.toggle("Compare with a second model", key="draw_compare", disabled=not others,
                        help="Both networks read the same drawing." if others else "No other model of this dataset.")
    second = widgets.run_picker("Second model", others, key="draw_model_b") if compare and others else None
class_names = data.DATASETS[run.dataset].class_names

left, mid, right = st.columns([1.4, 0.8, 1.5])  # the 280 px canvas fits its column from a 1280 px window
with left:
    st.caption("Draw one digit here")
    canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000",
                       height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                       key=state.key("canvas", "canvas"))
    if st.button("Clear", key="draw_clear"):
        state.reset("canvas")
        st.rerun()
    upload = st.session_state.get("draw_upload")  # known before the switch below it is drawn
    centre = st.toggle("Centre my drawing like MNIST", value=True, key="draw_centre", disabled=upload is not None,
                       help="MNIST digits are scaled to fit a 20x20 box and centred. Turn this off to give "
                            "the network the canvas as drawn: draw in a corner and watch the answer change. "
                            "An uploaded picture is always centred.")
    upload = st.file_uploader("...or upload a picture", type=["png", "jpg", "jpeg"], key="draw_upload")
    if upload:
        st.caption("The network reads the uploaded picture, not the canvas. Remove the picture (its ×) "
                   "to read the canvas again.")

try:
    image = predict.from_upload(upload.getvalue()) if upload else predict.from_canvas(canvas.image_data, centre)
except (predict.EmptyImage, predict.BadImage) as exc:
    mid.info(str(exc))
    st.stop()


def read(run):
    """The run's probabilities for the image; stops the page with a message when its model cannot be used."""
    path = models.locate(run)
    try:
        return predict.probabilities(predict.load_model(str(path), path.stat().st_mtime), image)
    except (predict.BadModel, ValueError) as exc:  # say which file, what is wrong, what to do
        st.error(escape(f"The model of run {run.id} ({path}) cannot be used: {exc} "
                        "Train the run again or pick another."))
        st.stop()


probs = read(run)
mid.image(np.kron((image * 255).astype(np.uint8), np.ones((6, 6), np.uint8)),
          caption="what the network receives (28x28)")
with right:
    widgets.answer(probs, class_names, "The network reads" if second is None else f"Run {run.id} reads")
    if second is not None:
        widgets.answer(read(second), class_names, f"Run {second.id} reads")
st.caption("Upload a Keras model of your own on the Evaluate page: it then appears here too.")
