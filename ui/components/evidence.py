"""An answer's evidence: masks and boxes on the scene image, on a map, and the zoom drawer."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from shapely import wkt

from agent.events import spent
from geomag_core.boxes import PixelBox
from geomag_core.scene import Scene
from tools.storing import box_footprint
from ui.components.map_view import show_map
from ui.components.step_trail import zoom_drawer
from ui.services.asking import Outcome
from ui.services.maps import MapLayer, evidence_map
from ui.services.overlays import ZOOM_COLOURS, draw_evidence

__all__ = ["show_evidence"]


def _results_frame(outcome: Outcome) -> pd.DataFrame:
    ids: list[int | None] = [*outcome.result_ids] or [None] * len(outcome.results)
    rows = [
        {
            "result": rid,
            "kind": r.get("kind"),
            "label": r.get("label"),
            "confidence": r.get("confidence"),
            "area m²": r.get("area_m2"),
            "pixel box": r.get("pixel_box"),
        }
        for rid, r in zip(ids, outcome.results, strict=True)
    ]
    return pd.DataFrame(rows)


def _map(scene: Scene, outcome: Outcome, key: str) -> None:
    zoom = [
        (geom, f"zoom {s['depth']}: {s['window']}")
        for s in outcome.zoom_steps
        if (geom := box_footprint(scene, PixelBox(*s["window"]))) is not None
    ]
    ids: list[int | None] = [*outcome.result_ids] or [None] * len(outcome.results)
    masks = [
        (wkt.loads(r["wkt"]), f"#{rid} {r.get('label')} ({r.get('confidence')})")
        for rid, r in zip(ids, outcome.results, strict=True)
        if r.get("wkt")
    ]
    image, _ = scene.read_overview(512)
    fmap = evidence_map(
        [
            MapLayer("footprint", "#1f77b4", [(scene.footprint_wgs84, scene.path.name)], 0.0),
            MapLayer("zoom windows", "#{:02x}{:02x}{:02x}".format(*ZOOM_COLOURS[0]), zoom, 0.0),
            MapLayer("results", "#ff2828", masks),
        ],
        image=image,
        image_outline=scene.footprint_wgs84,
    )
    show_map(fmap, key=key)


def show_evidence(scene: Scene, outcome: Outcome, *, with_map: bool) -> None:
    """Tabs with the scene overlay, the map (georeferenced scenes), the zoom trail and results."""
    if outcome.budget:
        st.caption(f"Spent {spent(outcome.budget)}.")
    names = ["Scene", "Map", "Zoom trail", "Results"]
    tabs = st.tabs(names)
    with tabs[0]:
        st.image(
            draw_evidence(scene, outcome.results, outcome.zoom_steps),
            caption="masks in red, zoom windows by depth (yellow, orange, pink)",
            width="stretch",
        )
    with tabs[1]:
        if not scene.is_georeferenced:
            st.info("This scene has no CRS, so its results have no map position.")
        elif with_map:
            _map(scene, outcome, key=f"evidence-map-{outcome.query_id}")
        else:
            st.caption("The map is shown for the latest answer.")
    with tabs[2]:
        zoom_drawer(scene, outcome.zoom_steps)
    with tabs[3]:
        st.dataframe(_results_frame(outcome), hide_index=True)
