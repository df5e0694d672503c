"""The neural-network lab: five pages over one shared job manager."""

import streamlit as st

from ui import live, resources, state

st.set_page_config(page_title="Neural-network lab", page_icon=":brain:", layout="wide")
resources.mark_app_run()
resources.check_settings()

PAGES = [
    st.Page("pages/datasets.py", title="Datasets", icon=":material/grid_view:", default=True),
    st.Page("pages/architecture.py", title="Architecture", icon=":material/account_tree:"),
    st.Page("pages/train.py", title="Train", icon=":material/monitoring:"),
    st.Page("pages/results.py", title="Results", icon=":material/table_chart:"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
]
navigation = st.navigation(PAGES)

with st.sidebar:
    state.owner()
    st.text_input("Your name", key=state.OWNER_KEY, help="Jobs you start belong to this name; "
                  "only you can stop them. Anyone can watch.")
    live.training_status()

navigation.run()
