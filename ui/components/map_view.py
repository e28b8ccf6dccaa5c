"""A folium map in the page (streamlit-folium), display only: it sends nothing back."""

from __future__ import annotations

from typing import Any

from streamlit_folium import st_folium

__all__ = ["show_map"]


def show_map(fmap: Any, key: str, height: int = 420) -> None:
    """Render ``fmap`` (a ``folium.Map``) under the widget key ``key``."""
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])
