from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from shapely.geometry import Polygon
from sqlalchemy import Engine, select

from db.enums import ResultKind
from db.history import (
    HistoryFilter,
    HistoryOrder,
    Near,
    count_results,
    find_all_results,
    find_results,
)
from db.models import QueryRow
from db.writes import save_question
from geomag_core.errors import DatabaseError
from tests.data.history import ALL_TAGS, NEAR_POINT, SEED, utc


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    for record in SEED:
        save_question(engine, record)
    return engine


def tags(engine: Engine, **where: Any) -> set[str | None]:
    found = {r.text for r in find_all_results(engine, HistoryFilter(**where))}
    assert count_results(engine, HistoryFilter(**where)) == len(found)
    return found


AIRPORT_HASH = hashlib.sha256(b"airport").hexdigest()
TRIANGLE = Polygon([(-99.2, 47.0), (-99.14, 47.0), (-99.2, 47.06)])  # hangar, plane-1's west

CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing", {}, ALL_TAGS),
    ("label", {"labels": ["AIRCRAFT"]}, {"plane-1", "plane-2", "plane-3"}),
    ("labels", {"labels": ["hangar", "river"]}, {"hangar", "river"}),
    ("kind", {"kinds": [ResultKind.MASK]}, {"hangar", "river"}),
    ("since", {"since": utc(2024, 6, 1)}, {"river", "plane-3", "urban-answer"}),
    ("until", {"until": utc(2024, 3, 1, 10)}, set()),
    (
        "time range",
        {"since": utc(2024, 3, 1, 10), "until": utc(2024, 6, 10, 12)},
        {"plane-1", "plane-2", "count-answer", "hangar", "edge-1km"},
    ),
    (
        "aware times in any zone",
        {"since": dt.datetime(2024, 6, 10, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))},
        {"river", "plane-3", "urban-answer"},
    ),
    ("acquired", {"acquired_since": dt.date(2024, 5, 1)}, {"river", "plane-3", "urban-answer"}),
    (
        "scene by hash prefix",
        {"scene": AIRPORT_HASH[:10]},
        {"plane-1", "plane-2", "count-answer", "hangar", "edge-1km"},
    ),
    ("scene by path", {"scene": "/data/river.tif"}, {"river", "plane-3", "urban-answer"}),
    ("scene by file name", {"scene": "river.tif"}, {"river", "plane-3", "urban-answer"}),
    ("scene by the start of its name", {"scene": "RIV"}, {"river", "plane-3", "urban-answer"}),
    ("a folder is not a scene", {"scene": "data"}, set()),
    ("wildcards in a scene name are plain", {"scene": "%"}, set()),
    ("an underscore is plain too", {"scene": "_iver.tif"}, set()),
    ("investigation", {"investigation": "t-river"}, {"river", "plane-3"}),
    ("bbox", {"bbox": (-99.2, 47.0, -99.14, 47.06)}, {"plane-1", "hangar", "edge-1km"}),
    ("bbox far away", {"bbox": (0.0, 0.0, 1.0, 1.0)}, set()),
    ("polygon", {"intersects": TRIANGLE}, {"hangar"}),
    ("near, 990 m", {"near": Near(*NEAR_POINT, 990.0)}, set()),
    ("near, 1010 m", {"near": Near(*NEAR_POINT, 1010.0)}, {"edge-1km"}),
    (
        "near, 10 km",
        {"near": Near(*NEAR_POINT, 10_000.0)},
        {"plane-1", "plane-2", "hangar", "edge-1km"},
    ),
    ("min confidence", {"min_confidence": 0.85}, {"plane-1", "river"}),
    ("text", {"text": "AIRCRAFT"}, {"plane-1", "plane-2", "count-answer", "river", "plane-3"}),
    ("text, every word", {"text": "river aircraft"}, {"river", "plane-3"}),
    ("text with LIKE wildcards", {"text": "%"}, set()),
    (
        "combined",
        {"labels": ["aircraft"], "bbox": (-180.0, -90.0, 0.0, 90.0), "since": utc(2024, 1, 1)},
        {"plane-1", "plane-2"},
    ),
]


