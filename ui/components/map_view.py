"""A Leaflet map in the page, display only, self-contained: it loads nothing from the network."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.services.maps import map_html

__all__ = ["show_map"]


def show_map(fmap: Any, height: int = 420) -> None:
    """Render ``fmap`` (a ``folium.Map`` of :mod:`ui.services.maps`), ``height`` px high."""
    st.iframe(map_html(fmap), height=height)
