"""The profile banner: what the active capabilities answer (a warning for random weights)."""

from __future__ import annotations

import streamlit as st

from geomag_core.config import Settings
from ui.services.profile import example_prompts, profile_notice

__all__ = ["profile_banner"]


def profile_banner(settings: Settings) -> None:
    """Show what the active profile means (tiny: meaningless outputs; nano: its limits)."""
    notice = profile_notice(settings)
    if notice is None:
        return
    level, text = notice
    if level == "warning":
        st.warning(text, icon="⚠️")
    else:
        st.info(text, icon="ℹ️")
    examples = example_prompts(settings)
    if examples:
        st.caption("Try: " + " · ".join(f"“{q}”" for q in examples))
