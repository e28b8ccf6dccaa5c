"""Chat page: pick a scene, ask, watch the step trail, read the answer and its evidence."""

from __future__ import annotations

import streamlit as st

from ui.components.configuration import settings_or_stop
from ui.components.conversation import chat, investigations_sidebar
from ui.components.scene_picker import pick_scene
from ui.resources import agent_runner, upload_store
from ui.services.errors import readable_error

st.title("Ask a scene")
settings = settings_or_stop()
try:
    runner = agent_runner(settings)
except Exception as exc:
    st.error(readable_error(exc, settings))
    st.stop()
scene = pick_scene(settings, upload_store(settings))
investigations_sidebar(runner, settings)
chat(runner, settings, scene)
