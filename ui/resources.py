"""What every session of this server shares: the job manager, the records, the presets.

Also the one guard that a page runs inside app.py's navigation, the clean-up Streamlit runs
after each page without its Keras step, and TensorFlow loaded once before anything needs it
(see below).
"""

from __future__ import annotations

import contextlib
import functools
import sys

import keras  # noqa: F401  (see below)
import streamlit as st

from lab.artifacts import ModelFiles
from lab.jobs import JobManager, shared_manager
from lab.jobs.lock import AnotherServer
from lab.records import RecordStore, RunRecord, StoreError
from lab.settings import SettingsError, settings
from lab.spec import Preset, load_presets
from ui.text import escape

# After every script run Streamlit calls keras.backend.clear_session() when Keras is loaded (for
# apps that build a model on each run). Here that is a full garbage collection of a process
# holding TensorFlow, about 0.2 s on every page of every browser, and it resets Keras's global
# state while the lab's jobs train in other threads. The lab keeps its models itself (cached
# per file; `lab.reclaim` after each job), so the clean-up runs without the Keras step.
try:
    from streamlit.runtime.scriptrunner import script_runner as _script_runner

    def _clean_problem_modules_but_keras() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")

    _script_runner._clean_problem_modules = _clean_problem_modules_but_keras
except (ImportError, AttributeError):  # a Streamlit without that clean-up
    pass

# Keras and TensorFlow are imported above, once, when the server's first page run imports this
# module (every page does, through app.py; other sessions wait for it to finish). TensorFlow's
# modules import each other: two threads importing them at the same time (a page and a training
# thread, say) can deadlock or leave a module half made, as a classroom load test showed.
# Loading them before any page or job needs them costs the first visitor a few seconds, once.

_VIA_APP = "_via_app"


def mark_app_run() -> None:
    """Called by app.py on every run: pages know they run inside the navigation."""
    st.session_state[_VIA_APP] = True


def via_app() -> None:
    """A page run without app.py (see ui/entry.py) reruns once, now through app.py."""
    if not st.session_state.get(_VIA_APP):
        st.session_state[_VIA_APP] = True
        st.rerun()


def check_settings() -> None:
    """Stop the page with the message when a ``LAB_*`` variable cannot be used."""
    try:
        settings()
    except SettingsError as exc:
        st.error(f"The lab cannot start: {exc}")
        st.stop()


def manager() -> JobManager:
    """The one job manager of this server process (all browsers share it)."""
    via_app()
    try:
        return shared_manager(settings().home)
    except (StoreError, AnotherServer) as exc:
        st.error(str(exc))
        st.stop()


def store() -> RecordStore:
    """The records every page reads."""
    return manager().store


def models() -> ModelFiles:
    """Where trained model files are found."""
    return manager().models


AWAY = "Reload the page when they are back: nothing recorded before is lost."


@contextlib.contextmanager
def records_guard():
    """Records that cannot be read or written (a damaged file, a database that is away)
    end what is inside with their message, not a traceback."""
    try:
        yield
    except StoreError as exc:
        st.error(escape(f"{exc} {AWAY}"))


def guarded(part):
    """``part`` (a fragment that reads the records) under `records_guard`."""
    @functools.wraps(part)
    def run(*args, **kwargs):
        with records_guard():
            return part(*args, **kwargs)
    return run


def runs() -> list[RunRecord]:
    """Every recorded run, newest first (records that cannot be read: see `records_guard`)."""
    return store().runs()


@st.cache_resource(show_spinner=False)
def presets() -> dict[str, Preset]:
    """The classic networks from ``models/presets``."""
    return load_presets()

