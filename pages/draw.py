"""Draw: write a digit and see what a trained network reads."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from lab import charts, data, predict
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
run = widgets.run_picker("Model", runs, key="draw_model")
class_names = data.DATASETS[run.dataset].class_names

left, mid, right = st.columns([1.2, 0.8, 1.6])
with left:
    st.caption("Draw one digit here")
    canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000",
                       height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                       key=state.key("canvas", "canvas"))
    if st.button("Clear", key="draw_clear"):
        state.reset("canvas")
        st.rerun()
    upload = st.file_uploader("...or upload a picture", type=["png", "jpg", "jpeg"], key="draw_upload")

try:
    image = predict.from_upload(upload.getvalue()) if upload else predict.from_canvas(canvas.image_data)
except (predict.EmptyImage, predict.BadImage) as exc:
    mid.info(str(exc))
    st.stop()

path = models.locate(run)
try:
    model = predict.load_model(str(path), path.stat().st_mtime)
    probs = predict.probabilities(model, image)
except (predict.BadModel, ValueError) as exc:  # say which file, what is wrong, what to do
    st.error(escape(f"The model of run {run.id} ({path}) cannot be used: {exc} "
                    "Train the run again or pick another."))
    st.stop()
mid.image(np.kron((image * 255).astype(np.uint8), np.ones((6, 6), np.uint8)),
          caption="what the network receives (28x28)")
best = int(np.argmax(probs))
right.metric("The network reads", class_names[best], f"{probs[best]:.1%} sure", delta_color="off",
             delta_arrow="off")
right.altair_chart(charts.probability_chart(probs, class_names), width="stretch")
