"""The neural-network lab's library: data, specs, models, jobs, records, prediction.

Nothing here imports streamlit; the pages in ``pages/`` are thin callers.
"""
