"""The inputs of a sweep: one or two settings, their values, the seeds."""

from __future__ import annotations

import streamlit as st

from lab import sweeps
from lab.settings import settings
from lab.spec import ModelSpec
from ui import widgets
from ui.text import escape

EXAMPLES = {"learning_rate": "0.001, 0.01, 0.1", "batch_size": "32, 128", "epochs": "2, 5",
            "optimizer": "adam, sgd, rmsprop", "units": "8, 32, 128", "filters": "8, 32",
            "rate": "0, 0.2, 0.5"}


def axes(model: ModelSpec) -> list[sweeps.Axis] | None:
    """Two columns of inputs; the axes they describe, or None with the messages shown."""
    found, ok = [], True
    for i, column in enumerate(st.columns(2), start=1):
        with column:
            names = ([] if i == 1 else [None]) + list(sweeps.SETTINGS)
            setting = st.selectbox(f"Setting {i}", names, key=f"sweep_setting_{i}",
                                   format_func=lambda n: "(none)" if n is None else sweeps.SETTINGS[n].label)
            if setting is None:
                continue
            layer = None
            places = sweeps.layers_for(model, setting)
            if sweeps.SETTINGS[setting].layer_kind:
                if not places:
                    st.error(f"This network has no {sweeps.SETTINGS[setting].layer_kind} layer to vary.")
                    ok = False
                    continue
                layer = st.selectbox("Layer", places, key=f"sweep_layer_{i}",
                                     format_func=lambda n: f"layer {n}: {model.layers[n - 1].label()}")
            text = st.text_input("Values, separated by commas", value=EXAMPLES[setting],
                                 key=f"sweep_values_{i}_{setting}")
            try:
                found.append(sweeps.Axis(setting, sweeps.parse_values(setting, text, settings().max_sweep), layer))
            except sweeps.SweepError as exc:
                st.error(escape(exc))
                ok = False
    return found if ok else None


def seeds(first: int) -> list[int] | None:
    """How many times each point is trained, from seed ``first`` on; None (message shown)
    when the number cannot be used."""
    n = widgets.whole("Seeds per point", 2, 1, "sweep_seeds",
                      help="Each point is trained this many times from different random starts, "
                           "so the chart shows how much luck there is in one result.")
    if n is None:
        return None
    if n < 1:
        st.error(f"Seeds per point is {n}: train each point at least once.")
        return None
    most = settings().max_sweep
    if n > most:
        st.error(f"Seeds per point is {n:,}: a sweep may queue at most {most:,} runs (LAB_MAX_SWEEP), so use "
                 f"at most {most:,} seeds, fewer with several values.")
        return None
    return [first + i for i in range(n)]
