"""The GeoMag analyst app: ``streamlit run ui/app.py`` (or ``geomag app``). Routes only."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="GeoMag", page_icon="🛰️", layout="wide")
st.navigation(
    [
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/scenes.py", title="Scenes", icon=":material/satellite_alt:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ]
).run()
