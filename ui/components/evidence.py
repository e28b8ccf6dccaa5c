"""An answer's evidence: masks and boxes on the scene image, on a map, and the zoom drawer."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from agent.session import Outcome
from geomag_core.errors import GeoMagError
from geomag_core.findings import Finding
from geomag_core.psc.heatmap import HeatMap
from geomag_core.scene import Scene
from tools.storing import box_footprint
from tools.workbench import Workbench
from ui.components.change_view import show_change
from ui.components.map_view import show_map
from ui.components.result_actions import add_object_form, draw_box
from ui.components.step_trail import zoom_drawer
from ui.services.change import change_table
from ui.services.errors import readable_error
from ui.services.heat import zoom_heat_maps
from ui.services.history import analyst_outlines
from ui.services.maps import MapLayer, evidence_map, pixel_map
from ui.services.overlays import ZOOM_COLOURS, draw_evidence, mask_rings_px

__all__ = ["results_frame", "show_evidence"]


def _centre(result: Finding) -> tuple[float | None, float | None]:
    """``(lat, lon)`` of a result's WGS84 shape (a point inside it), or ``(None, None)``."""
    centre = result.centroid
    if centre is None:
        return None, None
    return round(centre[1], 6), round(centre[0], 6)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def results_frame(outcome: Outcome) -> pd.DataFrame:
    """The Results tab's table, one row per result, rounded for reading.

    Confidence to 2 decimals, area to 0.1 m², latitude/longitude of a point inside the shape to
    6 decimals (about 0.1 m; empty for a scene without a CRS), the pixel box as stored.
    """
    ids: list[int | None] = [*outcome.result_ids] or [None] * len(outcome.results)
    rows = []
    for rid, r in zip(ids, outcome.results, strict=True):
        lat, lon = _centre(r)
        rows.append(
            {
                "result": rid,
                "kind": r.kind,
                "label": r.label,
                "confidence": _rounded(r.confidence, 2),
                "area m²": _rounded(r.area_m2, 1),
                "lat": lat,
                "lon": lon,
                "pixel box": list(r.pixel_box) if r.pixel_box else None,
            }
        )
    return pd.DataFrame(rows)


def _map(scene: Scene, outcome: Outcome) -> None:
    """The evidence on a map: WGS84 for georeferenced scenes, the pixel frame otherwise."""
    ids: list[int | None] = [*outcome.result_ids] or [None] * len(outcome.results)
    tips = [
        f"#{rid} {r.label} ({r.confidence})" for rid, r in zip(ids, outcome.results, strict=True)
    ]
    image, _ = scene.read_overview(512)
    zoom_colour = "#{:02x}{:02x}{:02x}".format(*ZOOM_COLOURS[0])
    if scene.is_georeferenced:
        zoom = [
            (geom, f"zoom {s.depth}: {list(s.window.as_tuple())}")
            for s in outcome.zoom_steps
            if (geom := box_footprint(scene, s.window)) is not None
        ]
        masks = [
            (shape, tip)
            for r, tip in zip(outcome.results, tips, strict=True)
            if (shape := r.geometry) is not None
        ]
        fmap = evidence_map(
            [
                MapLayer("footprint", "#1f77b4", [(scene.footprint_wgs84, scene.path.name)], 0.0),
                MapLayer("zoom windows", zoom_colour, zoom, 0.0),
                MapLayer("results", "#ff2828", masks),
            ],
            image=image,
            image_outline=scene.footprint_wgs84,
        )
    else:
        zoom = [
            (box(*s.window.as_tuple()), f"zoom {s.depth}: {list(s.window.as_tuple())}")
            for s in outcome.zoom_steps
        ]
        masks = [
            (Polygon(ring), tip)
            for r, tip in zip(outcome.results, tips, strict=True)
            for ring in mask_rings_px(scene, r)
            if len(ring) >= 3
        ]
        boxes = [
            (box(*r.pixel_box), tip)
            for r, tip in zip(outcome.results, tips, strict=True)
            if r.kind == "box" and r.pixel_box
        ]
        fmap = pixel_map(
            [
                MapLayer("zoom windows", zoom_colour, zoom, 0.0),
                MapLayer("results", "#ff2828", masks),
                MapLayer("boxes", "#00dcff", boxes, 0.0),
            ],
            image,
            scene.width,
            scene.height,
        )
        st.caption("This scene has no CRS: the map is in its pixel frame, as QGIS places it.")
    if outcome.results and not masks:
        st.caption("No result has an outline to draw on the map.")
    show_map(fmap)


