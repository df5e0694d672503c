"""Who this browser is: a private key in a cookie, the person it proves, the sidebar's
name box and the teacher's key.

The key never appears in a URL (a projected screen shows its URL); the
records keep only its hash (`lab.identity`). A new browser gets a key and a
guest name on its first visit; the cookie brings it back after a reload.
"""

from __future__ import annotations

import streamlit as st

from lab import identity
from lab.records import Person
from lab.settings import settings
from ui import resources, state
from ui.text import escape

COOKIE = "lab_me"
YEAR_S = 365 * 24 * 3600


def current() -> Person:
    """This browser's person, signed in from its cookie (or new, with a new cookie), as the
    records say now."""
    key = _cookie()
    if not key:  # a new browser: a key for this session, sent until the browser sends it back
        key = state.scratch("browser_key") or identity.new_key()
        state.keep("browser_key", key)
        # A one-pixel frame of this origin sets the cookie (Streamlit only reads cookies).
        st.iframe(f"<body><script>document.cookie = '{COOKIE}={key}; path=/; max-age={YEAR_S}; "
                  "SameSite=Strict';</script></body>", height=1)  # a fixed height: nothing to measure
    # Read again on every run: another tab of this browser may have renamed them, or left teacher
    # mode, and runs started here must not go out under a name that is free for others to take.
    before, person = state.person(), identity.sign_in(resources.store(), key, settings().teacher_key)
    if before is not None and before.name != person.name and state.widget_value(state.OWNER_KEY) == before.name:
        state.choose(state.OWNER_KEY, person.name)  # the name box shows the name in use
    state.set_person(person)
    return person


def _cookie() -> str | None:
    """The key this browser sent (None for a new browser, or where there are no cookies)."""
    try:
        value = st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return value if isinstance(value, str) and value else None


def sidebar() -> Person:
    """The name box and the teacher's unlock, in the sidebar; returns the person."""
    person = current()
    if state.widget_value(state.OWNER_KEY) is None:
        state.choose(state.OWNER_KEY, person.name)
    st.text_input("Your name", key=state.OWNER_KEY, max_chars=identity.MAX_NAME, on_change=_rename,
                  help="Everyone sees this name on your runs. Only this browser can stop or "
                       "delete them: typing someone else's name gives no power over theirs.")
    refused = state.scratch("name_refused")
    if refused:
        st.error(escape(refused))
        state.keep("name_refused", None)
    _teacher(state.person())
    return state.person()


def _rename() -> None:
    """The name box changed: take the new name, or put the name in use back in the box and
    say why the typed one cannot be used (a taken name must not look as if it were kept)."""
    person = state.person()
    try:
        state.set_person(identity.rename(resources.store(), person, state.widget(state.OWNER_KEY)))
    except identity.IdentityError as exc:
        state.keep("name_refused", str(exc))
        state.choose(state.OWNER_KEY, person.name)


def _teacher(person: Person) -> None:
    if person.teacher:
        st.caption("Teacher mode: you may stop or delete any run and manage challenges.")
        if st.button("Leave teacher mode", key="teacher_leave"):
            state.set_person(resources.store().set_teacher(person.id, None))
            st.rerun()
        return
    with st.expander("Teacher"):
        typed = st.text_input("Teacher key", type="password", key="teacher_key")
        if st.button("Unlock", key="teacher_unlock"):
            try:
                state.set_person(identity.unlock_teacher(resources.store(), person, typed,
                                                         settings().teacher_key))
                st.rerun()
            except identity.IdentityError as exc:
                st.error(escape(exc))
