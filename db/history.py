"""History queries: find stored results, paginated and in a stable order.

Filters: label, kind, time range, scene acquisition dates, scene, investigation, bounding box,
polygon intersection, distance from a point, minimum confidence, words of the question and the
analyst's latest verdict. Results the analyst rejected are left out unless asked for
(``include_rejected``, or ``verdicts`` with ``reject``); a corrected outline stands in for the
model's (kept as ``original_*``); objects the analyst added are marked ``added``. A
label filter takes any name of a subject in :mod:`geomag_core.labels`: ``cars`` finds results
stored as ``car`` and as the legacy ``vehicle``.

Every filter left unset matches everything; set filters combine with AND. Geometries are WGS84.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from geoalchemy2.shape import to_shape
from shapely import affinity, wkb
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Engine, Select, and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from db.engine import redacted
from db.enums import HistoryOrder, ResultKind, Verdict
from db.models import FeedbackRow, InvestigationRow, QueryRow, ResultRow, SceneRow
from db.records import geodesic_area_m2, geodesic_length_m
from db.spatial import Bounds, SpatialColumn, check_bounds, scene_to_pixels
from geomag_core.boxes import PixelBox
from geomag_core.errors import DatabaseError
from geomag_core.granularity import Granularity
from geomag_core.labels import canonical_label, stored_labels
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.polygons.grounded import longest_side

__all__ = [
    "DISTINCT_IOU",
    "DistinctObject",
    "HistoryFilter",
    "HistoryOrder",
    "HistoryPage",
    "Near",
    "ResultRecord",
    "count_results",
    "distinct_objects",
    "find_all_results",
    "find_distinct_objects",
    "find_results",
    "outline_in_pixels",
    "scene_condition",
]

MAX_PAGE = 10_000
#: Intersection over union at or above which two results of one scene and label are one object.
DISTINCT_IOU = 0.5


@dataclass(frozen=True, slots=True)
class Near:
    """Within ``metres`` (on the WGS84 ellipsoid) of the point ``(lon, lat)``."""

    lon: float
    lat: float
    metres: float


@dataclass(frozen=True, kw_only=True)
class HistoryFilter:
    """Which results to find. Times are timezone-aware; ``until`` is exclusive."""

    labels: Sequence[str] = ()
    """Any of these labels (case-insensitive). Each may be any name of a subject in
    :mod:`geomag_core.labels` (``cars``, ``automobile``): it matches the subject's canonical
    label and legacy spellings (``car``, ``vehicle``), see :func:`.labels.stored_labels`."""
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
    verdicts: Sequence[Verdict] = ()
    """The analyst's latest verdict on the result is one of these (unjudged results never
    match)."""
    include_rejected: bool = False
    """Also the results whose latest verdict is ``reject`` (left out by default, unless
    ``verdicts`` asks for them)."""

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
    outline_px: BaseGeometry | None = None
    """The mask outline (or the box) in the scene's pixel frame, placed the way QGIS places a
    raster without a CRS: x = column, y = −row (one unit a pixel, the image's top-left corner
    at 0, 0). Present for every scene, georeferenced or not."""
    verdict: Verdict | None = None
    """The analyst's latest verdict (``None``: not judged). Where it is ``correct``,
    ``geometry``, ``outline_px`` and ``area_m2`` are the corrected ones."""
    added: bool = False
    """An object the analyst added (one the tool missed), not a model's result."""
    original_geometry: BaseGeometry | None = None
    """The model's own WGS84 shape, kept when a correction replaced it."""
    original_outline_px: BaseGeometry | None = None
    """The model's own pixel outline, kept when a correction replaced it."""
    scale_m: float | None = None
    """Metres per pixel that sized a result of a scene without a CRS (``area_m2`` is its pixel
    area times its square); ``None`` on a georeferenced scene, whose areas are geodesic."""
    scale_source: str | None = None
    """Where ``scale_m`` came from: ``--gsd``, given in the app, the scene's world file, or
    ``assumed: <class> training GSD`` when nothing gave one."""
    scene_crs: str | None = None
    """The scene's CRS (``EPSG:32631``, or WKT), ``None`` for a scene without one."""
    geometry_scene: BaseGeometry | None = None
    """The shape in the scene's CRS (``None`` without a CRS: see ``outline_px``)."""

    @property
    def length_m(self) -> float | None:
        """The shape's length in metres: the longer side of its minimum rotated rectangle.

        On the ground for a georeferenced result; at ``scale_m`` (given or assumed) for one of a
        scene without a CRS; ``None`` for answers, points and unscaled pixel shapes.
        """
        if self.kind == ResultKind.ANSWER:
            return None
        if self.geometry is not None and self.geometry.area > 0:
            return geodesic_length_m(self.geometry)
        if self.scale_m is not None and self.outline_px is not None:
            return longest_side(self.outline_px) * self.scale_m
        return None

    @property
    def origin(self) -> str:
        """``analyst`` for an added object, else ``model``."""
        return "analyst" if self.added else "model"


