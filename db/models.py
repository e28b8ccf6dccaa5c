"""The history schema: scenes, investigations, queries, zoom steps, results and feedback.

Frames: every ``Geometry`` column is WGS84 (EPSG:4326, x=lon, y=lat) with a spatial index; pixel
boxes (``x0, y0, x1, y1``) are XYXY in scene pixels with exclusive upper bounds; a result's shape in
the scene's own CRS is kept as WKB in ``geom_scene_wkb``, its frame being ``scenes.crs`` (scenes
differ in CRS, so that shape is evidence to keep, not a column to search).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime, utcnow, wgs84_geometry
from db.enums import QueryStatus, ResultKind, Verdict
from geomag_core.granularity import Granularity

__all__ = [
    "METADATA",
    "FeedbackRow",
    "InvestigationRow",
    "QueryRow",
    "ResultRow",
    "SceneRow",
    "ZoomStepRow",
]


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A portable enum: a short string plus a CHECK constraint named ``name``."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class SceneRow(Base):
    """A raster scene, identified by the SHA-256 of its bytes (one row however often it is used)."""

    __tablename__ = "scenes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2048), doc="Path or URI where the scene was read.")
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256, hex.")
    width: Mapped[int] = mapped_column(Integer, doc="Pixels.")
    height: Mapped[int] = mapped_column(Integer, doc="Pixels.")
    bands: Mapped[int] = mapped_column(Integer)
    crs: Mapped[str | None] = mapped_column(Text, doc="Authority code or WKT; NULL: pixel space.")
    transform: Mapped[list[float] | None] = mapped_column(
        JSON, doc="Affine a, b, c, d, e, f: scene pixels to scene CRS."
    )
    footprint: Mapped[WKBElement | None] = mapped_column(wgs84_geometry("POLYGON"))
    acquired: Mapped[dt.date | None] = mapped_column(Date, doc="Acquisition date when known.")
    created_at: Mapped[dt.datetime] = _created_at()

    queries: Mapped[list[QueryRow]] = relationship(back_populates="scene")


class InvestigationRow(Base):
    """A conversation thread: the questions an analyst asked in one line of inquiry."""

    __tablename__ = "investigations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(128), unique=True, doc="Agent thread id.")
    title: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[dt.datetime] = _created_at()

    queries: Mapped[list[QueryRow]] = relationship(back_populates="investigation")


class QueryRow(Base):
    """One question asked of one scene, with what it cost and which models answered it."""

    __tablename__ = "queries"
    __table_args__ = (
        CheckConstraint("pixels >= 0 AND tokens >= 0", name="budget_not_negative"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int | None] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    granularity: Mapped[Granularity] = mapped_column(_enum(Granularity, "granularity"))
    p_image: Mapped[float] = mapped_column(Float, doc="Classifier probability of image.")
    p_region: Mapped[float] = mapped_column(Float)
    p_pixel: Mapped[float] = mapped_column(Float)
    model_versions: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Component → version.")
    pixels: Mapped[int] = mapped_column(Integer, doc="Scene pixels the views consumed.")
    tokens: Mapped[int] = mapped_column(Integer, doc="Vision tokens the views consumed.")
    latency_ms: Mapped[float] = mapped_column(Float)
    status: Mapped[QueryStatus] = mapped_column(_enum(QueryStatus, "query_status"))
    error: Mapped[str | None] = mapped_column(Text, doc="Why it failed (status failed).")
    request_id: Mapped[str | None] = mapped_column(
        String(128), unique=True, doc="Caller's request id: a retry with it stores nothing new."
    )
    scale_m: Mapped[float | None] = mapped_column(
        Float, doc="Metres per pixel a scene without a CRS was read at (None: not known)."
    )
    scale_source: Mapped[str | None] = mapped_column(
        String(120), doc="Where scale_m came from: --gsd, given in the app, a world file."
    )
    created_at: Mapped[dt.datetime] = _created_at()

    scene: Mapped[SceneRow] = relationship(back_populates="queries")
    investigation: Mapped[InvestigationRow | None] = relationship(back_populates="queries")
    zoom_steps: Mapped[list[ZoomStepRow]] = relationship(
        back_populates="query", cascade="all, delete-orphan", passive_deletes=True
    )
    results: Mapped[list[ResultRow]] = relationship(
        back_populates="query", cascade="all, delete-orphan", passive_deletes=True
    )


class ZoomStepRow(Base):
    """One window the agent zoomed into (PSC): ``rank`` orders the top-K windows of a ``depth``."""

    __tablename__ = "zoom_steps"
    __table_args__ = (UniqueConstraint("query_id", "depth", "rank"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(Integer, doc="1 = first crop of the scene.")
    rank: Mapped[int] = mapped_column(Integer, doc="0 = best window at this depth.")
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    footprint: Mapped[WKBElement | None] = mapped_column(wgs84_geometry("POLYGON"))
    score: Mapped[float | None] = mapped_column(Float, doc="Mean heat inside the window.")

    query: Mapped[QueryRow] = relationship(back_populates="zoom_steps")


class ResultRow(Base):
    """One grounded result of a query: an answer, a box or a mask, with its geometry."""

    __tablename__ = "results"
    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_in_0_1"),
        CheckConstraint("area_m2 >= 0", name="area_not_negative"),
        Index(None, "label", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ResultKind] = mapped_column(_enum(ResultKind, "result_kind"))
    label: Mapped[str | None] = mapped_column(String(256), doc="Lower-case class name.")
    text: Mapped[str | None] = mapped_column(Text, doc="The answer or caption, if any.")
    confidence: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[WKBElement | None] = mapped_column(wgs84_geometry("GEOMETRY"))
    geom_scene_wkb: Mapped[bytes | None] = mapped_column(LargeBinary, doc="In scenes.crs.")
    x0: Mapped[int | None] = mapped_column(Integer)
    y0: Mapped[int | None] = mapped_column(Integer)
    x1: Mapped[int | None] = mapped_column(Integer)
    y1: Mapped[int | None] = mapped_column(Integer)
    area_m2: Mapped[float | None] = mapped_column(Float, doc="Geodesic area in m².")
    created_at: Mapped[dt.datetime] = _created_at()

    query: Mapped[QueryRow] = relationship(back_populates="results")
    feedback: Mapped[list[FeedbackRow]] = relationship(
        back_populates="result", cascade="all, delete-orphan", passive_deletes=True
    )


class FeedbackRow(Base):
    """An analyst's verdict on a result; ``correct`` carries the corrected geometry.

    An object the analyst added (one the tool missed) is a result of its own query, marked
    ``model_versions = {"source": "analyst"}``, with an ``accept`` here (see :mod:`db.feedback`).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, "verdict"))
    geom: Mapped[WKBElement | None] = mapped_column(wgs84_geometry("GEOMETRY"))
    geom_scene_wkb: Mapped[bytes | None] = mapped_column(
        LargeBinary, doc="The corrected shape in scenes.crs (pixels for a scene without one)."
    )
    note: Mapped[str | None] = mapped_column(Text)
    analyst: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = _created_at()

    result: Mapped[ResultRow] = relationship(back_populates="feedback")


#: The schema Alembic migrates to: every table above.
METADATA = Base.metadata
