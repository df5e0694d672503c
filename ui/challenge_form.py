"""The teacher's form for a new challenge, and the list of challenges with Close/Reopen."""

from __future__ import annotations

import streamlit as st

from lab import classroom
from lab.records import Challenge
from ui import resources, widgets
from ui.text import escape


def new_challenge(dataset: str) -> None:
    """Inputs for a challenge on ``dataset`` and a Set button (teachers only call this)."""
    with st.expander("Set a challenge"):
        title = st.text_input("Title", key="challenge_title", placeholder="Over 95% with under 20,000 parameters")
        c = st.columns(4)
        accuracy = c[0].number_input("Minimum test accuracy (%)", value=95.0, step=1.0, key="challenge_acc")
        params = widgets.whole("At most parameters (0 = no limit)", 20000, 1000, "challenge_params", c[1])
        epochs = widgets.whole("At most epochs (0 = no limit)", 0, 1, "challenge_epochs", c[2])
        seconds = c[3].number_input("At most training s (0 = no limit)", value=0.0, step=10.0, key="challenge_s")
        example = classroom.deadline_example()
        deadline = st.text_input("Deadline (optional)", key="challenge_deadline", placeholder=f"like {example}",
                                 help=f"A date and time, like {example}; a date alone ({example[:10]}) means "
                                      "the end of that day.")
        if st.button("Set challenge", key="challenge_set", disabled=None in (params, epochs)):
            draft = classroom.ChallengeDraft(title, dataset, accuracy / 100, params, epochs, float(seconds),
                                             deadline.strip() or None)
            try:
                resources.store().create_challenge(**classroom.check(draft))
            except classroom.ChallengeError as exc:
                st.error(escape(exc))
                return
            st.toast("Challenge set: every run is checked against it.")
            st.rerun()


def listing(challenges: list[Challenge], teacher: bool) -> None:
    """Each challenge in words; a teacher can close or reopen it."""
    for c in challenges:
        left, right = st.columns([5, 1])
        left.text(classroom.describe(c))
        if teacher and right.button("Reopen" if c.closed else "Close", key=f"challenge_close_{c.id}"):
            resources.store().close_challenge(c.id, not c.closed)
            st.rerun()
