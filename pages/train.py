"""Train: start a run, watch it learn, stop it, continue it."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import streamlit as st

from lab import data, identity, jobs, summary
from lab.jobs.view import why_not_continued
from lab.records import Status
from lab.spec import TrainSpec
from lab.words import plural
from ui import live, resources, state, widgets
from ui.text import escape

st.title("Train")
st.write("Start training the network from the Architecture page (or a preset), watch the loss "
         "fall and the accuracy rise batch by batch, and stop whenever you like. Training runs "
         "on the server: closing this tab does not stop it, and anyone can watch it.")
manager, me = resources.manager(), state.me()
widgets.preset_picker("train_preset")
model, train = state.current()
st.text(f"Network: {model.name}    {model.architecture() or 'no layers'}")
c = st.columns(2)
c[0].page_link("pages/architecture.py", label="Change it on the Architecture page", icon=":material/edit:")
c[1].page_link("pages/sweeps.py", label="Sweep one or two settings instead", icon=":material/tune:")


def key(name: str) -> str:
    return state.key(f"train_{name}", "network")


dataset = widgets.dataset_select(train, key=key("ds"))
# No min/max on the boxes: an out-of-range number reaches `validate`, which says what is
# wrong, and Start stays disabled (a bounded box would keep its old value silently).
c = st.columns(4)
epochs = widgets.whole("Epochs", train.epochs, 1, key("epochs"), c[0])
batch = widgets.whole("Batch size", train.batch_size, 1, key("batch"), c[1])
split = c[2].number_input("Validation split", value=train.validation_split, step=0.05, key=key("split"))
seed = widgets.whole("Seed", train.seed, 1, key("seed"), c[3])
c = st.columns(3)
limit = widgets.whole("Use only the first N training images (0 = all)", train.train_limit, 1000, key("limit"), c[0])
patience = widgets.whole("Early stopping patience (0 = off)", train.early_stopping, 1, key("patience"), c[1])
keep_best = c[2].checkbox("Keep the best epoch", train.keep_best,
                          help="Keep the weights of the epoch with the best validation accuracy.",
                          key=key("best"))
cpu_only = widgets.cpu_switch(train, key=key("cpu"), executor=manager.executor)
opt = widgets.optimizer_inputs(train, key=state.key("train", "network"))  # None (message shown): bad rate
comment = st.text_input("Comment for the results table", key="train_comment")
wholes = (epochs, batch, seed, limit, patience)
problems = ["learning rate"] if opt is None else ["a whole number"] if None in wholes else []
if not problems:
    train = TrainSpec(**{**opt.to_dict(), "dataset": dataset, "epochs": int(epochs),
                         "batch_size": int(batch), "validation_split": float(split), "seed": int(seed),
                         "train_limit": int(limit), "early_stopping": int(patience),
                         "keep_best": bool(keep_best), "cpu_only": bool(cpu_only)})
    state.set_train(train)
    try:
        n_train = len(data.load(dataset).x_train)
        problems = summary.validate(model, train, n_train=n_train)
    except data.DatasetError as exc:
        problems = [str(exc)]
    for problem in problems:
        st.error(escape(problem))
    for caution in [] if problems else summary.cautions(model, train, n_train):
        st.warning(escape(caution))
live.where_runs_train(manager)
if manager.executor.problem:
    problems.append(manager.executor.problem)
if st.button("Start training", type="primary", disabled=bool(problems), key="train_start"):
    try:
        state.follow(manager.submit(model, train, owner=me.name, comment=comment, owner_id=me.id).id)
    except jobs.JobRejected as exc:
        st.error(escape(exc))

st.divider()
st.subheader("Watch a run")
runs = {r.id: r for r in resources.runs()}
active = [j.id for j in manager.active()]
ids = active + [i for i in runs if i not in active]
if not ids:
    st.info("No runs yet: press Start training.")
    st.stop()
state.followed(ids)
watch_id = st.selectbox("Run", ids, key="train_watch",
                        format_func=lambda i: f"run {i}: {runs[i].network} ({runs[i].owner})"
                        if i in runs else f"run {i}")
state.remember_choice("train_watch", watch_id)
live.watch(manager, watch_id, me)

st.divider()
st.subheader("Continue a run")
st.caption("Train a recorded run for more epochs from its saved weights and optimizer state; "
           "the new epochs extend its history.")
saved = [r for r in runs.values() if manager.models.has_model(r) and r.saved_epoch is not None]
others = [r for r in saved if not identity.may_manage(me, r)]  # continuing changes its owner's results
saved = [r for r in saved if r not in others]
if others:
    st.caption(f"{plural(len(others), 'saved run')} of others not listed: only whoever started a run, or "
               "a teacher, can continue it. To train someone's network yourself, press Run again under "
               "the run on Results.")
if saved:
    c = st.columns([3, 1, 1])
    with c[0]:
        def described(r):  # with how it ended, unless it simply finished
            state_ = "training now" if r.id in active else "" if r.status == Status.FINISHED else str(r.status)
            return f"run {r.id}: {r.network}, {plural(r.saved_epoch or 0, 'epoch')} saved" + \
                (f" ({state_})" if state_ else "")

        run = widgets.run_picker("Run to continue", saved, key="cont_run", describe=described)
    more = widgets.whole("More epochs", 2, 1, "cont_more", c[1])
    c[2].write("")
    if c[2].button("Continue", key="cont_go", disabled=more is None):
        try:
            state.follow(manager.continue_run(run.id, more, owner=me.name, owner_id=me.id, teacher=me.teacher).id)
            st.rerun()
        except (jobs.JobRejected, PermissionError) as exc:
            st.error(escape(exc))
else:
    st.caption("No saved run you may continue yet.")
for run in [r for r in runs.values() if r.status == Status.INTERRUPTED and not manager.models.has_model(r)]:
    st.caption(why_not_continued(run, has_model=False))  # a run that vanished from the list says why
    if run.interrupted_while == Status.QUEUED and (run.power == me.id or me.teacher) and st.button(
            f"Queue run {run.id} again", key=f"requeue_{run.id}"):
        try:
            state.follow(manager.requeue(run.id, me.id, teacher=me.teacher).id)
            st.rerun()
        except (jobs.JobRejected, PermissionError) as exc:
            st.error(escape(exc))
