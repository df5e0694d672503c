"""Inputs and small displays used on several pages."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

from lab import charts, device, evaluate, export
from lab.data import DATASETS
from lab.records import RunRecord, Status, Sweep
from lab.results import Filters, tag_names
from lab.spec import LOSSES, OPTIMIZERS, SpecError, TrainSpec, parse_number
from lab.words import plural
from ui import resources, state
from ui.text import escape


def preset_picker(key: str, describe: bool = False) -> str:
    """A preset select box and a Load button that replaces the edited network; with
    ``describe``, the chosen preset's description, saying whether it is the network edited
    below (a shared link or "Run again" loads a network that is no preset)."""
    presets = resources.presets()
    names = list(presets)
    edited, _ = state.current()
    c1, c2 = st.columns([3, 1])
    start = state.preset_key()
    choice = c1.selectbox("Start from a preset", names, key=key, index=names.index(start) if start in names else 0,
                          format_func=lambda k: presets[k].model.name)
    c2.write("")
    if c2.button("Load preset", key=f"{key}_load"):
        state.use_preset(choice)
    if describe and choice == state.preset_key():
        st.caption(escape(presets[choice].model.description))
    elif describe:
        st.caption(escape(f"{presets[choice].model.description} Load preset to edit it instead of "
                          f"the network below ({edited.name})."))
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
               describe: Callable[[RunRecord], str] = run_label, blank: bool = False) -> RunRecord | None:
    """A select box over ``runs`` (not empty); returns the chosen record. With ``blank`` it
    starts with none chosen (and returns None until one is). When the run chosen before was
    deleted (here, or meanwhile by a teacher or in another tab), it says so instead of
    switching silently; a run that only left this list (a filter, another choice) is not news."""
    by_id = {r.id: r for r in runs}
    before = state.last_choice(key)
    state.hold_choice(key, list(by_id))  # a label that changed (a run finished) keeps its run chosen
    chosen = st.selectbox(label, list(by_id), key=key, format_func=lambda i: describe(by_id[i]),
                          index=None if blank else 0, placeholder="Choose a run")
    state.remember_choice(key, chosen)
    if before is not None and before not in by_id and before not in {r.id for r in resources.runs()}:
        now = f"run {chosen} is shown instead" if chosen is not None else "choose another"
        how = "" if before in state.scratch("deleted_here", []) else " meanwhile"  # by this tab, or elsewhere
        st.info(f"Run {before} was deleted{how}: {now}.")
    return None if chosen is None else by_id[chosen]


WHOLE_MOST = 10**15  # the largest number a whole-number box takes (a browser keeps 15 digits exactly)


def whole(label: str, value: int, step: int, key: str, where=None, help: str | None = None) -> int | None:
    """A number box for a whole number (in ``where``, default the page); a number with a
    fraction gets a message under it, and None is returned. (Streamlit's box for integers
    would silently cut 2.7 to 2 and read 1e3 as 1.)"""
    where = where or st
    number = where.number_input(label, value=float(value), step=float(step), format="%.12g", key=key, help=help)
    if number is None or not float(number).is_integer():
        where.error(f"{label}: {number} is not a whole number. Type one without a fraction, such as "
                    f"{max(round(number or 0), 1)}.")
        return None
    if abs(number) > WHOLE_MOST:  # past 2**53 a browser's number box keeps only some of the digits typed
        where.error(f"{label}: {number:.4g} is far too large for this box. Use at most {WHOLE_MOST:,}.")
        return None
    return int(number)


def index_input(label: str, count: int, key: str, step: int = 1, last: int | None = None,
                start: int = 0) -> int | None:
    """A whole-number box for a position from 0 to ``last`` (default ``count - 1``), at
    ``start`` at first; an out-of-range number gets a message saying the range, and None is
    returned."""
    last = count - 1 if last is None else last
    value = whole(label, start, step, key)
    if value is None:
        return None
    if not 0 <= value <= last:
        st.error(f"{label} {value:,} does not exist here: choose one from 0 to {last:,}.")
        return None
    return value


def result_filters(runs: list[RunRecord], tags: dict[int, list[str]], sweeps: list[Sweep]) -> Filters:
    """The Results page's filters (dataset, person, status, network name, tag, sweep, hidden)."""
    with st.expander("Filter the runs"):
        c = st.columns(3)
        datasets = c[0].multiselect("Dataset", sorted({r.dataset for r in runs if r.dataset}), key="filter_dataset")
        people = c[1].multiselect("Person", sorted({r.owner for r in runs if r.owner}), key="filter_person")
        statuses = c[2].multiselect("Status", [str(s) for s in Status], key="filter_status")
        c = st.columns(3)
        network = c[0].text_input("Network name contains", key="filter_network")
        chosen = c[1].multiselect("Tag", tag_names(tags), key="filter_tag")
        named = {s.id: s for s in sweeps}
        sweep = c[2].selectbox("Sweep", [None, *named], key="filter_sweep", format_func=lambda i: "any run"
                               if i is None else f"sweep {i}: {named[i].network} ({named[i].owner})")
        hidden = st.checkbox("Show hidden runs too", key="filter_hidden")
    return Filters(tuple(datasets), tuple(people), tuple(statuses), network, tuple(chosen), sweep, hidden)


