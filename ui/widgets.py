"""Inputs and small displays used on several pages."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from lab.data import DATASETS
from lab.records import RunRecord
from lab.spec import LOSSES, OPTIMIZERS, SpecError, TrainSpec, parse_number
from ui import resources, state
from ui.text import escape


def preset_picker(key: str) -> str:
    """A preset select box and a Load button that replaces the edited network."""
    presets = resources.presets()
    names = list(presets)
    state.current()
    c1, c2 = st.columns([3, 1])
    start = state.preset_key()
    choice = c1.selectbox("Start from a preset", names, key=key, index=names.index(start) if start in names else 0,
                          format_func=lambda k: presets[k].model.name)
    c2.write("")
    if c2.button("Load preset", key=f"{key}_load"):
        state.use_preset(choice)
    return choice


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
        st.error(f"{escape(exc)} Type a number such as 0.001.")
        return None
    return TrainSpec(**{**train.to_dict(), "optimizer": optimizer, "learning_rate": lr, "loss": loss})


def run_label(run: RunRecord) -> str:
    """``run 7: Workshop 16-16-10 on mnist, 2 epochs, test accuracy 91.2%``."""
    tested = f"{run.test_acc:.1%}" if run.test_acc is not None else "not tested"
    return (f"run {run.id}: {run.network} on {run.dataset}, {plural(run.epochs_done or 0, 'epoch')}, "
            f"test accuracy {tested}")


def run_picker(label: str, runs: list[RunRecord], key: str,
               describe: Callable[[RunRecord], str] = run_label) -> RunRecord:
    """A select box over ``runs`` (not empty); returns the chosen record."""
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox(label, list(by_id), key=key, format_func=lambda i: describe(by_id[i]))
    return by_id[chosen]


def index_input(label: str, count: int, key: str, step: int = 1, last: int | None = None) -> int | None:
    """A whole-number box for a position from 0 to ``last`` (default ``count - 1``); an
    out-of-range number gets a message saying the range, and None is returned."""
    last = count - 1 if last is None else last
    value = int(st.number_input(label, value=0, step=step, key=key))
    if not 0 <= value <= last:
        st.error(f"{label} {value:,} does not exist here: choose one from 0 to {last:,}.")
        return None
    return value


def plural(n: int, word: str) -> str:
    """``plural(1, "epoch")`` -> "1 epoch"; ``plural(3, "epoch")`` -> "3 epochs"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def show_problems(problems: list[str]) -> None:
    """Each problem as an error box; a green note when there are none."""
    for problem in problems:
        st.error(escape(problem))
    if not problems:
        st.success("This network can be trained.")
