"""Inside the network: XOR by hand, how often a network learns, a dense network step by
step, and what a CNN sees."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import streamlit as st

from ui import cnn_maps, dense_steps, state, trials, xor_lab

st.title("Inside the network")
st.write("Open trained networks up. Every number here comes from a real model trained in this lab, "
         "with the arithmetic behind it: the weights and biases of the XOR network and one input "
         "followed through it by hand, how often a network of a given size learns at all, the values "
         "each layer of a dense network computes for one image, and the feature maps a convolutional "
         "network makes of it.")
me = state.me()

VIEWS = {
    "XOR by hand": xor_lab.show,
    "How often does it learn?": trials.experiment,
    "A dense network, step by step": dense_steps.show,
    "What a CNN sees": cnn_maps.show,
}
# Only the open tab runs (on_change="rerun"): a view trains or computes only when it is looked at.
for tab, show in zip(st.tabs(list(VIEWS), key="inside_view", on_change="rerun"), VIEWS.values()):
    if tab.open:
        with tab:
            show(me)
