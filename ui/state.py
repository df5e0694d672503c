"""Typed access to this browser session's state. Pages never touch ``st.session_state``.

Who the user is, the network and settings being edited, which run the Train
page follows, and one scheme for starting widgets afresh: a widget whose key
comes from `key(base, group)` starts again from its default after
`reset(group)` (loading a preset resets the "network" group, a saved comment
the "results" group, Clear the "canvas" group).
"""

from __future__ import annotations

import streamlit as st

from lab.records import Person
from lab.spec import ModelSpec, TrainSpec, draft_parts, from_draft
from ui import resources

DEFAULT_PRESET = "workshop_16_16_10"
OWNER_KEY = "owner"  # the sidebar's name box


def person() -> Person | None:
    """Who this browser is (set by `ui.identity` on every run of app.py)."""
    return st.session_state.get("person")


def set_person(who: Person) -> None:
    """Remember who this browser is for this session."""
    st.session_state["person"] = who


def me() -> Person:
    """Who this browser is; runs it starts belong to ``me().id`` and show ``me().name``."""
    resources.via_app()
    who = person()
    if who is None:  # app.py signs the browser in before any page runs
        st.rerun()
    return who


def owner() -> str:
    """This browser's name, as everyone sees it on its runs."""
    return me().name


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
    """The network and settings being edited in this session: at first, what this person
    was editing last (kept in the records, so a reload or another tab keeps it), else a
    preset."""
    resources.via_app()
    if "model_spec" not in st.session_state:
        who = person()
        kept = from_draft(resources.store().draft(who.id)) if who else None
        if kept is None:
            use_preset(DEFAULT_PRESET)
        else:  # a new session: no widget holds an older value, so nothing to start afresh
            model, train, preset = kept
            st.session_state["model_spec"], st.session_state["train_spec"] = model, train
            if preset in resources.presets():
                st.session_state["preset_key"] = preset
            st.session_state["draft_kept"] = draft_parts(model, train, preset_key())
    return st.session_state["model_spec"], st.session_state["train_spec"]


def set_model(model: ModelSpec) -> None:
    """Keep the edited network for the other pages (and in the records, for the next visit)."""
    st.session_state["model_spec"] = model
    _keep_draft()


def set_train(train: TrainSpec) -> None:
    """Keep edited training settings for the other pages (and in the records)."""
    st.session_state["train_spec"] = train
    _keep_draft()


def _keep_draft() -> None:
    """Write the network, or the settings, being edited into the records when this session
    changed them."""
    who = person()
    if who is None or "model_spec" not in st.session_state or "train_spec" not in st.session_state:
        return
    parts = draft_parts(st.session_state["model_spec"], st.session_state["train_spec"], preset_key())
    kept = st.session_state.setdefault("draft_kept", {})
    for part, text in parts.items():  # only what this session changed: another tab may have changed the rest
        if kept.get(part) != text:
            resources.store().save_draft(who.id, part, text)
            kept[part] = text


def preset_key() -> str | None:
    """The preset last loaded in this session."""
    return st.session_state.get("preset_key")


def use_preset(name: str) -> None:
    """Replace the edited network and settings with a preset's; the inputs start afresh."""
    preset = resources.presets()[name]
    use_spec(preset.model, preset.train)
    st.session_state["preset_key"] = name
    _keep_draft()


def use_spec(model: ModelSpec, train: TrainSpec) -> None:
    """Edit this network and these settings from now on (a preset, a shared link, "run
    again"); the inputs start afresh from them, and no preset is the one loaded."""
    st.session_state.pop("preset_key", None)
    set_model(ModelSpec.from_dict(model.to_dict()))
    set_train(TrainSpec.from_dict(train.to_dict()))
    reset("network")
    reset("layers")


def follow(run_id: int) -> None:
    """Make the Train page show this run on its next run (a run just started or continued)."""
    st.session_state["watch_next"] = run_id


def followed(choices: list[int]) -> None:
    """Settle which run the Train page's "Run" box shows: one just started, else the
    one shown before, else the first of ``choices``. Call `remember_choice` after drawing it."""
    if "watch_next" in st.session_state:
        st.session_state["train_watch"] = st.session_state.pop("watch_next")
    hold_choice("train_watch", choices)
    if st.session_state.get("train_watch") not in choices:
        st.session_state["train_watch"] = choices[0]


def scratch(name: str, default=None):
    """A value this session keeps between runs of a page (the layer editor's base table)."""
    return st.session_state.get(f"scratch:{name}", default)


def keep(name: str, value) -> None:
    """Keep ``value`` under ``name`` for `scratch`."""
    st.session_state[f"scratch:{name}"] = value


def widget(key: str):
    """The state of the widget keyed ``key`` (for callbacks that read a selection)."""
    return st.session_state[key]


def widget_value(key: str):
    """The state of the widget keyed ``key``, or None before it was first drawn."""
    return st.session_state.get(key)


def choose(key: str, value) -> None:
    """Set the widget keyed ``key`` to ``value`` before it is drawn again (a row picked in a
    table chooses the same run in a select box)."""
    st.session_state[key] = value


def hold_choice(key: str, options: list) -> None:
    """Before drawing the select box keyed ``key``: keep the option chosen last (see
    `remember_choice`) when it is still offered. The browser sends back the label it showed,
    and when that label changed meanwhile (a run finished, its owner was renamed) Streamlit
    no longer finds it and would fall back to the first option: someone else's run."""
    last = st.session_state.get(f"chosen:{key}")
    if st.session_state.get(key) not in options and last in options:
        st.session_state[key] = last


def remember_choice(key: str, value) -> None:
    """What the select box keyed ``key`` shows now, for `hold_choice` and `last_choice`."""
    st.session_state[f"chosen:{key}"] = value


def last_choice(key: str):
    """The option the select box keyed ``key`` showed last (None before it was drawn)."""
    return st.session_state.get(f"chosen:{key}")


def choose_first(key: str, value) -> None:
    """Give the widget keyed ``key`` its first value ``value`` (a starting choice that
    depends on the data), leaving it alone once it has one."""
    st.session_state.setdefault(key, value)


def drawing():
    """The last digit drawn in this session, as the 28x28 float input a network reads, or None."""
    return st.session_state.get("drawing")


def set_drawing(image) -> None:
    """Keep a drawn digit (a 28x28 float array) for the pages that look inside a network."""
    st.session_state["drawing"] = image


def trial_study() -> int | None:
    """The "How often does it learn?" study this session shows (its number in the records)."""
    return st.session_state.get("trial_study")


def set_trial_study(study: int) -> None:
    """Show this recorded study from now on."""
    st.session_state["trial_study"] = int(study)


def choose_next(key: str, value) -> None:
    """Set the widget keyed ``key`` to ``value`` on the next run, even when it was drawn in
    this one (a model just uploaded becomes the chosen run); see `chosen_next`."""
    st.session_state[f"next:{key}"] = value


def chosen_next(key: str) -> None:
    """Apply a `choose_next` for ``key``; call it before drawing that widget."""
    if f"next:{key}" in st.session_state:
        st.session_state[key] = st.session_state.pop(f"next:{key}")
