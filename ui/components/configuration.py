"""The page preamble: read the settings, or say what is wrong with them and stop."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from geomag_core.config import Settings
from geomag_core.errors import ConfigError
from ui.components.banner import profile_banner
from ui.services.errors import readable_error

__all__ = ["settings_or_stop"]


def settings_or_stop() -> Settings:
    """The effective settings, with the profile banner shown; a readable error stops the page."""
    try:
        settings = Settings()
    except (ValidationError, ConfigError) as exc:  # Settings() raises ConfigError for a bad value
        st.error(readable_error(exc))
        st.stop()
    profile_banner(settings)
    return settings