def _heat_controls(
    wb: Workbench | None, scene: Scene, outcome: Outcome
) -> tuple[dict[tuple[int, ...], HeatMap], float]:
    """The heat-map toggle and opacity; the maps (computed once per answer) when it is on."""
    if wb is None or not outcome.zoom_steps:
        return {}, 0.5
    key = f"evidence.heat.{outcome.query_id}"
    left, right = st.columns([1, 2])
    shown = left.toggle("PSC heat map", key=key, help="Where the model's attention pointed")
    opacity = right.slider(
        "Heat opacity", 0.1, 1.0, 0.55, 0.05, key=f"{key}.opacity", disabled=not shown
    )
    if not shown:
        return {}, opacity
    cache_key = f"{key}.maps"
    if cache_key not in st.session_state:
        try:
            with st.spinner("Recomputing the heat maps the windows were chosen on…"):
                st.session_state[cache_key] = zoom_heat_maps(
                    wb, scene, outcome.question, outcome.zoom_steps, outcome.results
                )
        except GeoMagError as exc:
            st.warning(f"The heat map is unavailable: {exc}")
            return {}, opacity
    maps: dict[tuple[int, ...], HeatMap] = st.session_state[cache_key]
    return maps, opacity


def _analyst_outlines(workbench: Workbench | None, scene: Scene) -> list[tuple[BaseGeometry, str]]:
    """The analyst's added and corrected outlines stored for ``scene`` (none without history)."""
    if workbench is None:
        return []
    try:
        return analyst_outlines(workbench.engine, scene.content_hash)
    except GeoMagError as exc:
        st.caption(f"Your stored verdicts cannot be shown: {readable_error(exc)}")
        return []


def show_evidence(
    scene: Scene, outcome: Outcome, *, with_map: bool, workbench: Workbench | None = None
) -> None:
    """Tabs with the scene overlay, the map, the zoom trail and the results.

    With ``workbench`` the Scene tab offers the PSC heat map (with opacity) under the windows,
    and the Zoom trail shows each step's heat map.
    """
    notes = [outcome.looked_at.line()] if outcome.looked_at else []
    if outcome.plan is not None:
        notes.append(
            f"Answered from stored results ({outcome.plan.describe()}): the "
            f"{len(outcome.results)} kept result(s) on this scene are drawn; nothing new was "
            "stored."
        )
    if outcome.rebuilt:
        notes.append(f"Evidence rebuilt from the database (query #{outcome.query_id}).")
    if notes:
        st.caption(" ".join(notes))
    if change_table(outcome.findings):
        with st.expander("Change across dates", expanded=True):
            show_change(scene, outcome.findings, outcome.results)
    names = ["Scene", "Map", "Zoom trail", "Results"]
    tabs = st.tabs(names)
    with tabs[0]:
        maps, opacity = _heat_controls(workbench, scene, outcome)
        caption = "masks in red, zoom windows by depth (yellow, orange, pink)"
        if maps:
            first = next(iter(maps.values()))
            caption += f"; PSC heat ({first.source}) from blue (cold) to red (hot)"
        analyst = _analyst_outlines(workbench, scene)
        kinds = {kind for _, kind in analyst}
        caption += "; your added objects in green" if "added" in kinds else ""
        caption += "; your corrected outlines in white" if "corrected" in kinds else ""
        picture = draw_evidence(
            scene, outcome.results, outcome.zoom_steps, heat=list(maps.values())[:1],
            opacity=opacity, analyst=analyst,
        )  # fmt: skip
        adding = workbench is not None and with_map and outcome.query_id is not None
        key = f"scene_add.{outcome.query_id}"
        if adding and st.toggle(
            "Draw a missed object's box",
            key=f"{key}.drawing",
            help="Swaps the picture for one you can drag a box on, in scene pixels.",
        ):
            draw_box(picture, scene.size, key)
        else:
            st.image(picture, caption=caption, width="stretch")
        if adding:
            assert workbench is not None
            add_object_form(workbench.engine, {scene.content_hash: scene.path.name}, key=key)
    with tabs[1]:
        if with_map:
            _map(scene, outcome)
        else:
            st.caption("The map is shown for the latest answer.")
    with tabs[2]:
        zoom_drawer(scene, outcome.zoom_steps, heat=maps, opacity=opacity)
    with tabs[3]:
        st.dataframe(results_frame(outcome), hide_index=True)
