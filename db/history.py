"""History queries: find stored results, paginated and in a stable order.

Filters: label, kind, time range, scene acquisition dates, scene, investigation, bounding box,
polygon intersection, distance from a point, minimum confidence and words of the question.

Every filter left unset matches everything; set filters combine with AND. Geometries are WGS84.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Engine, Select, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from db.engine import redacted
from db.enums import ResultKind
from db.models import InvestigationRow, QueryRow, ResultRow, SceneRow
from db.spatial import Bounds, SpatialColumn, check_bounds
from geomag_core.boxes import PixelBox
from geomag_core.errors import DatabaseError
from geomag_core.granularity import Granularity

__all__ = [
    "HistoryFilter",
    "HistoryOrder",
    "HistoryPage",
    "Near",
    "ResultRecord",
    "count_results",
    "find_all_results",
    "find_results",
]

MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Near:
    """Within ``metres`` (on the WGS84 ellipsoid) of the point ``(lon, lat)``."""

    lon: float
    lat: float
    metres: float


class HistoryOrder(StrEnum):
    """Result order; ties break on the result id, so pages never overlap."""

    NEWEST = "newest"
    OLDEST = "oldest"
    CONFIDENCE = "confidence"


@dataclass(frozen=True, kw_only=True)
class HistoryFilter:
    """Which results to find. Times are timezone-aware; ``until`` is exclusive."""

    labels: Sequence[str] = ()
    """Any of these labels (case-insensitive)."""
    kinds: Sequence[ResultKind] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acquired_since: dt.date | None = None
    """The scene's acquisition date, inclusive."""
    acquired_until: dt.date | None = None
    """The scene's acquisition date, inclusive."""
    scene: str | int | None = None
    """Scene id, path/URI, or SHA-256 (or a prefix of at least 8 hex digits)."""
    investigation: str | int | None = None
    """Investigation id or thread id."""
    bbox: Bounds | None = None
    intersects: BaseGeometry | None = None
    near: Near | None = None
    min_confidence: float | None = None
    text: str | None = None
    """Every word must occur in the question text (case-insensitive)."""

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise DatabaseError(f"{name} must be timezone-aware, e.g. 2024-03-01T00:00Z")
        if self.bbox is not None:
            check_bounds(self.bbox)


@dataclass(frozen=True, kw_only=True)
class ResultRecord:
    """One stored result with the provenance an analyst needs to judge it."""

    result_id: int
    kind: ResultKind
    label: str | None
    text: str | None
    confidence: float | None
    geometry: BaseGeometry | None
    """WGS84."""
    area_m2: float | None
    pixel_box: PixelBox | None
    created_at: dt.datetime
    query_id: int
    query_text: str
    granularity: Granularity
    scene_id: int
    scene_uri: str
    scene_hash: str
    investigation: str | None
    """Thread id of the investigation, if any."""


@dataclass(frozen=True)
class HistoryPage:
    """One page of results: ``items`` from ``offset``, ``has_more`` when another page follows."""

    items: list[ResultRecord]
    offset: int
    limit: int
    has_more: bool


