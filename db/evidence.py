"""A stored question's evidence read back: scene, granularity, zoom windows and results.

What the app needs to redraw an answer of a resumed investigation without asking again, in the
agent's own types: results as :class:`~geomag_core.findings.Finding` (WKT in WGS84 and in the
scene's CRS, pixels for a scene without one), zoom windows as
:class:`~geomag_core.psc.zoom.ZoomStep` (XYXY scene pixels; ``source="stored"``: their heat-map
costs are not stored, only the query's total).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from geoalchemy2.shape import to_shape
from shapely import wkb
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.engine import redacted
from db.models import InvestigationRow, QueryRow, ResultRow, SceneRow, ZoomStepRow
from geomag_core.boxes import PixelBox
from geomag_core.errors import DatabaseError
from geomag_core.findings import Finding
from geomag_core.psc.zoom import ZoomStep

__all__ = [
    "QueryEvidence",
    "StoredFinding",
    "StoredQuery",
    "ThreadEntry",
    "load_query_evidence",
    "load_results",
    "scene_queries",
    "thread_entries",
]


@dataclass(frozen=True)
class QueryEvidence:
    """One stored question and what it left, in the shapes the agent's state uses."""

    query_id: int
    question: str
    scene_uri: str
    scene_size: tuple[int, int]
    """Width, height in pixels."""
    granularity: str
    probabilities: dict[str, float]
    pixels: int
    """Scene pixels looked at (views and heat maps), as stored."""
    tokens: int
    zoom_steps: list[ZoomStep] = field(default_factory=list)
    """Windows in trail order; ``looked_at`` is the best window one depth up."""
    results: list[Finding] = field(default_factory=list)
    """In stored order (no pixel counts: ``area_px`` is ``None``)."""
    result_ids: list[int] = field(default_factory=list)
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class ThreadEntry:
    """An investigation for a list: its thread, title, latest scene and latest question time."""

    thread_id: str
    title: str
    scene_uri: str | None
    questions: int
    last_asked: dt.datetime
    scenes: int = 1
    """How many scenes its questions were about."""


def _failed(engine: Engine, what: str, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"{what} on {redacted(engine.url)!r} failed: {str(exc).splitlines()[0]}. "
        "Is the database migrated (`geomag db upgrade`) and reachable?"
    )


def _zoom_steps(rows: list[ZoomStepRow], size: tuple[int, int]) -> list[ZoomStep]:
    """Steps in trail order; ``looked_at`` is the best window one depth up (the scene at 1)."""
    best: dict[int, PixelBox] = {0: PixelBox(0, 0, size[0], size[1])}
    steps = []
    for z in sorted(rows, key=lambda z: (z.depth, z.rank, z.id)):
        window = PixelBox(z.x0, z.y0, z.x1, z.y1)
        best.setdefault(z.depth, window)
        steps.append(
            ZoomStep(
                depth=z.depth,
                looked_at=best.get(z.depth - 1, best[0]),
                window=window,
                score=z.score if z.score is not None else 0.0,
                heat_coverage=0.0,
                heat_pixels=0,
                heat_tokens=0,
                source="stored",
                rank=z.rank,
            )
        )
    return steps


def _box(r: ResultRow) -> tuple[int, int, int, int] | None:
    if r.x0 is None or r.y0 is None or r.x1 is None or r.y1 is None:
        return None
    return (r.x0, r.y0, r.x1, r.y1)


def _result(r: ResultRow) -> Finding:
    return Finding(
        kind=r.kind.value,
        label=r.label,
        text=r.text,
        confidence=r.confidence,
        wkt=to_shape(r.geom).wkt if r.geom is not None else None,
        wkt_scene=wkb.loads(bytes(r.geom_scene_wkb)).wkt if r.geom_scene_wkb else None,
        pixel_box=_box(r),
        area_m2=r.area_m2,
    )


def load_query_evidence(engine: Engine, query_id: int) -> QueryEvidence | None:
    """The evidence of stored query ``query_id``; ``None`` when there is no such query."""
    try:
        with Session(engine) as session:
            query = session.get(QueryRow, query_id)
            if query is None:
                return None
            scene = query.scene
            zoom_rows = list(query.zoom_steps)
            result_rows = sorted(query.results, key=lambda r: r.id)
            return _evidence(query, scene, zoom_rows, result_rows)
    except SQLAlchemyError as exc:
        raise _failed(engine, f"reading query #{query_id}", exc) from exc


