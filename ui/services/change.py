"""A change question's evidence for the app: the measure per date, and gains/losses as layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from shapely.geometry.base import BaseGeometry

from geomag_core.findings import Finding
from tools.capabilities import Findings
from tools.capabilities.change import ChangeFindings, DateRow
from ui.services.maps import MapLayer

if TYPE_CHECKING:
    import altair as alt

__all__ = ["change_layers", "change_table", "measure_chart", "measure_frame"]

#: Colours of gained and lost areas on the map.
GAINED, LOST = "#1a9850", "#d73027"


def change_table(findings: Mapping[str, Findings]) -> list[DateRow]:
    """The per-date rows of a change question (every capability's), oldest first."""
    rows = [r for f in findings.values() if isinstance(f, ChangeFindings) for r in f.table]
    return sorted(rows, key=lambda r: (r.date, r.subject))


def measure_frame(rows: Sequence[DateRow]) -> pd.DataFrame:
    """Date × subject table of the measure (hectares, or counts without a metric area)."""
    if not rows:
        return pd.DataFrame()
    metric = all(r.area_m2 is not None for r in rows)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime([r.date for r in rows]),
            "subject": [r.subject for r in rows],
            "value": [(r.area_m2 or 0.0) / 1e4 if metric else r.count for r in rows],
        }
    )
    wide = frame.pivot_table(index="date", columns="subject", values="value", aggfunc="sum")
    wide.columns = [f"{c} ({'ha' if metric else 'count'})" for c in wide.columns]
    return wide


def measure_chart(rows: Sequence[DateRow]) -> alt.Chart:
    """The measure per date as a line chart whose x-axis names each date with its year.

    (``st.line_chart`` labelled a 2009–2024 series "October April …", without years.)
    """
    import altair as alt

    frame = measure_frame(rows)
    long = frame.reset_index().melt("date", var_name="measure", value_name="value")
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="date", axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
            y=alt.Y("value:Q", title=", ".join(frame.columns)),
            color=alt.Color("measure:N", title=None),
            tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), "measure:N", "value:Q"],
        )
    )
    return chart


def change_layers(results: Sequence[Finding]) -> list[MapLayer]:
    """Gained (green) and lost (red) polygons of a change question as map layers (WGS84)."""

    def layer(suffix: str) -> list[tuple[BaseGeometry, str]]:
        return [
            (shape, f"{r.label}: {r.area_m2 or 0:,.0f} m²")
            for r in results
            if str(r.label or "").endswith(suffix) and (shape := r.geometry) is not None
        ]

    return [
        MapLayer("gained", GAINED, layer(" gained"), 0.6),
        MapLayer("lost", LOST, layer(" lost"), 0.6),
    ]
