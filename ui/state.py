"""Typed access to this browser session's state. Pages never touch ``st.session_state``.

Who the user is, the network and settings being edited, which run the Train
page follows, and one scheme for starting widgets afresh: a widget whose key
comes from `key(base, group)` starts again from its default after
`reset(group)` (loading a preset resets the "network" group, a saved comment
the "results" group, Clear the "canvas" group).
"""

from __future__ import annotations

import secrets

import streamlit as st

from lab.spec import ModelSpec, TrainSpec
from ui import resources

DEFAULT_PRESET = "workshop_16_16_10"
OWNER_KEY = "owner"  # the sidebar's name box writes here


def owner() -> str:
    """This browser session's name: jobs it starts belong to it."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = f"guest-{secrets.token_hex(2)}"
    return st.session_state[OWNER_KEY].strip() or "guest"


def generation(group: str) -> int:
    """How many times ``group`` was reset in this session."""
    return st.session_state.setdefault(f"gen:{group}", 0)


def key(base: str, group: str) -> str:
    """A widget key that changes when ``group`` is reset, so the widget starts afresh."""
    return f"{base}_{generation(group)}"


def reset(group: str) -> None:
    """Start every widget keyed in ``group`` afresh on the next run."""
    st.session_state[f"gen:{group}"] = generation(group) + 1


def current() -> tuple[ModelSpec, TrainSpec]:
    """The network and settings being edited in this session (a preset at first)."""
    resources.via_app()
    if "model_spec" not in st.session_state:
        use_preset(DEFAULT_PRESET)
    return st.session_state["model_spec"], st.session_state["train_spec"]


def set_model(model: ModelSpec) -> None:
    """Keep the edited network for the other pages."""
    st.session_state["model_spec"] = model


def set_train(train: TrainSpec) -> None:
    """Keep edited training settings for the other pages."""
    st.session_state["train_spec"] = train


def preset_key() -> str | None:
    """The preset last loaded in this session."""
    return st.session_state.get("preset_key")


def use_preset(name: str) -> None:
    """Replace the edited network and settings with a preset's; the inputs start afresh."""
    preset = resources.presets()[name]
    st.session_state["preset_key"] = name
    set_model(ModelSpec.from_dict(preset.model.to_dict()))
    set_train(TrainSpec.from_dict(preset.train.to_dict()))
    reset("network")
    reset("layers")


def follow(run_id: int) -> None:
    """Make the Train page show this run on its next run (a run just started or continued)."""
    st.session_state["watch_next"] = run_id


def followed(choices: list[int]) -> None:
    """Settle which run the Train page's "Run" box shows: one just started, else the
    one shown before, else the first of ``choices``."""
    if "watch_next" in st.session_state:
        st.session_state["train_watch"] = st.session_state.pop("watch_next")
    if st.session_state.get("train_watch") not in choices:
        st.session_state["train_watch"] = choices[0]


def scratch(name: str, default=None):
    """A value this session keeps between runs of a page (the layer editor's base table)."""
    return st.session_state.get(f"scratch:{name}", default)


def keep(name: str, value) -> None:
    """Keep ``value`` under ``name`` for `scratch`."""
    st.session_state[f"scratch:{name}"] = value
