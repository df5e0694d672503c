"""The neural-network lab: pages in sections over one shared job manager and records."""

import streamlit as st

from ui import identity, links, live, resources

st.set_page_config(page_title="Neural-network lab", page_icon=":brain:", layout="wide")
resources.mark_app_run()
resources.check_settings()

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

if links.projector():  # the leaderboard alone, for a projector: no sidebar, no sign-in
    page = st.navigation(PAGES, position="hidden")  # every address stays known: no "Page not found"
    if page.url_path != LEADERBOARD.url_path:
        st.switch_page(LEADERBOARD, query_params=st.query_params.to_dict())
    with resources.records_guard():
        page.run()
    st.stop()
navigation = st.navigation(PAGES)
with resources.records_guard():
    with st.sidebar:
        identity.sidebar()
        live.training_status()
    links.open_shared_link()
    navigation.run()
