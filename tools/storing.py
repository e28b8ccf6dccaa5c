"""Store one answered question (scene, query, zoom steps, results) as one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shapely import wkt
from shapely.geometry import Polygon

from db.enums import ResultKind
from db.records import QueryFacts, QuestionRecord, ResultFacts, SceneFacts, ZoomStepFacts
from db.writes import save_question
from geomag_core.boxes import PixelBox
from geomag_core.granularity import Granularity
from geomag_core.scene import Scene
from tools.looked_at import LookedAt
from tools.workbench import Workbench

__all__ = ["SavedQuestion", "box_footprint", "store_question"]


class _Answered(Protocol):
    scene: str
    question: str
    request_id: str
    granularity: str
    probabilities: dict[str, float]
    zoom_steps: list[dict[str, Any]]
    results: list[dict[str, Any]]
    budget: dict[str, Any]
    timings_ms: dict[str, float]


@dataclass(frozen=True)
class SavedQuestion:
    """Ids of what was stored."""

    query_id: int
    result_ids: list[int]
    created: bool = True
    """``False`` when an earlier save with the same request id was returned instead."""


def box_footprint(scene: Scene, box: PixelBox) -> Polygon | None:
    """The WGS84 outline of a pixel box (``None`` for a scene without CRS)."""
    if not scene.is_georeferenced:
        return None
    corners = [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
    return Polygon(scene.pixel_to_wgs84(corners))


def store_question(
    wb: Workbench,
    state: _Answered,
    thread_id: str | None = None,
    *,
    versions: Mapping[str, Any] | None = None,
) -> SavedQuestion:
    """Save ``state``'s question and evidence in one transaction.

    Retried with the same ``request_id``, it returns the first save's ids instead of storing
    twice. ``versions`` adds to the workbench's model versions (e.g. a spectral method and its
    threshold) in the query's provenance.
    """
    scene = wb.scene(state.scene)
    probabilities = {Granularity(k): float(v) for k, v in state.probabilities.items()}
    looked = LookedAt.of(state.budget, state.zoom_steps) or LookedAt(
        0, 0, scene.width * scene.height
    )
    record = QuestionRecord(
        scene=SceneFacts.from_scene(scene),
        query=QueryFacts(
            text=state.question,
            granularity=Granularity(state.granularity),
            probabilities=probabilities,
            model_versions=wb.model_versions() | dict(versions or {}),
            pixels=looked.pixels,
            tokens=looked.tokens,
            latency_ms=float(sum(state.timings_ms.values())),
            request_id=state.request_id or None,
        ),
        zoom_steps=[
            ZoomStepFacts(
                depth=int(step["depth"]),
                window=PixelBox(*step["window"]),
                footprint=box_footprint(scene, PixelBox(*step["window"])),
                score=float(step["score"]),
                rank=int(step.get("rank", 0)),
            )
            for step in state.zoom_steps
        ],
        results=[_result(r) for r in state.results],
        thread_id=thread_id,
        thread_title=state.question[:120] if thread_id else None,
    )
    saved = save_question(wb.engine, record)
    return SavedQuestion(
        query_id=saved.query_id, result_ids=list(saved.result_ids), created=saved.created
    )


def _result(r: Mapping[str, Any]) -> ResultFacts:
    box = r.get("pixel_box")
    return ResultFacts(
        kind=ResultKind(r["kind"]),
        label=r.get("label"),
        text=r.get("text"),
        confidence=r.get("confidence"),
        geometry=wkt.loads(r["wkt"]) if r.get("wkt") else None,
        geometry_scene=wkt.loads(r["wkt_scene"]) if r.get("wkt_scene") else None,
        pixel_box=PixelBox(*box) if box else None,
        area_m2=r.get("area_m2"),
    )
