"""Links into the lab: a network shared by its link, and the leaderboard for a projector.

Both live in the URL's query string, which Streamlit clears when the page
changes, so they are read once, on arrival.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from lab import share
from lab.spec import ModelSpec, TrainSpec
from ui import state
from ui.text import escape


def origin() -> str:
    """This server's address as the browser reached it, e.g. ``http://host:8501``."""
    parts = urlsplit(st.context.url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


def projector() -> bool:
    """Whether this visit is the projector view (``?view=projector``)."""
    return st.query_params.get("view") == "projector"


def projector_link(dataset: str) -> str:
    """The leaderboard of ``dataset`` in large type, refreshing by itself."""
    return f"{origin()}/leaderboard?{urlencode({'view': 'projector', 'dataset': dataset})}"


def share_link(model: ModelSpec, train: TrainSpec) -> str:
    """A link that opens the Architecture page with this network and these settings."""
    return f"{origin()}/architecture?{urlencode({'net': share.token(model, train)})}"


def open_shared_link() -> None:
    """When the visit came through a share link, load its network for this session (once)."""
    text = st.query_params.get("net")
    if not text:
        return
    del st.query_params["net"]  # a reload must not load it over later edits
    try:
        model, train = share.read(text)
    except share.ShareError as exc:
        st.error(escape(exc))
        return
    state.use_spec(model, train)
    st.toast("Loaded the shared network: " + escape(model.name))
