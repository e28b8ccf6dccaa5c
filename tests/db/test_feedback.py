"""The analyst's verdicts count: rejected results leave history, corrections replace outlines,
missed objects can be added, and every shape must lie on its scene. Both databases."""

from __future__ import annotations

import dataclasses

import pytest
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import Polygon, box
from sqlalchemy import Engine

from db.enums import ResultKind, Verdict
from db.feedback import add_object, save_feedback
from db.history import HistoryFilter, count_results, find_all_results
from db.writes import save_question
from geomag_core.errors import DatabaseError
from tests.data.history import SCENE_A, SEED, located, question, utc

#: A scene without a CRS (an Airbus JPEG): its shapes are in pixels.
JPEG = dataclasses.replace(
    SCENE_A, uri="/data/ef92f434-5a1e.jpg", content_hash="f" * 64, crs=None, transform=None,
    footprint=None,
)  # fmt: skip


def _lonlat(pixels: Polygon) -> Polygon:
    """``pixels`` of SCENE_A (UTM 14N, 0.6 m) in WGS84 lon/lat."""
    a, b, c, d, e, f = SCENE_A.transform or ()
    utm = affinity.affine_transform(pixels, [a, b, d, e, c, f])
    to_wgs84 = Transformer.from_crs(SCENE_A.crs, 4326, always_xy=True)
    return Polygon([to_wgs84.transform(x, y) for x, y in utm.exterior.coords])


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    for record in SEED:
        save_question(engine, record)
    save_question(
        engine,
        question(
            JPEG,
            "how many aircraft?",
            utc(2024, 5, 1),
            [located("jpeg-plane", "aircraft", 0.6, None)],
        ),
    )
    return engine


def _ids(engine: Engine, **where: object) -> dict[str | None, int]:
    return {r.text: r.result_id for r in find_all_results(engine, HistoryFilter(**where))}


def test_a_rejected_result_leaves_history_counts_and_exports_unless_asked_for(
    seeded: Engine,
) -> None:
    ids = _ids(seeded)
    before = count_results(seeded)
    save_feedback(seeded, ids["plane-1"], Verdict.REJECT, note="a shadow")
    assert "plane-1" not in _ids(seeded)
    assert count_results(seeded) == before - 1
    with_rejected = {
        r.text: r for r in find_all_results(seeded, HistoryFilter(include_rejected=True))
    }
    assert with_rejected["plane-1"].verdict == Verdict.REJECT
    assert with_rejected["plane-2"].verdict is None
    # Changing one's mind counts: the latest verdict is the one.
    save_feedback(seeded, ids["plane-1"], Verdict.ACCEPT)
    assert "plane-1" in _ids(seeded)


def test_a_correction_stands_in_for_the_outline_and_the_original_is_kept(seeded: Engine) -> None:
    rid = _ids(seeded)["plane-1"]
    (before,) = [r for r in find_all_results(seeded) if r.result_id == rid]
    save_feedback(seeded, rid, Verdict.CORRECT, geometry=_lonlat(box(12, 22, 40, 48)))
    (record,) = [r for r in find_all_results(seeded) if r.result_id == rid]
    assert record.verdict == Verdict.CORRECT
    assert record.original_outline_px == before.outline_px
    assert record.original_geometry == before.geometry
    assert record.outline_px is not None
    assert record.outline_px.bounds == pytest.approx((12, -48, 40, -22), abs=1e-6)
    assert record.geometry is not None and record.original_geometry is not None
    assert record.geometry.bounds != record.original_geometry.bounds
    assert record.area_m2 == pytest.approx(28 * 26 * 0.36, rel=0.01)


def test_a_scene_without_a_crs_is_corrected_in_pixels(seeded: Engine) -> None:
    rid = _ids(seeded)["jpeg-plane"]
    with pytest.raises(DatabaseError, match=r"has no CRS.*pixels"):
        save_feedback(seeded, rid, Verdict.CORRECT, geometry=box(-99.15, 47.05, -99.14, 47.06))
    save_feedback(seeded, rid, Verdict.CORRECT, pixels=box(100, 200, 150, 260))
    (record,) = [r for r in find_all_results(seeded) if r.result_id == rid]
    assert record.geometry is None
    assert record.outline_px is not None
    assert record.outline_px.bounds == pytest.approx((100, -260, 150, -200))


