"""Train: start a run, watch it learn, stop it, continue it."""

import streamlit as st

import ui
from lab import charts, data, jobs, summary
from lab.spec import TrainSpec

st.title("Train")
st.write("Start training the network from the Architecture page (or a preset), watch the loss "
         "fall and the accuracy rise batch by batch, and stop whenever you like. Training runs "
         "on the server: closing this tab does not stop it, and anyone can watch it.")
manager, me = ui.manager(), ui.owner()
ui.preset_picker("train_preset")
model, train = ui.current()
v = ui.version()
st.markdown(f"**Network:** {model.name} &nbsp; `{model.architecture() or 'no layers'}`")
st.page_link("pages/architecture.py", label="Change it on the Architecture page", icon=":material/edit:")

dataset = ui.dataset_select(train, key=f"train_ds_{v}")
c = st.columns(4)
epochs = c[0].number_input("Epochs", 1, 1000, train.epochs, key=f"train_epochs_{v}")
batch = c[1].number_input("Batch size", 1, 60000, train.batch_size, key=f"train_batch_{v}")
split = c[2].number_input("Validation split", 0.0, 0.9, train.validation_split, 0.05, key=f"train_split_{v}")
seed = c[3].number_input("Seed", 0, 2**31 - 1, train.seed, key=f"train_seed_{v}")
c = st.columns(3)
limit = c[0].number_input("Use only the first N training images (0 = all)", 0, 60000, train.train_limit,
                          step=1000, key=f"train_limit_{v}")
patience = c[1].number_input("Early stopping patience (0 = off)", 0, 100, train.early_stopping,
                             key=f"train_patience_{v}")
keep_best = c[2].checkbox("Keep the best epoch", train.keep_best,
                          help="Keep the weights of the epoch with the best validation accuracy.",
                          key=f"train_best_{v}")
opt = ui.optimizer_inputs(train, key=f"train_{v}")  # None (message shown) for a bad learning rate
comment = st.text_input("Comment for the results table", key="train_comment")
problems = ["learning rate"] if opt is None else []
if opt is not None:
    train = TrainSpec(**{**opt.to_dict(), "dataset": dataset, "epochs": int(epochs),
                         "batch_size": int(batch), "validation_split": float(split), "seed": int(seed),
                         "train_limit": int(limit), "early_stopping": int(patience),
                         "keep_best": bool(keep_best)})
    ui.set_train(train)
    try:
        problems = summary.validate(model, train, n_train=len(data.load(dataset).x_train))
    except data.DatasetError as exc:
        problems = [str(exc)]
    for problem in problems:
        st.error(problem)
if st.button("Start training", type="primary", disabled=bool(problems), key="train_start"):
    try:
        st.session_state["watch_next"] = manager.submit(model, train, owner=me, comment=comment).id
    except jobs.JobRejected as exc:
        st.error(str(exc))

st.divider()
st.subheader("Watch a run")
runs = {r["id"]: r for r in ui.runs()}
active = [j.id for j in manager.active()]
ids = active + [i for i in runs if i not in active]
if not ids:
    st.info("No runs yet: press Start training.")
    st.stop()
if "watch_next" in st.session_state:  # a run just started or continued: show it
    st.session_state["train_watch"] = st.session_state.pop("watch_next")
if st.session_state.get("train_watch") not in ids:
    st.session_state["train_watch"] = ids[0]
watch_id = st.selectbox("Run", ids, key="train_watch",
                        format_func=lambda i: f"run {i}: {runs[i]['network']} ({runs[i]['owner']})"
                        if i in runs else f"run {i}")
live_at_start = bool(manager.view(watch_id)["live"])


@st.fragment(run_every=1.0 if live_at_start else None)
def watch():
    view = manager.view(watch_id)
    p, run = view["progress"], view["run"]
    if live_at_start and not view["live"]:
        st.rerun()  # the run ended: redraw the page once, then stop polling
    st.markdown(f"**Run {run['id']}** · {run['network']} · {run['dataset']} · started by "
                f"{view['owner']} · **{p['status']}**")
    if view["place"] > 0:
        st.info(f"Waiting for a free place: number {view['place']} in line.")
    if view["live"] and view["owner"] == me and st.button("Stop", key=f"stop_{watch_id}"):
        try:
            manager.stop(watch_id, me)
            st.toast("Stopping after this batch.")
        except PermissionError as exc:
            st.error(str(exc))
    if p["status"] == "running":
        done = (max(p["epoch"] - 1, 0) + p["batch"] / max(p["batches"], 1)) / max(p["epochs"], 1)
        eta = f", about {p['eta_s']:.0f} s left" if p["eta_s"] is not None else ""
        st.progress(min(done, 1.0), text=f"epoch {p['epoch']}/{p['epochs']}, batch {p['batch']}/"
                                        f"{p['batches']}, {p['images_per_s']:,.0f} images/s{eta}")
    if p["error"]:
        st.error(p["error"])
    elif p["status"] in ("diverged", "interrupted") and p["message"]:
        st.warning(p["message"])
    if p["advice"]:
        st.warning(p["advice"])
    left, right = st.columns(2)
    if p["samples"]:
        left.altair_chart(charts.live_chart(p["samples"]), width="stretch")
    if p["history"]:
        right.altair_chart(charts.epoch_chart(p["history"], "loss"), width="stretch")
        left.altair_chart(charts.epoch_chart(p["history"], "accuracy"), width="stretch")
    if p["test_acc"] is not None and not view["live"]:
        n = max(len(p["history"]), 1)
        c = st.columns(4)
        c[0].metric("Test accuracy", f"{p['test_acc']:.2%}")
        c[1].metric("Test loss", f"{p['test_loss']:.4f}")
        c[2].metric("Total time", f"{p['seconds']:.1f} s")
        c[3].metric("Per epoch", f"{sum(h['seconds'] for h in p['history']) / n:.1f} s")
        st.caption(f"Trained on {p['device'] or 'an unknown device'}.")


watch()

st.divider()
st.subheader("Continue a run")
st.caption("Train a recorded run for more epochs from its saved weights and optimizer state; "
           "the new epochs extend its history.")
saved = [i for i, r in runs.items() if r["model_path"]]
if saved:
    c = st.columns([3, 1, 1])
    run_id = c[0].selectbox("Run to continue", saved, key="cont_run",
                            format_func=lambda i: f"run {i}: {runs[i]['network']}, "
                                                  f"{ui.plural(runs[i]['saved_epoch'] or 0, 'epoch')} saved"
                                                  f"{' (training now)' if i in active else ''}")
    more = c[1].number_input("More epochs", 1, 1000, 2, key="cont_more")
    c[2].write("")
    if c[2].button("Continue", key="cont_go"):
        try:
            st.session_state["watch_next"] = manager.continue_run(run_id, int(more), owner=me).id
            st.rerun()
        except jobs.JobRejected as exc:
            st.error(str(exc))
else:
    st.caption("No saved run to continue yet.")