def _evidence(
    query: QueryRow, scene: SceneRow, zoom_rows: list[ZoomStepRow], result_rows: list[ResultRow]
) -> QueryEvidence:
    size = (scene.width, scene.height)
    return QueryEvidence(
        query_id=query.id,
        question=query.text,
        scene_uri=scene.uri,
        scene_size=size,
        granularity=query.granularity.value,
        probabilities={"image": query.p_image, "region": query.p_region, "pixel": query.p_pixel},
        pixels=query.pixels,
        tokens=query.tokens,
        zoom_steps=_zoom_steps(zoom_rows, size),
        results=[_result(r) for r in result_rows],
        result_ids=[r.id for r in result_rows],
        created_at=query.created_at,
    )


def thread_entries(engine: Engine, limit: int = 30) -> list[ThreadEntry]:
    """The investigations with at least one stored question, latest question first."""
    last = (
        select(
            QueryRow.investigation_id.label("inv"),
            func.max(QueryRow.id).label("last_query"),
            func.count(QueryRow.id).label("questions"),
            func.count(QueryRow.scene_id.distinct()).label("scenes"),
        )
        .where(QueryRow.investigation_id.is_not(None))
        .group_by(QueryRow.investigation_id)
        .subquery()
    )
    stmt = (
        select(
            InvestigationRow.thread_id,
            InvestigationRow.title,
            SceneRow.uri,
            last.c.questions,
            QueryRow.created_at,
            last.c.scenes,
        )
        .join(last, last.c.inv == InvestigationRow.id)
        .join(QueryRow, QueryRow.id == last.c.last_query)
        .join(SceneRow, SceneRow.id == QueryRow.scene_id)
        .order_by(QueryRow.created_at.desc(), QueryRow.id.desc())
        .limit(limit)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise _failed(engine, "listing investigations", exc) from exc
    return [
        ThreadEntry(tid, title or tid, uri, int(n), created, int(k))
        for tid, title, uri, n, created, k in rows
    ]


@dataclass(frozen=True)
class StoredFinding:
    """A stored result as a finding, with its id and its query's."""

    result_id: int
    query_id: int
    finding: Finding


def load_results(engine: Engine, result_ids: Sequence[int]) -> list[StoredFinding]:
    """The stored results ``result_ids``, in that order (ids that do not exist are skipped)."""
    if not result_ids:
        return []
    try:
        with Session(engine) as session:
            rows = session.scalars(select(ResultRow).where(ResultRow.id.in_(list(result_ids))))
            by_id = {r.id: StoredFinding(r.id, r.query_id, _result(r)) for r in rows}
    except SQLAlchemyError as exc:
        raise _failed(engine, "reading stored results", exc) from exc
    return [by_id[i] for i in result_ids if i in by_id]


@dataclass(frozen=True)
class StoredQuery:
    """A stored question about a scene: its id, words, time, versions and result ids."""

    query_id: int
    question: str
    created_at: dt.datetime
    model_versions: dict[str, str]
    result_ids: tuple[int, ...]
    request_id: str | None = None
    found: int = 0
    """Its results that are shapes (masks and boxes), not text."""


def scene_queries(engine: Engine, scene_sha256: str) -> list[StoredQuery]:
    """Every stored question about the scene with content hash ``scene_sha256``, oldest first."""
    try:
        with Session(engine) as session:
            queries = session.scalars(
                select(QueryRow)
                .join(SceneRow, SceneRow.id == QueryRow.scene_id)
                .where(SceneRow.content_hash == scene_sha256)
                .order_by(QueryRow.id)
            ).all()
            return [
                StoredQuery(
                    q.id,
                    q.text,
                    q.created_at,
                    {str(k): str(v) for k, v in (q.model_versions or {}).items()},
                    tuple(sorted(r.id for r in q.results)),
                    q.request_id,
                    sum(1 for r in q.results if r.kind.value != "answer"),
                )
                for q in queries
            ]
    except SQLAlchemyError as exc:
        raise _failed(engine, "reading the scene's stored questions", exc) from exc