@dataclass(frozen=True)
class HistoryPage:
    """One page of results: ``items`` from ``offset``, ``has_more`` when another page follows."""

    items: list[ResultRecord]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class DistinctObject:
    """Stored results that are one object: same scene and label, overlapping shapes.

    Every query keeps its own results (provenance); this groups them for history and exports.
    """

    best: ResultRecord
    """The most confident of the group (its shape and attributes stand for the object)."""
    result_ids: tuple[int, ...]
    query_ids: tuple[int, ...]
    """Distinct queries that found it, oldest result's first."""
    confidences: tuple[float | None, ...] = ()

    @property
    def queries(self) -> int:
        """How many queries found the object."""
        return len(self.query_ids)

    @property
    def best_confidence(self) -> float | None:
        """The highest confidence any of its results had."""
        return self.best.confidence


def _iou(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    union = a.union(b).area
    return float(a.intersection(b).area / union) if union > 0 else 0.0


def _subject_of(label: str | None) -> str | None:
    """The label results are grouped under: the canonical label of a known name, else itself."""
    return (canonical_label(label) or label) if label else label


def distinct_objects(
    records: Sequence[ResultRecord], min_iou: float = DISTINCT_IOU
) -> list[DistinctObject]:
    """Group ``records`` into distinct objects, in the order of each object's best record.

    Two results are one object when they share scene and label (a legacy spelling counts as its
    canonical label: ``storage tank`` as ``oil-storage tank``) and their pixel outlines
    (:attr:`ResultRecord.outline_px`, so scenes without a CRS group too) overlap with an
    intersection over union of at least ``min_iou``. A result joins the object whose best
    shape it overlaps most; results are taken most confident first, so the best stands for the
    object. Results without a shape (answers) are objects of their own.
    """
    if not 0.0 < min_iou <= 1.0:
        raise DatabaseError(f"min_iou must be in (0, 1], got {min_iou}")
    order = {r.result_id: i for i, r in enumerate(records)}
    ranked = sorted(records, key=lambda r: (-(r.confidence or 0.0), order[r.result_id]))
    groups: dict[tuple[int, str | None], list[list[ResultRecord]]] = {}
    alone: list[list[ResultRecord]] = []
    for record in ranked:
        shape = record.outline_px
        if shape is None or shape.is_empty or record.kind == ResultKind.ANSWER:
            alone.append([record])
            continue
        clusters = groups.setdefault((record.scene_id, _subject_of(record.label)), [])
        scored = [(_iou(shape, c[0].outline_px), c) for c in clusters if c[0].outline_px]
        best = max(scored, key=lambda sc: sc[0], default=(0.0, None))
        if best[1] is not None and best[0] >= min_iou:
            best[1].append(record)
        else:
            clusters.append([record])
    every = [c for cs in groups.values() for c in cs] + alone
    every.sort(key=lambda c: order[c[0].result_id])
    objects = []
    for cluster in every:
        by_time = sorted(cluster, key=lambda r: (r.created_at, r.result_id))
        queries = tuple(dict.fromkeys(r.query_id for r in by_time))
        objects.append(
            DistinctObject(
                best=cluster[0],
                result_ids=tuple(r.result_id for r in by_time),
                query_ids=queries,
                confidences=tuple(r.confidence for r in by_time),
            )
        )
    return objects


def find_distinct_objects(
    engine: Engine,
    where: HistoryFilter | None = None,
    *,
    order: HistoryOrder = HistoryOrder.NEWEST,
    min_iou: float = DISTINCT_IOU,
) -> list[DistinctObject]:
    """The distinct objects among every result matching ``where`` (see :func:`distinct_objects`)."""
    return distinct_objects(find_all_results(engine, where, order=order), min_iou)


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


#: Each result's latest verdict: ``_LATEST_ID`` picks its newest feedback row, ``_LATEST`` is it.
_LATEST_ID = (
    select(FeedbackRow.result_id, func.max(FeedbackRow.id).label("feedback_id"))
    .group_by(FeedbackRow.result_id)
    .subquery("latest_feedback_id")
)
_LATEST = aliased(FeedbackRow, name="latest_feedback")


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
            ResultRow.geom_scene_wkb,
            SceneRow.transform,
            _LATEST.verdict,
            _LATEST.geom,
            _LATEST.geom_scene_wkb,
            QueryRow.model_versions,
            QueryRow.scale_m,
            QueryRow.scale_source,
            SceneRow.crs,
        )
        .join(QueryRow, ResultRow.query_id == QueryRow.id)
        .join(SceneRow, QueryRow.scene_id == SceneRow.id)
        .outerjoin(InvestigationRow, QueryRow.investigation_id == InvestigationRow.id)
        .outerjoin(_LATEST_ID, _LATEST_ID.c.result_id == ResultRow.id)
        .outerjoin(_LATEST, _LATEST.id == _LATEST_ID.c.feedback_id)
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
        out.append(ResultRow.label.in_(sorted({s for lbl in f.labels for s in stored_labels(lbl)})))
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
        out.append(scene_condition(f.scene))
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
    if f.verdicts:
        out.append(_LATEST.verdict.in_(list(f.verdicts)))
    elif not f.include_rejected:
        out.append(or_(_LATEST.verdict.is_(None), _LATEST.verdict != Verdict.REJECT))
    return out