def run_table(table: pd.DataFrame, key: str, picks: str = "results_run") -> None:
    """The results table, read-only and sortable; clicking a row picks that run in the
    select box keyed ``picks``."""
    ids = table["run"].tolist()

    def picked():
        rows = state.widget(key)["selection"]["rows"]
        if rows:
            state.choose(picks, ids[rows[0]])

    st.dataframe(table, hide_index=True, key=key, on_select=picked, selection_mode="single-row",
                 column_config={
                     "accuracy": st.column_config.NumberColumn(
                         "accuracy", format="percent", help="Test accuracy (empty for a run that was never tested)"),
                     "best val accuracy": st.column_config.NumberColumn(format="percent"),
                     "val accuracy": st.column_config.NumberColumn(format="percent"),
                     "train accuracy": st.column_config.NumberColumn(format="percent"),
                     "parameters": st.column_config.NumberColumn(format="localized"),
                     "duration (s)": st.column_config.NumberColumn(format="%.1f"),
                     "comment": st.column_config.TextColumn(width="medium"),  # a long one stays one cell wide
                 })


def show_problems(problems: list[str], cautions: list[str] = ()) -> None:
    """Each problem as an error box; a green note when there are none, with each caution
    (it trains, but will learn badly) as a warning under it."""
    for problem in problems:
        st.error(escape(problem))
    if not problems:
        st.success("This network can be trained.")
        for caution in cautions:
            st.warning(escape(caution))


def model_downloads(run: RunRecord, key: str, heading: str | None = None) -> None:
    """Download buttons for a run's trained model (``.keras``) and its spec (JSON), under
    ``heading``; the model file is read only when its button is clicked."""
    if heading:
        st.subheader(heading)
    path = resources.models().locate(run)
    c = st.columns(2)
    if path is None:
        c[0].caption(f"Run {run.id} has no saved model file to download.")
    else:
        c[0].download_button("Download the model (.keras)", data=path.read_bytes, file_name=export.file_name(run, ".keras"),
                             mime="application/octet-stream", key=f"{key}_keras_{run.id}", on_click="ignore",
                             icon=":material/download:", help="The trained network with its weights (and optimizer "
                             "state): keras.models.load_model opens it.")
    c[1].download_button("Download the spec (JSON)", data=export.spec_document(run, path),
                         file_name=export.file_name(run, ".json"), mime="application/json", key=f"{key}_spec_{run.id}",
                         on_click="ignore", icon=":material/data_object:", help="The network, its training settings "
                         "and what it scored; saved into models/presets it becomes a preset.")


def answer(probs: np.ndarray, class_names, title: str = "The network reads") -> None:
    """One image's answer: the class read and how sure, a bar per class, the top three in words."""
    best = int(np.argmax(probs))
    st.metric(title, class_names[best], f"{probs[best]:.1%} sure", delta_color="off", delta_arrow="off")
    st.altair_chart(charts.probability_chart(probs, class_names), width="stretch")
    st.caption(evaluate.top_answers(probs, class_names))


def cpu_switch(train: TrainSpec, key: str, executor) -> bool:
    """Where runs train on a GPU (this server's, or the Ray cluster's when ``LAB_RAY_GPUS``
    asks for one), a "Train on CPU instead" box (to compare the two); where not, a line
    saying so. Returns the ``cpu_only`` setting."""
    cluster_gpus = getattr(executor, "gpus", None)  # None: runs train in this server
    if cluster_gpus is None and not device.has_gpu():
        st.caption(f"This server has no GPU: every run trains on its {device.cpu_name()}. Results shows each "
                   "run's device and seconds per epoch.")
        return train.cpu_only
    if cluster_gpus == 0:
        st.caption("Runs on the Ray cluster train on CPUs (LAB_RAY_GPUS=0). Results shows each run's device "
                   "and seconds per epoch.")
        return train.cpu_only
    gpu = device.device_name() if cluster_gpus is None else "GPU of a Ray worker"
    return st.checkbox("Train on CPU instead", value=train.cpu_only, key=key,
                       help=f"Runs train on the {gpu} by default. Train the same network on a CPU too and "
                            "compare seconds per epoch in Results.")
