"""What the pages need from the agent and the database, with no Streamlit in it.

Every module here is plain Python (testable without a running app); ``ui.resources`` caches the
heavy objects it builds with ``st.cache_resource``.
"""
