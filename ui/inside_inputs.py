"""The inputs of the views that look inside a network: which run, its model, which image.

Each view of the Inside the network page picks a run from every recorded run
(the ones it can open first), loads its model through `lab.predict.load_model`
(cached, safe mode) and says in a sentence why it cannot when it cannot: the
run has not trained yet, diverged, lost its file, or the file is damaged.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from lab import data, inside, predict
from lab.jobs.view import why_not_continued
from lab.records import RunRecord, Status
from lab.words import with_article
from ui import resources, state, widgets
from ui.text import escape


def describe(run: RunRecord) -> str:
    """A run as the pickers list it: the usual label, plus its status when it is not finished."""
    status = "" if run.status == Status.FINISHED else f" ({run.status})"
    return f"{widgets.run_label(run)}{status}"


def pick(label: str, key: str, fits: Callable[[RunRecord], bool], hint: str) -> RunRecord | None:
    """A select box over every recorded run: first the ones ``fits`` accepts that have a
    trained model to open, then the rest it accepts (training, stopped before a save), then
    the others (newest first in each group). None, with a message ending in ``hint`` (what
    to train), when there are no runs, or when none fits and none is chosen yet: the view
    does not open on a run it cannot show."""
    runs = resources.runs()
    if not runs:
        st.info(f"No runs yet: {hint}")
        return None
    models = resources.models()
    opens = {r.id for r in runs if fits(r) and not r.status.active and models.has_model(r)}
    ordered = sorted(runs, key=lambda r: (r.id not in opens, not fits(r)))  # stable: newest first in each
    chosen = widgets.run_picker(label, ordered, key=key, describe=describe, blank=not fits(ordered[0]))
    if chosen is None:
        st.info(f"No run fits this view yet: {hint}")
    return chosen


def kinds(run: RunRecord) -> list[str]:
    """The layer kinds recorded with a run (from its spec), without opening its model file."""
    return inside.spec_kinds(run.spec_json)


def load(run: RunRecord):
    """The trained model of ``run`` with its file's path and mtime, or None after a message
    saying why there is none to look at."""
    models = resources.models()
    if run.status.active:
        st.info(f"Run {run.id} is {run.status}: there is nothing inside to look at until it has "
                "trained. It appears here when it ends.")
        return None
    path = models.locate(run)
    if path is None:
        why = why_not_continued(run, has_model=False) or f"Run {run.id} has no model file."
        st.warning(escape(f"{why} There is no trained model to look inside; pick another run."))
        return None
    try:
        mtime = path.stat().st_mtime
        return predict.load_model(str(path), mtime), path, mtime
    except (predict.BadModel, OSError) as exc:
        st.error(escape(f"The model of run {run.id} ({path.name}) cannot be used: {exc} Train the run "
                        "again, or pick another."))
        return None


def image(run: RunRecord, key: str) -> tuple[np.ndarray, int | None, str] | None:
    """A 28x28 image for the network to read: a test image from the run's dataset, or a digit
    drawn here (kept for the session). Returns (image in 0..1, its label or None, a caption),
    or None after a message."""
    source = st.radio("Image", ["a test image", "a drawing"], horizontal=True, key=f"{key}_source")
    if source == "a test image":
        try:
            ds = data.load(run.dataset)
        except (data.DatasetError, KeyError) as exc:
            st.error(escape(f"The test images of run {run.id} cannot be loaded: {exc}"))
            return None
        i = widgets.index_input("Test image number", len(ds.x_test), key=f"{key}_index")
        if i is None:
            return None
        label = int(ds.y_test[i])
        return ds.scaled(ds.x_test[i:i + 1]).reshape(ds.x_test.shape[1:]), label, \
            f"test image {i}: {with_article(ds.class_names[label])}"
    st.caption("Draw one digit, white on black, with space around it.")
    canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", height=196,
                       width=196, drawing_mode="freedraw", return_image_data=True,
                       key=state.key(f"{key}_canvas", "canvas"))
    if st.button("Clear", key=f"{key}_clear"):
        state.set_drawing(None)
        state.reset("canvas")
        st.rerun()
    try:
        state.set_drawing(predict.from_canvas(canvas.image_data))
        caption = "your drawing, as the network receives it (28x28)"
    except predict.EmptyImage as exc:
        if state.drawing() is None:
            st.info(str(exc))
            return None
        caption = "your last drawing, as the network receives it (28x28)"
    except predict.BadImage as exc:
        st.info(str(exc))
        return None
    return state.drawing(), None, caption


def opened(run: RunRecord, check: Callable[[object], None], refused: type[Exception], key: str, say=st.info):
    """The run's model checked by ``check`` and an image for it: ``(model, path, mtime,
    image, label, caption)``, or None after a message (``say``, for a network ``check``
    refuses with ``refused``) saying why there is nothing to show."""
    loaded = load(run)
    if loaded is None:
        return None
    try:
        check(loaded[0])
    except refused as exc:
        say(escape(f"Run {run.id}: {exc}"))
        return None
    chosen = image(run, key=key)
    return None if chosen is None else (*loaded, *chosen)
