"""Streamlit glue shared by the pages: the process-wide job manager, who the
user is, the network being edited, and a few widgets used on two pages.

Everything else lives in `lab`, which knows nothing of Streamlit.
"""

from __future__ import annotations

import secrets

import streamlit as st

from lab.data import DATASETS
from lab.jobs import JobManager, shared_manager
from lab.spec import LOSSES, OPTIMIZERS, ModelSpec, SpecError, TrainSpec, load_presets, parse_number
from lab.store import StoreError, data_home

DEFAULT_PRESET = "workshop_16_16_10"

# Streamlit treats a folder named pages/ as an old-style multipage app until the
# first st.navigation call in the process: a server whose first visitor opens
# /train directly would run pages/train.py alone, without app.py, for everyone.
# Switch that off as soon as any page imports this module (see `_via_app`).
try:
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
except (ImportError, AttributeError):  # a future Streamlit without the old mode
    pass


def mark_app_run() -> None:
    """Called by app.py on every run: pages know they run inside the navigation."""
    st.session_state["_via_app"] = True


def _via_app() -> None:
    """A page run without app.py (see above) reruns once, now through app.py."""
    if not st.session_state.get("_via_app"):
        st.session_state["_via_app"] = True
        st.rerun()


def _manager(home: str) -> JobManager:
    return shared_manager(home)


def manager() -> JobManager:
    """The one job manager of this server process (all browsers share it)."""
    _via_app()
    try:
        return _manager(str(data_home()))
    except StoreError as exc:
        st.error(str(exc))
        st.stop()


def runs() -> list[dict]:
    """Every recorded run, newest first; stops the page with a message when the
    records file cannot be read."""
    try:
        return manager().store.runs()
    except StoreError as exc:
        st.error(str(exc))
        st.stop()


@st.cache_resource(show_spinner=False)
def presets() -> dict:
    """The classic networks from ``models/presets``."""
    return load_presets()


def owner() -> str:
    """This browser session's name: jobs it starts belong to it."""
    if "owner" not in st.session_state:
        st.session_state["owner"] = f"guest-{secrets.token_hex(2)}"
    return st.session_state["owner"].strip() or "guest"


def current() -> tuple[ModelSpec, TrainSpec]:
    """The network and settings being edited in this session (a preset at first)."""
    _via_app()
    if "model_spec" not in st.session_state:
        use_preset(DEFAULT_PRESET)
    return st.session_state["model_spec"], st.session_state["train_spec"]


def use_preset(key: str) -> None:
    """Replace the edited network and settings with a preset's."""
    preset = presets()[key]
    st.session_state["preset_key"] = key
    st.session_state["model_spec"] = ModelSpec.from_dict(preset.model.to_dict())
    st.session_state["train_spec"] = TrainSpec.from_dict(preset.train.to_dict())
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


def preset_picker(key: str) -> str:
    """A preset select box and a Load button that replaces the edited network."""
    names = list(presets())
    current()
    c1, c2 = st.columns([3, 1])
    start = st.session_state.get("preset_key")
    choice = c1.selectbox("Start from a preset", names, key=key, index=names.index(start) if start in names else 0,
                          format_func=lambda k: presets()[k].model.name)
    c2.write("")
    if c2.button("Load preset", key=f"{key}_load"):
        use_preset(choice)
    return choice


def version() -> int:
    """Bumped whenever a preset is loaded, so keyed inputs start from the new values."""
    current()
    return st.session_state["editor_version"]


def set_train(train: TrainSpec) -> None:
    """Keep edited training settings for the other pages."""
    st.session_state["train_spec"] = train


def dataset_select(train: TrainSpec, key: str) -> str:
    """A dataset select box starting at ``train.dataset``."""
    names = list(DATASETS)
    return st.selectbox("Dataset", names, index=names.index(train.dataset), key=key,
                        format_func=lambda n: DATASETS[n].title)


def optimizer_inputs(train: TrainSpec, key: str) -> TrainSpec | None:
    """Optimizer, learning rate and loss inputs; None (with a message) when the
    learning rate is not a number."""
    c1, c2, c3 = st.columns(3)
    optimizer = c1.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index(train.optimizer),
                             key=f"{key}_opt")
    text = c2.text_input("Learning rate", value=f"{train.learning_rate:g}", key=f"{key}_lr",
                         help="How big a step the optimizer takes: 0.001 suits Adam and RMSprop, "
                              "0.01 to 0.1 suits SGD.")
    loss = c3.selectbox("Loss", LOSSES, index=LOSSES.index(train.loss), key=f"{key}_loss")
    try:
        lr = parse_number("learning rate", text)
    except SpecError as exc:
        st.error(f"{exc} Type a number such as 0.001.")
        return None
    return TrainSpec(**{**train.to_dict(), "optimizer": optimizer, "learning_rate": lr, "loss": loss})


def plural(n: int, word: str) -> str:
    """``plural(1, "epoch")`` -> "1 epoch"; ``plural(3, "epoch")`` -> "3 epochs"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def show_problems(problems: list[str]) -> None:
    """Each problem as an error box; a green note when there are none."""
    for problem in problems:
        st.error(problem)
    if not problems:
        st.success("This network can be trained.")


@st.fragment(run_every=3.0)
def training_status() -> None:
    """A line saying what trains now and how many wait (refreshed every 3 s)."""
    active = manager().active()
    if not active:
        st.caption("No training running.")
        return
    job = active[0]
    epoch, epochs = job.progress.position()
    waiting = f"; {len(active) - 1} waiting" if len(active) > 1 else ""
    st.caption(f"Training now: run {job.id}, {job.model.name} ({job.owner}), "
               f"epoch {epoch}/{epochs}{waiting}")
