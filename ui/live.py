"""Panels that follow training while it happens: the sidebar line and the Train page's
watch panel. Both poll the job manager from a fragment (Streamlit forbids calls
from the training thread)."""

from __future__ import annotations

import math

import streamlit as st

from lab import charts, words
from lab.jobs import JobManager
from lab.jobs.sink import STOPPED
from lab.jobs.view import activity
from lab.records import Person, Status
from ui import resources
from ui.text import escape


@st.fragment(run_every=3.0)
def training_status() -> None:
    """A line saying what trains now and how many wait (refreshed every 3 s)."""
    manager = resources.manager()
    training, waiting = [], 0
    for job in manager.active():
        if manager.place(job.id) != 0:
            waiting += 1
        else:
            progress = manager.snapshot(job.id)
            epoch, epochs = (progress.epoch, progress.epochs) if progress else (0, job.train.epochs)
            training.append((job.id, job.model.name, job.owner, epoch, epochs))
    st.caption(escape(activity(training, waiting)))


def where_runs_train(manager: JobManager) -> None:
    """Where runs train (this server, or a Ray cluster), and what went wrong with a cluster."""
    executor = manager.executor
    if executor.problem:
        st.error(escape(executor.problem))
    elif executor.warning:
        st.warning(escape(executor.warning))
    else:
        st.caption(escape(f"Runs train {executor.where}"))


def watch(manager: JobManager, run_id: int, me: Person) -> None:
    """The watched run: its status line, Stop for whoever may stop it, progress, advice, charts and
    test figures; redrawn every second while it trains."""
    first = manager.view(run_id)
    going_at_start = first.live or manager.trains_elsewhere(first.run)

    @st.fragment(run_every=1.0 if going_at_start else None)
    @resources.guarded
    def panel():
        view = manager.view(run_id)
        p, run = view.progress, view.run
        elsewhere = manager.trains_elsewhere(run)
        if going_at_start and not (view.live or elsewhere):
            st.rerun()  # the run ended: redraw the page once, then stop polling
        st.text(f"Run {run.id} · {run.network} · {run.dataset} · started by {run.owner or view.owner} · {p.status}")
        if view.continuer:
            st.caption(escape(f"Started by {run.owner}; continued by {view.continuer}."))
        if elsewhere and view.silent_s is not None:
            _silent(manager, view, me)
        elif elsewhere:
            st.caption(escape(f"Run {run.id} trains on another lab server ({run.server}): its progress batch by "
                              "batch is there; its finished epochs appear here, and Stop works from here too."))
        if view.place > 0:
            st.info(f"Waiting for a free place: number {view.place} in line.")
        if ((view.live or elsewhere) and (me.id in view.stoppers or me.teacher)
                and st.button("Stop", key=f"stop_{run_id}")):
            try:
                if not manager.stop(run_id, me.id, teacher=me.teacher):
                    st.info(f"Run {run.id} has ended already.")
                elif view.live:
                    st.toast("Stopping after this batch.")
                else:
                    st.toast(escape(f"Asked {run.server} to stop run {run.id}: it stops within a few seconds."))
            except PermissionError as exc:
                st.error(escape(exc))
        if p.status == Status.RUNNING:  # batch by batch here; a run on another server, by epochs
            st.progress(p.fraction_done, text=p.line if view.live else f"{p.epoch} of {p.epochs} epochs done")
        if p.error:
            st.error(escape(p.error))
        elif p.status in (Status.DIVERGED, Status.INTERRUPTED) and p.message:
            st.warning(escape(p.message))
        elif p.message and p.status in (Status.QUEUED, Status.FINISHED, Status.STOPPED) \
                and p.message != STOPPED:  # waiting on a cluster; a model not saved
            st.info(escape(p.message))
        if p.advice:
            st.warning(p.advice)
        _charts(p)
        if p.test_acc is not None and not view.live:
            per_epoch = sum(h.seconds or 0 for h in p.history) / len(p.history) if p.history else None
            figures = {"Test accuracy": (p.test_acc, "{:.2%}".format), "Test loss": (p.test_loss, "{:.4f}".format),
                       "Total time": (p.seconds, words.seconds), "Per epoch": (per_epoch, words.seconds)}
            for column, (label, (value, form)) in zip(st.columns(4), figures.items()):
                column.metric(label, "—" if value is None else form(value))  # an uploaded run has no times
            if p.device:
                st.caption(escape(f"Trained on {p.device}."))

    panel()


def _silent(manager: JobManager, view, me: Person) -> None:
    """A run whose lab server stopped answering: say so, and let whoever may stop it mark it
    interrupted, to continue it here."""
    run = view.run
    s = view.silent_s
    quiet = ("has never been heard from" if math.isinf(s)
             else f"has not been heard from for {s / 60:.0f} min" if s >= 120 else f"has not been heard from for {s:.0f} s")
    st.warning(escape(f"Lab server {run.server}, which trains run {run.id}, {quiet}: it may have stopped. "
                      "If it has, mark the run interrupted; it can then be continued from its last saved "
                      "epoch (or queued again) here."))
    if (me.id in view.stoppers or me.teacher) and st.button("Mark interrupted", key=f"let_go_{run.id}"):
        try:
            if manager.let_go_of(run.id, me.id, teacher=me.teacher):
                st.toast(f"Run {run.id} is marked interrupted.")
            else:
                st.info(escape(f"Run {run.id} ended, or {run.server} answered again: nothing was changed."))
        except PermissionError as exc:
            st.error(escape(exc))


def _charts(p) -> None:
    left, right = st.columns(2)
    if p.samples:
        left.vega_lite_chart(charts.live_chart(p.samples), width="stretch")
    if p.history:
        right.vega_lite_chart(charts.epoch_chart(p.history, "loss"), width="stretch")
        left.vega_lite_chart(charts.epoch_chart(p.history, "accuracy"), width="stretch")
