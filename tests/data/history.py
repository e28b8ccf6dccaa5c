"""A small, fixed history for the database tests: two scenes, three investigations, eight results.

Every result's ``text`` is a unique tag, so a test can say which results a filter must find.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from pyproj import Geod
from shapely.geometry import Polygon, box

from db.enums import ResultKind
from db.records import QueryFacts, QuestionRecord, ResultFacts, SceneFacts, ZoomStepFacts
from geomag_core.boxes import PixelBox
from geomag_core.granularity import Granularity

PROBS = {Granularity.IMAGE: 0.1, Granularity.REGION: 0.6, Granularity.PIXEL: 0.3}
#: A point, and a box whose nearest edge is 1000 m due east of it (for the distance filter).
NEAR_POINT = (-99.16, 47.03)
_EAST_LON = Geod(ellps="WGS84").fwd(NEAR_POINT[0], NEAR_POINT[1], 90, 1000.0)[0]
EDGE_1KM = box(_EAST_LON, NEAR_POINT[1] - 0.0005, _EAST_LON + 0.002, NEAR_POINT[1] + 0.0005)


def utc(*args: int) -> dt.datetime:
    """A UTC datetime."""
    return dt.datetime(*args, tzinfo=dt.UTC)


def scene(name: str, bounds: tuple[float, float, float, float], acquired: dt.date) -> SceneFacts:
    """A georeferenced scene named ``name`` with footprint ``bounds`` (lon/lat)."""
    return SceneFacts(
        uri=f"/data/{name}.tif",
        content_hash=hashlib.sha256(name.encode()).hexdigest(),
        width=1000,
        height=1000,
        bands=4,
        crs="EPSG:32614",
        transform=(0.6, 0.0, 500000.0, 0.0, -0.6, 5200000.0),
        footprint=box(*bounds),
        acquired=acquired,
    )


def located(
    tag: str, label: str, confidence: float, shape: Polygon, kind: ResultKind = ResultKind.BOX
) -> ResultFacts:
    """A box or mask result tagged ``tag`` (its ``text``)."""
    return ResultFacts(
        kind=kind,
        label=label,
        text=tag,
        confidence=confidence,
        geometry=shape,
        geometry_scene=box(10, 20, 30, 40),
        pixel_box=PixelBox(10, 20, 30, 40),
    )


def answer(tag: str, confidence: float | None = None) -> ResultFacts:
    """A text answer tagged ``tag``."""
    return ResultFacts(kind=ResultKind.ANSWER, text=tag, confidence=confidence)


def question(
    scene_facts: SceneFacts,
    text: str,
    when: dt.datetime,
    results: Sequence[ResultFacts],
    thread: str | None = None,
) -> QuestionRecord:
    """One question with one zoom step."""
    return QuestionRecord(
        scene=scene_facts,
        query=QueryFacts(
            text=text,
            granularity=Granularity.REGION,
            probabilities=PROBS,
            model_versions={"classifier": "test-1", "vlm": "tiny"},
            pixels=1000,
            tokens=100,
            latency_ms=42.0,
        ),
        zoom_steps=[ZoomStepFacts(depth=1, window=PixelBox(0, 0, 500, 500), score=0.5)],
        results=results,
        thread_id=thread,
        thread_title=thread and f"about {thread}",
        asked_at=when,
    )


SCENE_A = scene("airport", (-99.2, 47.0, -99.1, 47.1), dt.date(2024, 3, 10))
SCENE_B = scene("river", (10.0, 50.0, 10.1, 50.1), dt.date(2024, 6, 1))

SEED = [
    question(
        SCENE_A,
        "How many aircraft are on the apron?",
        utc(2024, 3, 1, 10),
        [
            located("plane-1", "aircraft", 0.9, box(-99.151, 47.051, -99.150, 47.052)),
            located("plane-2", "Aircraft ", 0.4, box(-99.121, 47.081, -99.120, 47.082)),
            answer("count-answer", 0.8),
        ],
        thread="t-airport",
    ),
    question(
        SCENE_A,
        "Outline the hangar roofs",
        utc(2024, 4, 15, 9),
        [
            located("hangar", "hangar", 0.8, box(-99.19, 47.01, -99.18, 47.02), ResultKind.MASK),
            located("edge-1km", "marker", 0.5, EDGE_1KM),
        ],
        thread="t-airport",
    ),
    question(
        SCENE_B,
        "Segment the river and any aircraft",
        utc(2024, 6, 10, 12),
        [
            located("river", "river", 0.95, box(10.0, 50.04, 10.1, 50.05), ResultKind.MASK),
            located("plane-3", "aircraft", 0.7, box(10.05, 50.05, 10.051, 50.051)),
        ],
        thread="t-river",
    ),
    question(SCENE_B, "Is this scene urban?", utc(2024, 7, 1, 8), [answer("urban-answer")]),
]
ALL_TAGS = {r.text for q in SEED for r in q.results}

#: Results of one subject stored under today's canonical labels and the legacy spellings older
#: versions wrote (``vehicle``, ``storage tank``), and one other subject, on one scene: every
#: result has the same pixel box, so results of one subject are one distinct object.
LABEL_SEED = [
    question(
        SCENE_A,
        "count the cars and the tanks",
        utc(2024, 8, 1, 9),
        [
            located("car", "car", 0.9, box(-99.15, 47.05, -99.149, 47.051)),
            located("tank", "oil-storage tank", 0.8, box(-99.15, 47.05, -99.149, 47.051)),
            located("plane", "aircraft", 0.7, box(-99.15, 47.05, -99.149, 47.051)),
        ],
    ),
    question(
        SCENE_A,
        "count the vehicles and the storage tanks",  # as stored before the label registry
        utc(2024, 8, 2, 9),
        [
            located("legacy-vehicle", "vehicle", 0.6, box(-99.15, 47.05, -99.149, 47.051)),
            located("legacy-tank", "storage tank", 0.5, box(-99.15, 47.05, -99.149, 47.051)),
        ],
    ),
]