@pytest.mark.parametrize(
    ("shape", "frame"),
    [
        (box(-0.0001, 0, 0.0001, 1e-4), "geometry"),  # 10,000 km away, on a UTM scene
        (Polygon([(0, 0), (1, 0), (1, 1), (0, 0)]), "geometry"),
        (box(990, 990, 1200, 1100), "pixels"),  # partly past the edge of a 1000² scene
    ],
)
def test_a_correction_off_the_scene_is_refused_and_nothing_is_stored(
    seeded: Engine, shape: Polygon, frame: str
) -> None:
    rid = _ids(seeded)["plane-2"]
    with pytest.raises(DatabaseError, match=r"does not lie on the scene|valid polygon|far outside"):
        save_feedback(seeded, rid, Verdict.CORRECT, **{frame: shape})
    (record,) = [r for r in find_all_results(seeded) if r.result_id == rid]
    assert record.verdict is None


def test_a_missed_object_is_added_with_provenance_and_found_by_label_and_scene(
    seeded: Engine,
) -> None:
    before = {r.result_id for r in find_all_results(seeded, HistoryFilter(labels=["aircraft"]))}
    rid = add_object(
        seeded, "ef92f434", "planes", pixels=box(300, 300, 360, 350), note="under a hangar",
        analyst="ana",
    )  # fmt: skip
    found = find_all_results(seeded, HistoryFilter(labels=["aircraft"], scene="ef92f434"))
    (added,) = [r for r in found if r.result_id == rid]
    assert rid not in before
    assert added.added and added.origin == "analyst" and added.verdict == Verdict.ACCEPT
    assert added.label == "aircraft" and added.kind == ResultKind.BOX
    assert added.confidence is None and added.geometry is None
    assert added.pixel_box is not None and added.pixel_box.as_tuple() == (300, 300, 360, 350)
    assert added.query_text == "added by the analyst: aircraft"
    model = [r for r in found if r.result_id != rid]
    assert model and not any(r.added for r in model)


def test_an_added_object_on_a_georeferenced_scene_gets_a_map_shape_and_an_area(
    seeded: Engine,
) -> None:
    rid = add_object(seeded, "airport.tif", "aircraft", geometry=_lonlat(box(500, 500, 600, 550)))
    (added,) = [r for r in find_all_results(seeded) if r.result_id == rid]
    assert added.geometry is not None and added.area_m2 == pytest.approx(100 * 50 * 0.36, rel=0.01)
    assert added.kind == ResultKind.MASK  # given as an outline, not a pixel box


@pytest.mark.parametrize(
    ("scene", "label", "message"),
    [
        ("nowhere.jpg", "aircraft", "no stored scene matches"),
        ("/data/", "aircraft", "no stored scene matches"),
        ("ef92f434", "   ", "give the label"),
    ],
)
def test_adding_an_object_says_what_is_wrong(
    seeded: Engine, scene: str, label: str, message: str
) -> None:
    before = count_results(seeded)
    with pytest.raises(DatabaseError, match=message):
        add_object(seeded, scene, label, pixels=box(0, 0, 10, 10))
    assert count_results(seeded) == before


def test_a_scene_name_matching_several_scenes_asks_for_more(seeded: Engine) -> None:
    save_question(
        seeded,
        question(dataclasses.replace(JPEG, uri="/data/ef92f434-77.jpg", content_hash="e" * 64),
                 "q", utc(2024, 5, 2), []),
    )  # fmt: skip
    with pytest.raises(DatabaseError, match="2 stored scenes match 'ef92f434'"):
        add_object(seeded, "ef92f434", "aircraft", pixels=box(0, 0, 10, 10))


def test_an_investigation_over_several_scenes_says_how_many(engine: Engine) -> None:
    from db.evidence import thread_entries
    from tests.data.history import SCENE_B

    for scene_facts, when in ((SCENE_A, 1), (SCENE_B, 2), (SCENE_A, 3)):
        save_question(engine, question(scene_facts, "q", utc(2024, 1, when), [], thread="t-two"))
    save_question(engine, question(SCENE_B, "q", utc(2024, 1, 4), [], thread="t-one"))
    entries = {e.thread_id: e for e in thread_entries(engine)}
    assert (entries["t-two"].scenes, entries["t-two"].questions) == (2, 3)
    assert (entries["t-one"].scenes, entries["t-one"].questions) == (1, 1)