def find_results(
    engine: Engine,
    where: HistoryFilter | None = None,
    *,
    order: HistoryOrder = HistoryOrder.NEWEST,
    limit: int = 50,
    offset: int = 0,
) -> HistoryPage:
    """One page of the results matching ``where``."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise DatabaseError(f"page limit must be 1..{MAX_PAGE} and offset ≥ 0")
    stmt = _select(engine, where or HistoryFilter(), order).limit(limit + 1).offset(offset)
    records = _run(engine, stmt)
    return HistoryPage(records[:limit], offset, limit, has_more=len(records) > limit)


def find_all_results(
    engine: Engine, where: HistoryFilter | None = None, *, order: HistoryOrder = HistoryOrder.NEWEST
) -> list[ResultRecord]:
    """Every result matching ``where`` (for exports)."""
    return _run(engine, _select(engine, where or HistoryFilter(), order))


def count_results(engine: Engine, where: HistoryFilter | None = None) -> int:
    """How many results match ``where``."""
    inner = _select(engine, where or HistoryFilter(), HistoryOrder.NEWEST).order_by(None)
    stmt = select(func.count()).select_from(inner.with_only_columns(ResultRow.id).subquery())
    try:
        with engine.connect() as connection:
            return int(connection.scalar(stmt) or 0)
    except SQLAlchemyError as exc:
        raise _query_failed(engine, exc) from exc


def _select(engine: Engine, where: HistoryFilter, order: HistoryOrder) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            ResultRow.id,
            ResultRow.kind,
            ResultRow.label,
            ResultRow.text,
            ResultRow.confidence,
            ResultRow.geom,
            ResultRow.area_m2,
            ResultRow.x0,
            ResultRow.y0,
            ResultRow.x1,
            ResultRow.y1,
            ResultRow.created_at,
            QueryRow.id,
            QueryRow.text,
            QueryRow.granularity,
            SceneRow.id,
            SceneRow.uri,
            SceneRow.content_hash,
            InvestigationRow.thread_id,
        )
        .join(QueryRow, ResultRow.query_id == QueryRow.id)
        .join(SceneRow, QueryRow.scene_id == SceneRow.id)
        .outerjoin(InvestigationRow, QueryRow.investigation_id == InvestigationRow.id)
        .where(*_conditions(where, engine.dialect.name))
    )
    if order == HistoryOrder.OLDEST:
        return stmt.order_by(ResultRow.created_at.asc(), ResultRow.id.asc())
    if order == HistoryOrder.CONFIDENCE:
        return stmt.order_by(ResultRow.confidence.desc().nulls_last(), ResultRow.id.desc())
    return stmt.order_by(ResultRow.created_at.desc(), ResultRow.id.desc())


def _conditions(f: HistoryFilter, dialect: str) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.labels:
        out.append(ResultRow.label.in_(sorted({lbl.strip().lower() for lbl in f.labels})))
    if f.kinds:
        out.append(ResultRow.kind.in_(list(f.kinds)))
    if f.since is not None:
        out.append(ResultRow.created_at >= f.since)
    if f.until is not None:
        out.append(ResultRow.created_at < f.until)
    if f.acquired_since is not None:
        out.append(SceneRow.acquired >= f.acquired_since)
    if f.acquired_until is not None:
        out.append(SceneRow.acquired <= f.acquired_until)
    if f.scene is not None:
        out.append(_scene_condition(f.scene))
    if f.investigation is not None:
        if isinstance(f.investigation, int):
            out.append(QueryRow.investigation_id == f.investigation)
        else:
            out.append(InvestigationRow.thread_id == f.investigation)
    spatial = SpatialColumn(ResultRow.geom, ResultRow.id, dialect)
    if f.bbox is not None:
        out.append(spatial.intersects_bounds(f.bbox))
    if f.intersects is not None:
        out.append(spatial.intersects(f.intersects))
    if f.near is not None:
        out.append(spatial.within(f.near.lon, f.near.lat, f.near.metres))
    if f.min_confidence is not None:
        out.append(ResultRow.confidence >= f.min_confidence)
    for word in (f.text or "").split():
        out.append(QueryRow.text.icontains(word, autoescape=True))
    return out


def _scene_condition(scene: str | int) -> ColumnElement[bool]:
    if isinstance(scene, int):
        return SceneRow.id == scene
    value = scene.strip()
    is_hash_prefix = len(value) >= 8 and all(c in "0123456789abcdef" for c in value.lower())
    if is_hash_prefix:
        return or_(SceneRow.content_hash.startswith(value.lower()), SceneRow.uri == value)
    return SceneRow.uri == value


def _run(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> list[ResultRecord]:
    try:
        with engine.connect() as connection:
            rows = connection.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise _query_failed(engine, exc) from exc
    return [_record(row) for row in rows]


def _record(row: Any) -> ResultRecord:
    (rid, kind, label, text, conf, geom, area, x0, y0, x1, y1, created) = row[:12]
    (qid, qtext, granularity, sid, uri, sha, thread) = row[12:]
    return ResultRecord(
        result_id=rid,
        kind=kind,
        label=label,
        text=text,
        confidence=conf,
        geometry=to_shape(geom) if geom is not None else None,
        area_m2=area,
        pixel_box=PixelBox(x0, y0, x1, y1) if x0 is not None else None,
        created_at=created,
        query_id=qid,
        query_text=qtext,
        granularity=granularity,
        scene_id=sid,
        scene_uri=uri,
        scene_hash=sha,
        investigation=thread,
    )


def _query_failed(engine: Engine, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"history query on {redacted(engine.url)!r} failed: {str(exc).splitlines()[0]}. "
        "Is the database migrated (`geomag db upgrade`) and reachable?"
    )
