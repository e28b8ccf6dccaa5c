"""Scenes page: the catalogue with footprints on a map and stored result counts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.components.configuration import settings_or_stop
from ui.components.map_view import show_map
from ui.resources import agent_runner, upload_store
from ui.services.catalogue import list_scenes, summarize
from ui.services.errors import readable_error
from ui.services.maps import MapLayer, evidence_map

st.title("Scenes")
settings = settings_or_stop()
try:
    engine = agent_runner(settings).workbench.engine
    entries = list_scenes(settings, upload_store(settings))
    summaries = [summarize(e, engine, settings.max_scene_pixels) for e in entries]
except Exception as exc:
    st.error(readable_error(exc, settings))
    st.stop()
st.caption(
    "Bundled samples, the folder in GEOMAG_SCENES_DIR "
    f"({settings.scenes_dir or 'unset'}) and uploads ({settings.data_dir / 'uploads'})."
)
st.dataframe(
    pd.DataFrame(
        {
            "scene": s.entry.path.name,
            "source": s.entry.source,
            "size": f"{s.width}×{s.height}" if s.width else "",
            "CRS": s.crs or ("" if s.error else "none (pixel space)"),
            "results": s.results,
            "problem": s.error or "",
            "path": str(s.entry.path),
        }
        for s in summaries
    ),
    hide_index=True,
)
shapes = [
    (s.footprint, f"{s.entry.path.name}: {s.results} result(s)")
    for s in summaries
    if s.footprint is not None
]
if shapes:
    show_map(evidence_map([MapLayer("footprints", "#1f77b4", shapes, 0.15)]))
