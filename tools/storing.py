"""Store one answered question (scene, query, zoom steps, results) as one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shapely import wkt
from shapely.geometry import Polygon

from db.enums import ResultKind
from db.records import QueryFacts, QuestionRecord, ResultFacts, SceneFacts, ZoomStepFacts
from db.writes import save_questions
from geomag_core.boxes import PixelBox
from geomag_core.budget import LookBudget
from geomag_core.findings import Finding
from geomag_core.granularity import Granularity
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from tools.capabilities.base import Measurement
from tools.looked_at import LookedAt
from tools.workbench import Workbench

__all__ = ["Question", "SavedQuestion", "box_footprint", "store_question"]

#: A measurement is a set of polygons: stored at pixel granularity.
_MEASURED = {"image": 0.0, "region": 0.0, "pixel": 1.0}


@dataclass(frozen=True)
class Question:
    """One answered question, as the store step writes it."""

    scene: str
    question: str
    request_id: str
    granularity: str
    probabilities: Mapping[str, float]
    zoom_steps: Sequence[ZoomStep] = ()
    results: Sequence[Finding] = ()
    budget: LookBudget | None = None
    latency_ms: float = 0.0
    versions: Mapping[str, str] = field(default_factory=dict)
    """Added to the workbench's model versions (a spectral method and its threshold…)."""

    @classmethod
    def of_measurement(cls, m: Measurement) -> Question:
        """A measurement (one date of a question across dates) as a question of its own."""
        return cls(
            scene=m.scene,
            question=m.question,
            request_id=m.request_id,
            granularity="pixel",
            probabilities=_MEASURED,
            zoom_steps=m.zoom_steps,
            results=m.results,
            budget=m.budget,
            latency_ms=m.look_ms,
            versions={"method": m.method} if m.method else {},
        )


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
    question: Question,
    thread_id: str | None = None,
    *,
    measurements: Sequence[Measurement] = (),
) -> tuple[SavedQuestion, dict[str, int]]:
    """Save ``question`` and the ``measurements`` it made in ONE transaction.

    Retried with the same ``request_id``, it returns the first save's ids instead of storing
    twice; a measurement stored before (same request id) is reused, not stored again.

    Returns:
        The question's save, and each measurement's query id by its request id.

    """
    records = [_record(wb, Question.of_measurement(m), None) for m in measurements]
    records.append(_record(wb, question, thread_id))
    *measured, saved = save_questions(wb.engine, records)
    ids = {m.request_id: s.query_id for m, s in zip(measurements, measured, strict=True)}
    mine = SavedQuestion(saved.query_id, list(saved.result_ids), saved.created)
    return mine, ids


def _record(wb: Workbench, q: Question, thread_id: str | None) -> QuestionRecord:
    scene = wb.scene(q.scene)
    looked = LookedAt.of(q.budget, q.zoom_steps) or LookedAt(0, 0, scene.width * scene.height)
    # A scene without a CRS: the scale it was read at (if anything gave one) sizes its results.
    scale = None if scene.is_georeferenced else wb.scale_of(scene)
    return QuestionRecord(
        scene=SceneFacts.from_scene(scene),
        query=QueryFacts(
            text=q.question,
            granularity=Granularity(q.granularity),
            probabilities={Granularity(k): float(v) for k, v in q.probabilities.items()},
            model_versions=wb.model_versions() | dict(q.versions),
            pixels=looked.pixels,
            tokens=looked.tokens,
            latency_ms=q.latency_ms,
            request_id=q.request_id or None,
            scale_m=scale.metres if scale else None,
            scale_source=scale.source if scale else None,
        ),
        zoom_steps=[
            ZoomStepFacts(
                depth=step.depth,
                window=step.window,
                footprint=box_footprint(scene, step.window),
                score=step.score,
                rank=step.rank,
            )
            for step in q.zoom_steps
        ],
        results=[_result(r) for r in q.results],
        thread_id=thread_id,
        thread_title=q.question[:120] if thread_id else None,
    )


def _result(r: Finding) -> ResultFacts:
    return ResultFacts(
        kind=ResultKind(r.kind),
        label=r.label,
        text=r.text,
        confidence=r.confidence,
        geometry=wkt.loads(r.wkt) if r.wkt else None,
        geometry_scene=wkt.loads(r.wkt_scene) if r.wkt_scene else None,
        pixel_box=r.box,
        area_m2=r.area_m2,
    )
