"""How often does it learn? Run a study of many XOR tries here, or look at recorded ones
(the Results page calls `recorded`)."""

from __future__ import annotations

import streamlit as st

from lab import inside_charts, trials, xor
from lab.records import Person, RecordStore, StoreError
from lab.words import plural
from ui import resources, state, widgets
from ui.text import escape


def experiment(me: Person) -> None:
    """The tab: choose hidden sizes and tries, train them all, show the share that learned."""
    st.write("Each try is the same XOR network started from other random weights. A try has learned "
             "XOR when all four outputs are on the right side of 0.5. All tries of one hidden size "
             "train together, as one computation, so a whole study takes seconds; every study is "
             "recorded and listed on the Results page.")
    d = xor.XorSettings()
    c = st.columns([2, 1, 1, 1, 1, 1])
    sizes_text = c[0].text_input("Hidden sizes", value=", ".join(map(str, trials.DEFAULT_SIZES)),
                                 key="trials_sizes", help=f"Up to {trials.MAX_SIZES} sizes, separated by commas.")
    tries = widgets.whole("Tries per size", trials.DEFAULT_TRIES, 10, "trials_tries", c[1])
    activation = c[2].selectbox("Hidden activation", xor.HIDDEN_ACTIVATIONS, key="trials_activation")
    rate = c[3].number_input("Learning rate", value=d.learning_rate, step=0.1, key="trials_rate")
    epochs = widgets.whole("Epochs", d.epochs, 50, "trials_epochs", c[4])
    seed = widgets.whole("Seed", 0, 1, "trials_seed", c[5])
    problems = ["a number is not whole (said under its box)"] if None in (tries, epochs, seed) else []
    if not problems:
        try:
            plan = trials.Plan(trials.parse_sizes(sizes_text), tries, activation, float(rate), epochs, seed)
            problems = trials.check(plan)
        except trials.TrialsError as exc:
            problems = [str(exc)]
        for problem in problems:
            st.error(escape(problem))
    if st.button("Run the tries", type="primary", disabled=bool(problems), key="trials_run"):
        _run(plan, me)
    study = state.trial_study()
    if study is None:
        st.info("Press Run the tries: the chart of how often each size learned appears here.")
        return
    show_study(resources.store(), study, key="trials")


def _run(plan: trials.Plan, me: Person) -> None:
    n = len(plan.sizes) * plan.tries
    with st.spinner(f"Training {n:,} tries ({len(plan.sizes)} hidden sizes x {plan.tries:,})..."):
        try:
            results = trials.run(plan)
            study = resources.store().record_trials(trials.to_rows(plan, results, me.name, me.id))
        except (trials.TrialsError, StoreError) as exc:
            st.error(escape(exc))
            return
    state.set_trial_study(study)
    seconds = sum(r.seconds for r in results)
    st.toast(f"{n:,} tries trained in {seconds:.1f} s and recorded as study {study}.")


def show_study(store: RecordStore, study: int, key: str) -> None:
    """One recorded study: the share that learned per hidden size, and any failed try opened up."""
    batches = store.trials(study)
    if not batches:
        st.info(f"There is no recorded study {study}.")
        return
    try:
        results = trials.from_records(batches)
    except trials.TrialsError as exc:
        st.error(escape(exc))
        return
    first = batches[0]
    st.caption(escape(f"Study {study} by {first.owner}, {first.created}: {first.activation} hidden units, "
                      f"learning rate {first.learning_rate:g}, {first.epochs} epochs, {first.tries} tries per "
                      f"size, seed {first.seed}."))
    table = trials.share_table(results)
    left, right = st.columns([3, 2])
    left.altair_chart(inside_charts.share_chart(table), width="stretch")
    right.dataframe(table.drop(columns=["label"]), hide_index=True,
                    column_config={"share": st.column_config.NumberColumn(format="percent")})
    right.caption("Small hidden layers often fail: with one unit the network can draw only one line. "
                  "Wider layers have more lines to spare when some start badly.")
    failed = trials.failed(results)
    if not failed:
        st.success("Every try learned XOR.")
        return
    st.markdown("#### Open a try that failed")
    pick = st.selectbox("Failed try", range(len(failed)), key=f"{key}_failed_{study}", format_func=lambda i: (
        f"{plural(failed[i][0], 'hidden unit')}, try {failed[i][1].index + 1}: outputs "
        + ", ".join(f"{o:.2f}" for o in failed[i][1].outputs)))
    hidden, attempt = failed[pick]
    left, right = st.columns([3, 2])
    left.altair_chart(inside_charts.surface_chart(attempt.net), width="content")
    with right:
        st.caption(f"Why it failed ({plural(hidden, 'hidden unit')}, final loss {attempt.loss:.4f}):")
        for note in xor.diagnose(attempt.net):
            st.write(note)


def recorded() -> None:
    """The recorded studies, for the Results page: a table, and one study chosen to look at."""
    st.subheader("How often does XOR learn? (trials)")
    store = resources.store()
    try:
        batches = store.trials()
    except StoreError as exc:
        st.error(escape(exc))
        return
    if not batches:
        st.caption("No trials recorded yet: run some on the Inside the network page.")
        return
    table = trials.studies(batches)
    st.dataframe(table, hide_index=True, column_config={"by": st.column_config.TextColumn("by")})
    study = st.selectbox("Study", list(table["study"]), key="results_trial_study",
                         format_func=lambda s: f"study {s}")
    show_study(store, int(study), key="results_trials")