@pytest.mark.parametrize(("where", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_filter(seeded: Engine, where: dict[str, Any], expected: set[str]) -> None:
    assert tags(seeded, **where) == expected


def test_scene_and_investigation_by_id(seeded: Engine) -> None:
    (river,) = find_all_results(seeded, HistoryFilter(labels=["river"]))
    with seeded.connect() as connection:
        investigation_id = connection.scalar(
            select(QueryRow.investigation_id).where(QueryRow.id == river.query_id)
        )
    assert investigation_id is not None
    assert tags(seeded, scene=river.scene_id) == tags(seeded, scene=river.scene_uri)
    assert tags(seeded, investigation=investigation_id) == {"river", "plane-3"}


def test_pages_are_ordered_disjoint_and_complete(seeded: Engine) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        page = find_results(seeded, limit=3, offset=offset)
        seen += [r.result_id for r in page.items]
        if not page.has_more:
            break
        offset += 3
    assert len(seen) == len(set(seen)) == len(ALL_TAGS)
    newest = find_all_results(seeded)
    assert [r.result_id for r in newest] == seen
    times = [r.created_at for r in newest]
    assert times == sorted(times, reverse=True)
    oldest = find_all_results(seeded, order=HistoryOrder.OLDEST)
    assert [r.created_at for r in oldest] == sorted(times)
    by_conf = [r.confidence for r in find_all_results(seeded, order=HistoryOrder.CONFIDENCE)]
    known = [c for c in by_conf if c is not None]
    assert known == sorted(known, reverse=True) and by_conf[-1] is None


def test_records_carry_provenance_and_geometry(seeded: Engine) -> None:
    (plane,) = find_all_results(seeded, HistoryFilter(labels=["aircraft"], min_confidence=0.85))
    assert plane.kind == ResultKind.BOX and plane.label == "aircraft"
    assert plane.geometry is not None and plane.geometry.bounds == pytest.approx(
        (-99.151, 47.051, -99.150, 47.052)
    )
    assert plane.pixel_box is not None and plane.pixel_box.as_tuple() == (10, 20, 30, 40)
    assert plane.scene_uri == "/data/airport.tif" and plane.scene_hash == AIRPORT_HASH
    assert plane.investigation == "t-airport" and plane.query_text.startswith("How many")
    assert plane.created_at == utc(2024, 3, 1, 10)


def test_bad_filters_are_refused(seeded: Engine) -> None:
    with pytest.raises(DatabaseError, match="timezone-aware"):
        HistoryFilter(since=dt.datetime(2024, 1, 1))
    with pytest.raises(DatabaseError, match="min ≤ max"):
        HistoryFilter(bbox=(10.0, 0.0, 5.0, 1.0))
    with pytest.raises(DatabaseError, match="metres ≥ 0"):
        find_results(seeded, HistoryFilter(near=Near(0.0, 0.0, -1.0)))


def test_page_limits_are_checked(seeded: Engine) -> None:
    with pytest.raises(DatabaseError, match="limit"):
        find_results(seeded, limit=0)


def test_the_latest_verdict_filters(seeded: Engine) -> None:
    """The ones I rejected: the analyst's latest verdict counts, an unjudged result never."""
    from db.enums import Verdict
    from db.feedback import save_feedback

    ids = {r.text: r.result_id for r in find_all_results(seeded, HistoryFilter())}
    save_feedback(seeded, ids["plane-1"], Verdict.REJECT)
    save_feedback(seeded, ids["plane-2"], Verdict.REJECT)
    save_feedback(seeded, ids["plane-2"], Verdict.ACCEPT)  # changed their mind: accepted now
    save_feedback(seeded, ids["hangar"], Verdict.ACCEPT)
    assert tags(seeded, verdicts=[Verdict.REJECT]) == {"plane-1"}
    assert tags(seeded, verdicts=[Verdict.ACCEPT]) == {"plane-2", "hangar"}
    assert tags(seeded, verdicts=[Verdict.ACCEPT], labels=["aircraft"]) == {"plane-2"}
    assert tags(seeded, verdicts=[Verdict.CORRECT]) == set()
