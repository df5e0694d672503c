"""The neural-network lab: pages in sections over one shared job manager and records."""

import sys

import streamlit as st

st.set_page_config(page_title="Neural-network lab", page_icon=":brain:", layout="wide")

LEADERBOARD = st.Page("pages/leaderboard.py", title="Leaderboard", icon=":material/trophy:")
DATASETS = st.Page("pages/datasets.py", title="Datasets", icon=":material/grid_view:", default=True,
                   url_path="start")  # served at the root; /datasets is its alias below
PAGES = {
    "Learn": [
        DATASETS,
        st.Page("pages/architecture.py", title="Architecture", icon=":material/account_tree:"),
    ],
    "Train": [
        st.Page("pages/train.py", title="Train", icon=":material/monitoring:"),
        st.Page("pages/sweeps.py", title="Sweeps", icon=":material/tune:"),
    ],
    "Inspect": [
        st.Page("pages/results.py", title="Results", icon=":material/table_chart:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
        st.Page("pages/inside.py", title="Inside the network", icon=":material/neurology:"),
    ],
    "Class": [LEADERBOARD],
    "": [st.Page(lambda: st.switch_page(DATASETS), title="Datasets", url_path="datasets", visibility="hidden")],
}

# The menu first, then the lab (see ui/entry.py): the first visit after a server starts loads
# TensorFlow, which takes seconds.
PROJECTOR = st.query_params.get("view") == "projector"  # what ui.links.projector() reads
navigation = st.navigation(PAGES, position="hidden" if PROJECTOR else "sidebar")  # hidden: every address known

loading = st.empty()
if "ui.resources" not in sys.modules:  # the first visit since the server started
    loading.caption("Opening the lab: the first visit after the server starts loads TensorFlow, a few seconds.")
import ui.entry  # noqa: E402,F401 (after st.navigation, on purpose)
from ui import identity, links, live, resources  # noqa: E402

loading.empty()

resources.mark_app_run()
resources.check_settings()

if PROJECTOR:  # the leaderboard alone, for a projector: no sidebar, no sign-in
    if navigation.url_path != LEADERBOARD.url_path:
        st.switch_page(LEADERBOARD, query_params=st.query_params.to_dict())
    with resources.records_guard():
        navigation.run()
    st.stop()
with resources.records_guard():
    with st.sidebar:
        identity.sidebar()
        live.training_status()
    links.open_shared_link()
    navigation.run()
