"""Writes: all rows of one question in one transaction (the analyst's verdicts: :mod:`db.feedback`).

A failure anywhere rolls the whole question back, so the history never holds half an answer;
asking the same question again adds a new query and never touches an old one, while a retry of
one request (same ``QueryFacts.request_id``) returns the first save instead of storing twice.
The scene and the investigation are shared between questions and inserted with ``ON CONFLICT DO
NOTHING``, so concurrent writers (app sessions on one SpatiaLite file, or many on PostGIS) never
race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.base import WGS84_SRID, utcnow
from db.engine import redacted
from db.models import InvestigationRow, QueryRow, ResultRow, SceneRow, ZoomStepRow
from db.records import QuestionRecord, SceneFacts, check_wgs84
from geomag_core.errors import DatabaseError
from geomag_core.granularity import Granularity

__all__ = [
    "SavedQuestion",
    "save_question",
    "save_questions",
    "saved_request",
]


@dataclass(frozen=True, slots=True)
class SavedQuestion:
    """Where a question went: its query id and its results' ids (in the order given)."""

    query_id: int
    result_ids: tuple[int, ...]
    created: bool
    """``False`` when ``request_id`` matched an earlier save and nothing was written."""


def save_question(engine: Engine, record: QuestionRecord) -> SavedQuestion:
    """Store ``record`` (scene, investigation, query, zoom steps, results) in one transaction.

    Raises :class:`DatabaseError` if anything fails, in which case nothing was written.
    """
    (saved,) = save_questions(engine, [record])
    return saved


def save_questions(engine: Engine, records: Sequence[QuestionRecord]) -> list[SavedQuestion]:
    """Store several questions (a question and the measurements it made) in ONE transaction.

    A record whose ``request_id`` was saved before returns that save and writes nothing.

    Raises:
        DatabaseError: anything failed; then nothing of any record was written.

    """
    earlier = {
        r.query.request_id: saved
        for r in records
        if r.query.request_id is not None
        and (saved := saved_request(engine, r.query.request_id)) is not None
    }
    try:
        with Session(engine) as session, session.begin():
            out = []
            for record in records:
                key = record.query.request_id
                out.append(earlier[key] if key in earlier else _write(session, record))
            return out
    except IntegrityError as exc:
        # A concurrent retry of the same request may have committed first: those saves stand.
        again = [
            saved_request(engine, r.query.request_id) if r.query.request_id else None
            for r in records
        ]
        if all(a is not None for a in again):
            return [a for a in again if a is not None]
        raise _save_failed(engine, records[-1], exc) from exc
    except SQLAlchemyError as exc:
        raise _save_failed(engine, records[-1], exc) from exc


def _write(session: Session, record: QuestionRecord) -> SavedQuestion:
    scene_id = _scene_id(session, record.scene)
    investigation_id = _investigation_id(session, record)
    query = _query_row(record, scene_id, investigation_id)
    session.add(query)
    session.flush()
    session.add_all(_zoom_rows(record, query.id))
    session.flush()
    results = _result_rows(record, query.id)
    session.add_all(results)
    session.flush()
    return SavedQuestion(query.id, tuple(r.id for r in results), created=True)


def saved_request(engine: Engine, request_id: str) -> SavedQuestion | None:
    """The earlier save of ``request_id`` (``created=False``), or ``None``: a read only."""
    with engine.connect() as connection:
        query_id = connection.scalar(select(QueryRow.id).where(QueryRow.request_id == request_id))
        if query_id is None:
            return None
        ids = connection.scalars(
            select(ResultRow.id).where(ResultRow.query_id == query_id).order_by(ResultRow.id)
        ).all()
    return SavedQuestion(query_id, tuple(ids), created=False)


def _save_failed(engine: Engine, record: QuestionRecord, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"saving the question {record.query.text!r} to {redacted(engine.url)!r} failed, "
        f"and nothing of it was written: {_first_line(exc)}"
    )


def _wkb(geometry: BaseGeometry | None, what: str) -> WKBElement | None:
    if geometry is None:
        return None
    return from_shape(check_wgs84(geometry, what), srid=WGS84_SRID)


def _insert(session: Session, table: Any) -> Any:
    """``INSERT`` of the session's dialect that can say ``ON CONFLICT DO NOTHING``."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _scene_id(session: Session, facts: SceneFacts) -> int:
    values = {
        "uri": facts.uri,
        "content_hash": facts.content_hash,
        "width": facts.width,
        "height": facts.height,
        "bands": facts.bands,
        "crs": facts.crs,
        "transform": list(facts.transform) if facts.transform else None,
        "footprint": _wkb(facts.footprint, "scene footprint"),
        "acquired": facts.acquired,
        "created_at": utcnow(),
    }
    stmt = _insert(session, SceneRow).values(values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["content_hash"]))
    found = session.scalar(select(SceneRow.id).where(SceneRow.content_hash == facts.content_hash))
    assert found is not None
    return found


def _investigation_id(session: Session, record: QuestionRecord) -> int | None:
    if record.thread_id is None:
        return None
    stmt = _insert(session, InvestigationRow).values(
        thread_id=record.thread_id, title=record.thread_title, created_at=record.asked_at
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["thread_id"]))
    return session.scalar(
        select(InvestigationRow.id).where(InvestigationRow.thread_id == record.thread_id)
    )


def _query_row(record: QuestionRecord, scene_id: int, investigation_id: int | None) -> QueryRow:
    q = record.query
    return QueryRow(
        scene_id=scene_id,
        investigation_id=investigation_id,
        text=q.text,
        granularity=q.granularity,
        p_image=q.probabilities[Granularity.IMAGE],
        p_region=q.probabilities[Granularity.REGION],
        p_pixel=q.probabilities[Granularity.PIXEL],
        model_versions=dict(q.model_versions),
        pixels=q.pixels,
        tokens=q.tokens,
        latency_ms=q.latency_ms,
        status=q.status,
        error=q.error,
        request_id=q.request_id,
        scale_m=q.scale_m,
        scale_source=q.scale_source,
        created_at=record.asked_at,
    )


def _zoom_rows(record: QuestionRecord, query_id: int) -> list[ZoomStepRow]:
    return [
        ZoomStepRow(
            query_id=query_id,
            depth=z.depth,
            rank=z.rank,
            x0=z.window.x0,
            y0=z.window.y0,
            x1=z.window.x1,
            y1=z.window.y1,
            footprint=_wkb(z.footprint, "zoom step footprint"),
            score=z.score,
        )
        for z in record.zoom_steps
    ]


def _result_rows(record: QuestionRecord, query_id: int) -> list[ResultRow]:
    rows = []
    for r in record.results:
        box = r.pixel_box
        rows.append(
            ResultRow(
                query_id=query_id,
                kind=r.kind,
                label=r.normalized_label,
                text=r.text,
                confidence=r.confidence,
                geom=_wkb(r.geometry, f"{r.kind} geometry"),
                geom_scene_wkb=r.geometry_scene.wkb if r.geometry_scene is not None else None,
                x0=box.x0 if box else None,
                y0=box.y0 if box else None,
                x1=box.x1 if box else None,
                y1=box.y1 if box else None,
                area_m2=r.metric_area,
                created_at=record.asked_at,
            )
        )
    return rows


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
