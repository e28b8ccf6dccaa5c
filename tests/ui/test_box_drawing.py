"""The box the analyst drags on the scene chart comes back in scene pixels, clipped and checked."""

from __future__ import annotations

from PIL import Image

from geomag_core.boxes import PixelBox
from ui.services.box_drawing import BRUSH, box_chart, box_text, selected_box


def test_a_brush_becomes_a_pixel_box_clipped_to_the_scene() -> None:
    size = (2560, 1280)
    brush = {BRUSH: {"x0": [1590.4, 970.2], "y0": [963.0, 1591.7]}}  # dragged up-left
    assert selected_box(brush, size) == PixelBox(970, 963, 1591, 1280)  # rows clipped at 1280
    assert box_text(PixelBox(970, 963, 1591, 1280)) == "970,963,1591,1280"


def test_no_brush_or_a_box_off_the_scene_is_no_box() -> None:
    size = (100, 100)
    assert selected_box(None, size) is None and selected_box({}, size) is None
    assert selected_box({BRUSH: {}}, size) is None  # cleared with a double-click
    assert selected_box({BRUSH: {"x0": [150, 200], "y0": [10, 20]}}, size) is None
    assert selected_box({BRUSH: {"x0": [10, 10.2], "y0": [10, 20]}}, size) is not None
    assert selected_box({BRUSH: {"x0": [5, 5], "y0": [10, 20]}}, size) is None
    assert selected_box({BRUSH: {"x0": ["a", 3], "y0": [10, 20]}}, size) is None
    assert selected_box({BRUSH: {"x0": [float("nan"), 3], "y0": [1, 2]}}, size) is None


def test_the_chart_puts_row_zero_at_the_top_over_the_whole_scene() -> None:
    spec = box_chart(Image.new("RGB", (400, 200)), (2560, 1280), width=640).to_dict()
    assert spec["width"] == 640 and spec["height"] == 320  # the scene's aspect
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 2560]
    assert spec["encoding"]["y"]["scale"]["domain"] == [1280, 0]
    assert spec["params"][0]["name"] == BRUSH
    assert spec["encoding"]["x2"]["field"] == "x1" and spec["encoding"]["y2"]["field"] == "y1"
    ((corners,),) = spec["datasets"].values()
    assert (corners["x0"], corners["x1"], corners["y0"], corners["y1"]) == (0, 2560, 0, 1280)
