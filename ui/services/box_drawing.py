"""Drawing a box on the scene with the mouse: an Altair chart of the picture with a brush.

Streamlit has no image-drawing widget, but an Altair chart with an interval selection is one:
the picture is the chart's only mark, its axes are the scene's pixel columns and rows (row 0 at
the top, as in the image), and the brush the analyst drags comes back to Python
(``st.altair_chart(on_select="rerun")``) as the ranges of both axes, in scene pixels.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PIL import Image

from geomag_core.boxes import PixelBox

if TYPE_CHECKING:
    import altair as alt

__all__ = ["BRUSH", "box_chart", "box_text", "selected_box"]

#: The name of the chart's interval selection (the key of the box in the selection event).
BRUSH = "box"


def _data_url(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def box_chart(picture: Image.Image, size: tuple[int, int], width: int = 640) -> alt.Chart:
    """``picture`` (the scene, any resolution) on axes in scene pixels ``size`` = (W, H).

    The chart is ``width`` screen pixels wide, its height keeps the scene's aspect; dragging
    on it draws the brush :data:`BRUSH`.
    """
    import altair as alt
    import pandas as pd

    scene_w, scene_h = size
    height = max(1, round(width * scene_h / scene_w))
    shown = picture.copy()
    shown.thumbnail((width * 2, height * 2))  # sharp on a high-density screen, a small spec
    brush = alt.selection_interval(name=BRUSH, encodings=["x", "y"], empty=False)
    corners = {"x0": 0, "x1": scene_w, "y0": 0, "y1": scene_h, "url": _data_url(shown)}
    data = pd.DataFrame([corners])
    # The picture spans the scales from corner to corner (x..x2, y..y2), so it lies on them
    # whatever size the plot ends up at; no axes, so the plot is the whole chart.
    columns = alt.Scale(domain=[0, scene_w], nice=False)
    rows = alt.Scale(domain=[scene_h, 0], nice=False)  # row 0 at the top, as in the image
    chart: alt.Chart = (
        alt.Chart(data, width=width, height=height, padding=0)
        .mark_image(aspect=False)
        .encode(
            x=alt.X("x0:Q", scale=columns, axis=None),
            x2="x1:Q",
            y=alt.Y("y0:Q", scale=rows, axis=None),
            y2="y1:Q",
            url="url:N",
        )
        .add_params(brush)
        .configure_view(strokeWidth=0)
    )
    return chart


def selected_box(selection: Mapping[str, Any] | None, size: tuple[int, int]) -> PixelBox | None:
    """The brushed box in scene pixels, clipped to the scene (``None``: nothing brushed).

    ``selection`` is the event's ``selection`` (``{"box": {"x0": [a, b], "y0": [c, d]}}``: the
    brush's ranges are named after the fields on the x and y channels).
    A box less than one pixel wide or tall after clipping is no box.
    """
    ranges = (selection or {}).get(BRUSH) or {}
    columns, rows = ranges.get("x0"), ranges.get("y0")
    if not columns or not rows or len(columns) != 2 or len(rows) != 2:
        return None
    scene_w, scene_h = size
    try:
        x0, x1 = sorted(float(v) for v in columns)
        y0, y1 = sorted(float(v) for v in rows)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        return None
    x0, x1 = max(0, math.floor(x0)), min(scene_w, math.ceil(x1))
    y0, y1 = max(0, math.floor(y0)), min(scene_h, math.ceil(y1))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return PixelBox(x0, y0, x1, y1)


def box_text(box: PixelBox) -> str:
    """The box as the add form's field takes it: ``x0,y0,x1,y1``."""
    return ",".join(str(v) for v in box.as_tuple())
