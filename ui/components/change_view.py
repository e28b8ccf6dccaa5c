"""A change question's evidence: the measure over time as a line chart, gains and losses mapped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from geomag_core.findings import Finding
from geomag_core.scene import Scene
from tools.capabilities import Findings
from ui.components.map_view import show_map
from ui.services.change import GAINED, LOST, change_layers, change_table, measure_chart
from ui.services.maps import MapLayer, evidence_map

__all__ = ["show_change"]


def show_change(scene: Scene, findings: Mapping[str, Findings], results: Sequence[Finding]) -> bool:
    """Render the chart and the gains/losses map; ``False`` when the answer is not about change."""
    rows = change_table(findings)
    if not rows:
        return False
    st.markdown("**Measured per date** (each date stored once, reused when asked again)")
    st.altair_chart(measure_chart(rows), width="stretch")
    layers = change_layers(results)
    if scene.is_georeferenced and any(layer.shapes for layer in layers):
        image, _ = scene.read_overview(512)
        fmap = evidence_map(
            [
                MapLayer("footprint", "#1f77b4", [(scene.footprint_wgs84, scene.path.name)], 0.0),
                *layers,
            ],
            image=image,
            image_outline=scene.footprint_wgs84,
        )
        st.caption(
            f"Between the first and the last date: gained in green ({GAINED}), lost in red "
            f"({LOST}), over this scene."
        )
        show_map(fmap)
    return True