def scene_condition(scene: str | int) -> ColumnElement[bool]:
    """A scene by id, path, content-hash prefix (8+ hex digits), or file name or its start.

    A file name (no ``/``) matches the last part of a stored path, case-insensitively, from its
    beginning: ``ef92f434`` finds ``…/ef92f434-5a1e….jpg`` (Airbus names files by a UUID), never
    a folder of that name. ``%`` and ``_`` in it are plain characters.
    """
    if isinstance(scene, int):
        return SceneRow.id == scene
    value = scene.strip()
    options: list[ColumnElement[bool]] = [SceneRow.uri == value]
    if len(value) >= 8 and all(c in "0123456789abcdef" for c in value.lower()):
        options.append(SceneRow.content_hash.startswith(value.lower()))
    if value and "/" not in value:
        name = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        options.append(
            and_(
                SceneRow.uri.ilike(f"%/{name}%", escape="\\"),
                ~SceneRow.uri.ilike(f"%/{name}%/%", escape="\\"),
            )
        )
    return or_(*options)


def _run(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> list[ResultRecord]:
    try:
        with engine.connect() as connection:
            rows = connection.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise _query_failed(engine, exc) from exc
    return [_record(row) for row in rows]


def outline_in_pixels(
    geometry_scene: BaseGeometry | None,
    transform: Sequence[float] | None,
    pixel_box: PixelBox | None = None,
) -> BaseGeometry | None:
    """A result's shape in the QGIS pixel frame (x = column, y = −row), see ``outline_px``.

    ``geometry_scene`` is in the scene CRS (``transform`` maps pixels to it) or, for a scene
    without one (``transform`` ``None``), already in pixels; without it the box is used.
    """
    if geometry_scene is None or geometry_scene.is_empty:
        if pixel_box is None:
            return None
        geometry_scene, transform = box(*pixel_box.as_tuple()), None
    if transform is not None:
        geometry_scene = scene_to_pixels(geometry_scene, transform)
    return affinity.scale(geometry_scene, xfact=1.0, yfact=-1.0, origin=(0, 0))


def _record(row: Any) -> ResultRecord:
    (rid, kind, label, text, conf, geom, area, x0, y0, x1, y1, created) = row[:12]
    (qid, qtext, granularity, sid, uri, sha, thread) = row[12:19]
    scene_wkb, transform, verdict, fixed, fixed_scene_wkb, versions = row[19:25]
    scale_m, scale_source, crs = row[25:28]
    pixel_box = PixelBox(x0, y0, x1, y1) if x0 is not None else None
    shape_scene = wkb.loads(bytes(scene_wkb)) if scene_wkb else None
    geometry = to_shape(geom) if geom is not None else None
    outline = outline_in_pixels(shape_scene, transform, pixel_box)
    if verdict == Verdict.CORRECT and fixed_scene_wkb:
        shape_scene = wkb.loads(bytes(fixed_scene_wkb))
    record = ResultRecord(
        result_id=rid,
        kind=kind,
        label=label,
        text=text,
        confidence=conf,
        geometry=geometry,
        area_m2=area,
        pixel_box=pixel_box,
        created_at=created,
        query_id=qid,
        query_text=qtext,
        granularity=granularity,
        scene_id=sid,
        scene_uri=uri,
        scene_hash=sha,
        investigation=thread,
        outline_px=outline,
        verdict=Verdict(verdict) if verdict is not None else None,
        added=(versions or {}).get("source") == "analyst",
        scene_crs=crs if transform is not None else None,
        geometry_scene=shape_scene if transform is not None else None,
    )
    if verdict == Verdict.CORRECT:
        record = _corrected(record, fixed, fixed_scene_wkb, transform)
    if transform is None and record.outline_px is not None and kind != ResultKind.ANSWER:
        record = _scaled(record, scale_m, scale_source)
    return record


def _scaled(record: ResultRecord, scale_m: float | None, source: str | None) -> ResultRecord:
    """A result of a scene without a CRS, sized at the scale it was read at (or assumed)."""
    if scale_m is None:  # nothing gave a scale: the class's training GSD, said as assumed
        target = next((c for c in NANO_CLASSES if c.name == _subject_of(record.label)), None)
        if target is None:
            return record
        scale_m, source = target.assumed_scale.metres, target.assumed_scale.source
    area = float(record.outline_px.area) * scale_m * scale_m if record.outline_px else None
    return replace(record, scale_m=scale_m, scale_source=source, area_m2=area)


def _corrected(
    record: ResultRecord,
    fixed: Any,
    fixed_scene_wkb: bytes | None,
    transform: Sequence[float] | None,
) -> ResultRecord:
    """``record`` with the analyst's corrected shape in place of the model's (both kept)."""
    outline = record.outline_px
    geometry = record.geometry
    fixed_geometry = to_shape(fixed) if fixed is not None else None
    fixed_outline = (
        outline_in_pixels(wkb.loads(bytes(fixed_scene_wkb)), transform)
        if fixed_scene_wkb
        else outline
    )
    return replace(
        record,
        original_geometry=geometry,
        original_outline_px=outline,
        geometry=fixed_geometry,
        outline_px=fixed_outline,
        pixel_box=_box_of(fixed_outline) or record.pixel_box,
        area_m2=geodesic_area_m2(fixed_geometry) if fixed_geometry is not None else None,
    )


def _box_of(outline_px: BaseGeometry | None) -> PixelBox | None:
    """The pixel box (rows down) around an outline in the QGIS pixel frame (y = −row)."""
    if outline_px is None or outline_px.is_empty:
        return None
    x0, y0, x1, y1 = outline_px.bounds
    return PixelBox(math.floor(x0), math.floor(-y1), math.ceil(x1), math.ceil(-y0))


def _query_failed(engine: Engine, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"history query on {redacted(engine.url)!r} failed: {str(exc).splitlines()[0]}. "
        "Is the database migrated (`geomag db upgrade`) and reachable?"
    )
