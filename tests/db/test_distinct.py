"""Distinct objects: re-asking stores every result again, history groups them into objects.

Also the pixel outline every record carries (``outline_px``), for scenes with or without a CRS.
Runs on SpatiaLite and PostGIS (``engine`` fixture).
"""

from __future__ import annotations

import dataclasses

import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import Engine

from db.enums import ResultKind
from db.history import (
    HistoryFilter,
    HistoryOrder,
    distinct_objects,
    find_all_results,
    find_distinct_objects,
    outline_in_pixels,
)
from db.records import ResultFacts, SceneFacts
from db.writes import save_question
from geomag_core.boxes import PixelBox
from geomag_core.errors import DatabaseError
from tests.data.history import SCENE_A, answer, question, utc

#: SCENE_A's transform: 0.6 m pixels from (500000, 5200000) in EPSG:32614.
A, C, E, F = 0.6, 500000.0, -0.6, 5200000.0
PIXEL_SCENE = SceneFacts(
    uri="/data/airbus-no-crs.jpg", content_hash="f" * 64, width=2560, height=2560, bands=3,
    crs=None, transform=None, footprint=None, acquired=None,
)  # fmt: skip


def _in_crs(px: tuple[int, int, int, int]) -> Polygon:
    x0, y0, x1, y1 = px
    return box(C + A * x0, F + E * y1, C + A * x1, F + E * y0)


def _plane(px: tuple[int, int, int, int], confidence: float, georeferenced: bool) -> ResultFacts:
    return ResultFacts(
        kind=ResultKind.MASK,
        label="aircraft",
        text=f"plane {px}",
        confidence=confidence,
        geometry=box(-99.15, 47.05, -99.149, 47.051) if georeferenced else None,
        geometry_scene=_in_crs(px) if georeferenced else box(*px),
        pixel_box=PixelBox(*px),
    )


def _ask_three_times(engine: Engine, scene: SceneFacts, georeferenced: bool) -> None:
    """Three askings find the same two aircraft (shifted a little), one also a third one."""
    askings = [
        [((100, 100, 140, 140), 0.6), ((500, 500, 540, 540), 0.7)],
        [((102, 101, 141, 141), 0.9), ((501, 500, 541, 540), 0.5)],
        [((99, 100, 139, 140), 0.4), ((500, 502, 540, 542), 0.8), ((900, 900, 920, 920), 0.3)],
    ]
    for i, found in enumerate(askings):
        results = [_plane(px, c, georeferenced) for px, c in found] + [answer(f"count {i}")]
        save_question(
            engine, question(scene, "how many aircraft?", utc(2024, 3, 1, 10 + i), results)
        )


@pytest.mark.parametrize("georeferenced", [True, False], ids=["utm", "no-crs"])
def test_re_asked_results_are_one_object_each(engine: Engine, georeferenced: bool) -> None:
    scene = SCENE_A if georeferenced else PIXEL_SCENE
    _ask_three_times(engine, scene, georeferenced)
    masks = HistoryFilter(kinds=[ResultKind.MASK])
    assert len(find_all_results(engine, masks)) == 7  # every query keeps its own results
    objects = find_distinct_objects(engine, masks, order=HistoryOrder.OLDEST)
    assert [o.queries for o in objects] == [3, 3, 1]
    assert [o.best_confidence for o in objects] == [0.9, 0.8, 0.3]
    assert [len(o.result_ids) for o in objects] == [3, 3, 1]
    first = objects[0]
    assert first.best.pixel_box == PixelBox(102, 101, 141, 141)
    assert first.best.outline_px is not None
    assert first.best.outline_px.bounds == pytest.approx((102, -141, 141, -101), abs=1e-6)
    # answers are never merged
    answers = find_distinct_objects(engine, HistoryFilter(kinds=[ResultKind.ANSWER]))
    assert len(answers) == 3


def test_the_iou_threshold_decides(engine: Engine) -> None:
    _ask_three_times(engine, PIXEL_SCENE, georeferenced=False)
    records = find_all_results(engine, HistoryFilter(kinds=[ResultKind.MASK]))
    assert len(distinct_objects(records, min_iou=0.99)) == 7  # nothing is that close
    assert len(distinct_objects(records, min_iou=0.5)) == 3
    other = [dataclasses.replace(r, label="car") for r in records[:1]]
    assert len(distinct_objects([*records, *other], 0.5)) == 4  # another label: another object
    with pytest.raises(DatabaseError, match="min_iou"):
        distinct_objects(records, min_iou=0.0)


def test_outlines_in_the_qgis_pixel_frame() -> None:
    transform = (A, 0.0, C, 0.0, E, F)
    outline = outline_in_pixels(_in_crs((10, 20, 30, 40)), transform)
    assert outline is not None
    assert outline.bounds == pytest.approx((10, -40, 30, -20), abs=1e-6)
    assert outline_in_pixels(box(10, 20, 30, 40), None).bounds == (10, -40, 30, -20)
    from_box = outline_in_pixels(None, transform, PixelBox(1, 2, 3, 4))
    assert from_box is not None and from_box.bounds == (1, -4, 3, -2)
    assert outline_in_pixels(None, None) is None
