"""What can be done to one recorded run on the Results page: its comment and tags, hide,
run again, share, delete. Each widget is keyed by the run's id, so a comment being
typed survives other people's runs appearing in the table."""

from __future__ import annotations

import zlib

import streamlit as st

from lab import identity, results
from lab.jobs import JobRejected
from lab.records import Person, RunRecord
from lab.spec import ModelSpec, SpecError, TrainSpec, saved
from ui import links, resources, state
from ui.text import escape


def show(run: RunRecord, tags: list[str], me: Person) -> None:
    """The panel for ``run``: what anyone may do with it, and what only its owner and teachers may."""
    st.text(f"Run {run.id} · {run.network} · {run.dataset} · started by {run.owner} · {run.status}")
    mine = identity.may_manage(me, run)
    if mine:
        _comment(run)
        _tags(run, tags)
    else:
        if run.comment:
            st.text(f"Comment: {run.comment}")
        st.caption(escape("Tags: " + (", ".join(tags) or "none") + f". Only {run.owner} or a teacher can "
                          "change its comment and tags, hide or delete this run."))
    specs = _specs(run)
    c = st.columns(3)
    if specs and c[0].button("Run again", key=f"again_{run.id}", help="Open Train with this network and "
                             "these settings."):
        state.use_spec(*specs)
        st.switch_page("pages/train.py")
    if mine and c[1].button("Unhide" if run.hidden else "Hide", key=f"hide_{run.id}",
                            help="Hidden runs leave the table and the leaderboard until shown again."):
        resources.store().update_run(run.id, hidden=int(not run.hidden))
        if not run.hidden:  # it leaves the table, and this panel moves on to another run
            st.toast(f"Run {run.id} is hidden. To see it again, open \"Filter the runs\" and tick "
                     "\"Show hidden runs too\".")
        st.rerun()
    if mine and c[2].button(f"Delete run {run.id}…", key=f"delete_{run.id}"):
        state.keep("confirm_delete", run.id)
    if mine and state.scratch("confirm_delete") == run.id:
        _confirm_delete(run, me)
    if specs:
        st.caption("Share this network and its settings: anyone who opens the link gets them on the "
                   "Architecture page.")
        st.code(links.share_link(*specs), language=None)


def _comment(run: RunRecord) -> None:
    # Keyed by the run and the stored text: what someone types survives new rows in the table,
    # and a comment saved elsewhere shows here as soon as it is stored.
    box = f"comment_{run.id}_{zlib.crc32(run.comment.encode())}"
    text = st.text_area("Comment", value=run.comment, key=box, max_chars=500)
    # never disabled while the text is unchanged: a click straight after typing is the one that
    # commits the text, and a button disabled until then would swallow it
    if st.button("Save comment", key=f"save_comment_{run.id}") and text != run.comment:
        resources.store().set_comment(run.id, text)
        st.toast(f"Comment of run {run.id} saved.")
        st.rerun()


def _tags(run: RunRecord, tags: list[str]) -> None:
    typed = st.text_input("Tags, separated by commas", value=", ".join(tags),
                          key=state.key(f"tags_{run.id}", "results"))
    if st.button("Save tags", key=f"save_tags_{run.id}") and typed != ", ".join(tags):
        try:
            store = resources.store()
            others = results.tag_names({i: t for i, t in store.tags().items() if i != run.id})
            store.set_tags(run.id, results.parse_tags(typed, others))  # "dropout" joins another run's "Dropout"
        except results.TagError as exc:
            st.error(escape(exc))
            return
        state.reset("results")
        st.toast(f"Tags of run {run.id} saved.")
        st.rerun()


def _confirm_delete(run: RunRecord, me: Person) -> None:
    st.warning(f"Delete run {run.id} for good? Its records, epochs and model file go; this cannot be undone.")
    c = st.columns(2)
    if c[0].button("Delete for good", key=f"delete_yes_{run.id}", type="primary"):
        try:
            resources.manager().delete(run.id, me.id, teacher=me.teacher)
        except (JobRejected, PermissionError) as exc:
            st.error(escape(exc))
            return
        state.keep("confirm_delete", None)
        state.keep("deleted_here", [*state.scratch("deleted_here", []), run.id])  # said as done, not as news
        st.rerun()
    if c[1].button("Keep it", key=f"delete_no_{run.id}"):
        state.keep("confirm_delete", None)
        st.rerun()


def _specs(run: RunRecord) -> tuple[ModelSpec, TrainSpec] | None:
    try:
        return saved(run.spec_json, run.train_json)
    except SpecError:  # an uploaded model, or a damaged record: nothing to rebuild
        return None
