"""Heavy objects built once per app process with ``st.cache_resource``, keyed by the settings."""

from __future__ import annotations

import streamlit as st

from agent.session import Session
from geomag_core.config import Settings
from ui.services.uploads import UploadStore

__all__ = ["agent_runner", "upload_store"]


@st.cache_resource(show_spinner="Starting the agent…")
def _runner(key: str, _settings: Settings) -> Session:
    return Session(_settings)


def agent_runner(settings: Settings) -> Session:
    """The agent (workbench, checkpointer, graph) for ``settings``, shared by every session."""
    return _runner(settings.model_dump_json(), settings)


def upload_store(settings: Settings) -> UploadStore:
    """Where uploads go: ``<data_dir>/uploads``, limited to ``upload_max_mb``."""
    return UploadStore(
        settings.data_dir / "uploads",
        settings.upload_max_mb * 2**20,
        max_pixels=settings.max_scene_pixels,
    )
