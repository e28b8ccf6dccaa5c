"""A change question's evidence for the app: the measure per date, and gains/losses as layers."""

from __future__ import annotations

from typing import Any

import pandas as pd
from shapely import wkt

from ui.services.maps import MapLayer

__all__ = ["change_layers", "change_table", "measure_frame"]

#: Colours of gained and lost areas on the map.
GAINED, LOST = "#1a9850", "#d73027"


def change_table(findings: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-date rows of a change question (every capability's), oldest first."""
    rows = [
        r for found in findings.values() if isinstance(found, dict) for r in found.get("table", [])
    ]
    return sorted(rows, key=lambda r: (r["date"], r["subject"]))


def measure_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Date × subject table of the measure (hectares, or counts without a metric area)."""
    if not rows:
        return pd.DataFrame()
    metric = all(r["area_m2"] is not None for r in rows)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime([r["date"] for r in rows]),
            "subject": [r["subject"] for r in rows],
            "value": [r["area_m2"] / 1e4 if metric else r["count"] for r in rows],
        }
    )
    wide = frame.pivot_table(index="date", columns="subject", values="value", aggfunc="sum")
    wide.columns = [f"{c} ({'ha' if metric else 'count'})" for c in wide.columns]
    return wide


def change_layers(results: list[dict[str, Any]]) -> list[MapLayer]:
    """Gained (green) and lost (red) polygons of a change question as map layers (WGS84)."""
    gained = [
        (wkt.loads(r["wkt"]), f"{r['label']}: {r['area_m2']:,.0f} m²")
        for r in results
        if str(r.get("label", "")).endswith(" gained") and r.get("wkt")
    ]
    lost = [
        (wkt.loads(r["wkt"]), f"{r['label']}: {r['area_m2']:,.0f} m²")
        for r in results
        if str(r.get("label", "")).endswith(" lost") and r.get("wkt")
    ]
    return [MapLayer("gained", GAINED, gained, 0.6), MapLayer("lost", LOST, lost, 0.6)]
