"""The first import of app.py and of every page: the lab opens through app.py's menu.

Streamlit runs a folder named pages/ as an old-style multipage app until the first
st.navigation call in the process. So the first visitor after a server starts who opens
/train directly gets pages/train.py run alone, under a menu of raw file names, while
that page loads TensorFlow (seconds). Importing this module first switches the old mode
off for the whole process, and sends such a run back through app.py at once, before
anything heavy loads. (A second browser whose first run began in the old mode before
this took effect still reaches app.py, later, through `ui.resources.via_app`.)
"""

from __future__ import annotations

import streamlit as st

try:
    from streamlit.runtime.pages_manager import PagesManager

    _OLD_MODE = bool(PagesManager.uses_pages_directory)
    PagesManager.uses_pages_directory = False
except (ImportError, AttributeError):  # a future Streamlit without the old mode
    _OLD_MODE = False

if _OLD_MODE:  # app.py calls st.navigation before importing anything: this is a page run alone
    st.rerun()  # the run starts again through app.py (this module is imported afresh then)
