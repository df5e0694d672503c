"""What a CNN sees: the feature maps of every Conv2D and pooling layer, and the first filters."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lab import feature_maps, predict
from lab.records import Person
from ui import inside_inputs
from ui.text import escape

WIDTH = 330  # pixels each grid is drawn at


def show(me: Person) -> None:
    """The tab: pick a CNN and an image; one forward pass gives every layer's maps."""
    st.write("A convolution slides small filters over the image; each filter makes one feature map, "
             "bright where its pattern is found. Pooling keeps the strongest value of each 2x2 patch, "
             "halving the map. Below, every map of every Conv2D and pooling layer for one image "
             "(each layer's maps share one brightness scale: black is 0, white its largest value).")
    run = inside_inputs.pick("Network", "cnn_run", lambda r: "Conv2D" in inside_inputs.kinds(r),
                             "train a CNN (for example the Conv 32-64-64 preset) on the Train page.")
    if run is None:
        return
    opened = inside_inputs.opened(run, feature_maps.check, feature_maps.NoMaps, key="cnn")
    if opened is None:
        return
    model, path, mtime, image, label, caption = opened
    try:
        layers = feature_maps.maps(str(path), mtime, image)
        kernel = feature_maps.first_filters(model)
    except (feature_maps.NoMaps, predict.BadModel) as exc:
        st.error(escape(f"Run {run.id}: {exc}"))
        return

    left, right = st.columns([1, 3])
    left.image(np.kron((image * 255).astype(np.uint8), np.ones((5, 5), np.uint8)), caption=caption)
    k, _, channels, filters = kernel.shape
    right.image(feature_maps.mosaic(kernel[:, :, 0, :], fit=WIDTH, centred=True),
                caption=f"the {filters} learned filters of the first Conv2D layer, {k}x{k} each "
                        f"(grey is 0, white positive, black negative weights)")
    if channels > 1:
        right.caption(f"Shown for input channel 1 of {channels}.")
    for row in range(0, len(layers), 3):
        cols = st.columns(3)
        for col, layer in zip(cols, layers[row:row + 3]):
            h, w, c = layer.shape
            col.image(feature_maps.mosaic(layer.values, fit=WIDTH),
                      caption=f"layer {layer.position}, {layer.kind}: output shape {layer.shape}, "
                              f"{c} maps of {h}x{w}")
