"""The XOR lab: train the smallest network that needs a hidden layer, then open it up:
its answers, its weights, the forward pass by hand and its decision surface."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lab import inside_charts, jobs, summary, xor
from lab.records import Person
from ui import inside_inputs, live, resources, state, widgets
from ui.text import escape

WAIT_S = 20.0  # the page waits this long for a run to end; longer runs are watched live

RUN_KEY = "xor_run"


def show(me: Person) -> None:
    """The XOR tab: a training form, then the chosen XOR run opened up."""
    st.write("XOR answers 1 when exactly one input is 1. No straight line separates its 1s from its "
             "0s, so a network needs a hidden layer: each hidden unit draws one line, and the output "
             "combines them. Train one here (a few seconds), then read its weights and follow one "
             "input through it by hand.")
    d = xor.XorSettings()
    c = st.columns(5)
    hidden = widgets.whole("Hidden units", d.hidden, 1, "xor_hidden", c[0])
    activation = c[1].selectbox("Hidden activation", xor.HIDDEN_ACTIVATIONS, key="xor_activation",
                                help="The output is always one sigmoid unit, trained with plain SGD.")
    rate = c[2].number_input("Learning rate", value=d.learning_rate, step=0.1, key="xor_rate")
    epochs = widgets.whole("Epochs", d.epochs, 50, "xor_epochs", c[3], help="One epoch is one SGD step on all four rows.")
    seed = widgets.whole("Seed", d.seed, 1, "xor_seed", c[4], help="Another seed gives the network another random start.")
    problems = ["a number is not whole (said under its box)"] if None in (hidden, epochs, seed) else []
    if not problems:
        try:
            model, train = xor.spec(xor.XorSettings(hidden, activation, float(rate), epochs, seed))
            problems = summary.validate(model, train, n_train=len(xor.INPUTS))
        except xor.XorError as exc:
            problems = [str(exc)]
        for problem in problems:
            st.error(escape(problem))
    if st.button("Train XOR", type="primary", disabled=bool(problems), key="xor_train"):
        _train(model, train, me)

    run = inside_inputs.pick("XOR run", RUN_KEY, lambda r: r.dataset == "xor",
                             "press Train XOR.")
    if run is None:
        return
    if run.status.active:
        live.watch(resources.manager(), run.id, me)
        return
    loaded = inside_inputs.load(run)
    if loaded is None:
        return
    try:
        net = xor.from_model(loaded[0])
    except xor.XorError as exc:
        st.error(escape(f"Run {run.id}: {exc}"))
        return
    _opened(net, loaded[0])


def _train(model, train, me: Person) -> None:
    manager = resources.manager()
    try:
        job = manager.submit(model, train, owner=me.name, owner_id=me.id, comment="XOR lab")
    except jobs.JobRejected as exc:
        st.error(escape(exc))
        return
    with st.spinner(f"Training run {job.id} ({train.epochs} epochs)..."):
        manager.wait(job.id, timeout=WAIT_S)
    state.choose(RUN_KEY, job.id)


def _opened(net: xor.XorNet, model) -> None:
    st.markdown("#### What it answers")
    left, right = st.columns([1, 1])
    table = xor.truth_table(net)
    left.dataframe(table, hide_index=True, column_config={"output": st.column_config.NumberColumn(format="%.4f")})
    verdict = "has learned XOR" if table["right"].all() else "has not learned XOR (yet)"
    left.caption(f"An output above 0.5 means 1, below means 0. This network {verdict}.")
    with right:
        for note in xor.diagnose(net):
            st.caption(note)

    st.markdown("#### Its weights")
    st.write(f"Every number the network learned, in the shapes Keras keeps them. Parameters: "
             f"**{net.arithmetic()}** (W1 is 2x{net.hidden}, one bias per hidden unit, W2 is {net.hidden}x1, "
             "one output bias).")
    tables = net.weight_tables()
    cols = st.columns([2, 2, 1.4, 1])
    for col, (name, frame) in zip(cols, tables.items()):
        col.caption(name)
        col.dataframe(frame, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in frame.columns})

    st.markdown("#### The forward pass by hand")
    choice = st.selectbox("Input", range(len(xor.INPUTS)), key="xor_input",
                          format_func=lambda i: f"x = ({int(xor.INPUTS[i][0])}, {int(xor.INPUTS[i][1])})")
    steps = xor.steps(net, xor.INPUTS[choice])
    for n, step in enumerate(steps, start=1):
        shown = ", ".join(f"{v:.4f}" for v in step.values) if step.name != "answer" else f"{int(step.values[0])}"
        st.markdown(f"**{n}. {step.name}** = [{shown}] — {escape(step.formula)}")
        st.code("\n".join(step.worked), language=None)
    output = float(steps[4].values[0])
    st.caption(f"By hand: {output:.6f}. The Keras model's own output for this input: "
               f"{xor.model_output(model, xor.INPUTS[choice]):.6f}.")

    st.markdown("#### The decision surface")
    st.write("The output for every point of the square from -0.5 to 1.5 (orange near 1, blue near 0). "
             "Each dashed line is where one hidden unit's sum is 0: the hidden units cut the plane "
             "along these lines, and the output mixes the pieces. A cross marks a point on the wrong side.")
    st.altair_chart(inside_charts.surface_chart(net), width="content")
    st.caption(f"Outputs at the four corners: {', '.join(f'{v:.3f}' for v in np.round(table.output, 3))}.")
