"""Sweeps: try one or two settings over lists of values, each point with several seeds."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import json

import streamlit as st

from lab import charts, sweeps
from lab.jobs import JobRejected
from lab.records import Status
from lab.settings import settings
from lab.spec import to_json
from lab.words import plural
from ui import resources, state, sweep_form, widgets
from ui.text import escape

st.title("Sweeps")
st.write("One run says little: was the learning rate good, or the seed lucky? A sweep trains the "
         "network from the Architecture and Train pages once for every combination of the values you "
         "list, each several times from different random starts, then charts test accuracy against the "
         "setting (the mean over seeds, and how far they spread).")
manager, me = resources.manager(), state.me()
model, train = state.current()
st.text(f"Network: {model.name}    {model.architecture() or 'no layers'}    ({train.dataset}, "
        f"{train.optimizer}, learning rate {train.learning_rate:g}, {plural(train.epochs, 'epoch')})")
axes = sweep_form.axes(model)
seeds = sweep_form.seeds(train.seed)
points = None
if axes and seeds:
    try:  # before Start: how many runs it queues, or why it cannot be started
        points = sweeps.plan(model, train, axes, seeds, settings().max_sweep)
        st.caption(f"This sweep queues {plural(len(points), 'run')} (the lab's limit is {settings().max_sweep:,}), "
                   "trained one after another with everyone else's runs.")
    except sweeps.SweepError as exc:
        st.error(escape(exc))
if points and st.button("Start sweep", type="primary", key="sweep_start"):
    try:
        about = {"network": model.name, "spec_json": to_json(model), "train_json": to_json(train),
                 "axes_json": sweeps.axes_json(axes), "seeds_json": json.dumps(seeds)}
        jobs = manager.submit_sweep(points, about, me.name, me.id)
        state.keep("sweep_shown", manager.store.run(jobs[0].id).sweep_id)
        st.toast(f"Sweep queued: {plural(len(jobs), 'run')}.")
    except JobRejected as exc:
        st.error(escape(exc))

st.divider()
st.subheader("A sweep's results")
recorded = {s.id: s for s in manager.store.sweeps()}
if not recorded:
    st.info("No sweep yet: choose a setting and its values above, then Start sweep.")
    st.stop()
if state.scratch("sweep_shown") in recorded:
    state.choose("sweep_pick", state.scratch("sweep_shown"))
    state.keep("sweep_shown", None)
sweep = recorded[st.selectbox("Sweep", list(recorded), key="sweep_pick", format_func=lambda i: (
    f"sweep {i}: {recorded[i].network} ({recorded[i].owner}), {plural(recorded[i].size, 'run')}"))]
swept = sweeps.read_axes(sweep.axes_json)


live_at_start = any(r.status.active for r in resources.runs() if r.sweep_id == sweep.id)


@st.fragment(run_every=2.0 if live_at_start else None)
@resources.guarded
def progress():
    members = [r for r in resources.runs() if r.sweep_id == sweep.id]
    done = sum(not r.status.active for r in members)
    if live_at_start and done == len(members):
        st.rerun()  # the sweep ended: redraw the page once, then stop polling
    st.progress(done / max(sweep.size, 1), text=f"{done} of {sweep.size} runs ended"
                + ("" if len(members) == sweep.size else f" ({sweep.size - len(members)} deleted)"))
    outcome = sweeps.outcome(members, swept)
    if outcome["finished"].sum():
        names = [a.name for a in swept]
        st.altair_chart(charts.sweep_chart(outcome, names, log_x=swept[0].setting == "learning_rate"),
                        width="stretch")
    st.dataframe(outcome, hide_index=True, column_config={
        "mean accuracy": st.column_config.NumberColumn(format="percent"),
        "spread": st.column_config.NumberColumn(format="percent")})
    failed = [r.id for r in members if r.status in (Status.FAILED, Status.DIVERGED)]
    if failed:
        st.warning(f"Runs {', '.join(map(str, failed))} failed or diverged; see them on the Train page.")


progress()
