"""The analyst's verdicts: accept, reject or correct a result, and add an object the tool missed.

A verdict is a row of ``feedback``; the latest one of a result is the one that counts
(:mod:`db.history` reads it: rejected results are left out of history by default, and a
corrected outline stands in for the original, which is kept).

Shapes come in either frame and are stored in both the scene has:

* ``geometry``: WGS84 lon/lat degrees (a scene with a CRS only);
* ``pixels``: the scene's pixel frame, x = column, y = row (y down, as in the image), so scenes
  without a CRS (an Airbus JPEG) can be corrected and added to as well.

Every shape must lie on its scene (a correction 10,000 km away is refused, with where it is).
An added object is a result of its own query, marked ``model_versions = {"source": "analyst"}``,
with the analyst's ``accept`` and note as its provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.base import WGS84_SRID
from db.enums import QueryStatus, ResultKind, Verdict
from db.history import scene_condition
from db.models import FeedbackRow, QueryRow, ResultRow, SceneRow
from db.records import check_wgs84, geodesic_area_m2
from db.spatial import pixels_to_scene, scene_to_pixels
from geomag_core.errors import DatabaseError
from geomag_core.granularity import Granularity
from geomag_core.labels import canonical_label

__all__ = ["ANALYST_SOURCE", "add_object", "parse_box", "parse_polygon", "save_feedback"]

#: ``queries.model_versions["source"]`` of an object the analyst added.
ANALYST_SOURCE = "analyst"
#: How far (pixels) a shape may reach past the scene's edge and still be on it.
_EDGE_PX = 1.0


@dataclass(frozen=True)
class _Frame:
    """A stored scene's frames: pixels (col, row), its CRS (``transform``) and WGS84."""

    uri: str
    width: int
    height: int
    crs: str | None
    transform: Sequence[float] | None

    @classmethod
    def of(cls, scene: SceneRow) -> _Frame:
        return cls(scene.uri, scene.width, scene.height, scene.crs, scene.transform)

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and self.transform is not None

    def to_scene(self, pixels: BaseGeometry) -> BaseGeometry:
        """Pixels → the scene CRS (unchanged for a scene without one)."""
        return pixels if self.transform is None else pixels_to_scene(pixels, self.transform)

    def to_pixels(self, scene_shape: BaseGeometry) -> BaseGeometry:
        """The scene CRS → pixels."""
        return (
            scene_shape if self.transform is None else scene_to_pixels(scene_shape, self.transform)
        )

    def to_wgs84(self, scene_shape: BaseGeometry) -> BaseGeometry | None:
        if not self.georeferenced:
            return None
        return _reproject(scene_shape, Transformer.from_crs(self.crs, 4326, always_xy=True))

    def from_wgs84(self, lonlat: BaseGeometry) -> BaseGeometry:
        if not self.georeferenced:
            raise DatabaseError(
                f"the scene {self.uri} has no CRS, so a shape in lon/lat cannot be placed on "
                "it: give it in pixels instead (x = column, y = row; `--box x0,y0,x1,y1` or "
                "`--pixels-wkt` on the command line)"
            )
        return _reproject(lonlat, Transformer.from_crs(4326, self.crs, always_xy=True))

    def placed(
        self, geometry: BaseGeometry | None, pixels: BaseGeometry | None, what: str
    ) -> tuple[BaseGeometry, BaseGeometry | None, BaseGeometry]:
        """``(pixels, wgs84 or None, scene CRS)`` of a shape given in one frame, on the scene."""
        if (geometry is None) == (pixels is None):
            raise DatabaseError(f"give the {what} once: in lon/lat degrees or in pixels")
        if geometry is not None:
            check_wgs84(geometry, what)
            scene_shape = self.from_wgs84(geometry)
            pixels = self.to_pixels(scene_shape)
        else:
            assert pixels is not None
            scene_shape = self.to_scene(pixels)
        if pixels.is_empty or not pixels.is_valid or pixels.area <= 0:
            raise DatabaseError(
                f"the {what} must be a valid polygon with an area, got {pixels.geom_type}"
                + ("" if pixels.is_valid else " that crosses itself")
            )
        self.check_on_scene(pixels, what)
        return pixels, self.to_wgs84(scene_shape), scene_shape

    def check_on_scene(self, pixels: BaseGeometry, what: str) -> None:
        edge = box(0, 0, self.width, self.height).buffer(_EDGE_PX, join_style="mitre")
        if pixels.within(edge):
            return
        x0, y0, x1, y1 = (round(v) for v in pixels.bounds)
        raise DatabaseError(
            f"the {what} does not lie on the scene {self.uri}: it spans pixels "
            f"x {x0}..{x1}, y {y0}..{y1}, and the scene is {self.width} × {self.height} px"
            + (" (check lon/lat order and the scene)" if self.georeferenced else "")
        )


def _reproject(shape: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    moved = shapely.transform(shape, move)
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise DatabaseError(
            f"the shape at {shape.bounds} cannot be placed in {transformer.target_crs}: it lies "
            "far outside the scene (check lon/lat order and the scene)"
        )
    return moved


def parse_box(text: str) -> BaseGeometry:
    """A pixel box from ``x0,y0,x1,y1`` (top-left, bottom-right), or a :class:`DatabaseError`."""
    try:
        x0, y0, x1, y1 = (float(v) for v in text.replace(" ", "").split(","))
    except ValueError as exc:
        raise DatabaseError(
            f"box {text!r}: give x0,y0,x1,y1 in scene pixels, e.g. 120,40,180,96"
        ) from exc
    if not (x0 < x1 and y0 < y1):
        raise DatabaseError(f"box {text!r}: x0 < x1 and y0 < y1 (top-left, bottom-right)")
    return box(x0, y0, x1, y1)


def parse_polygon(text: str, what: str = "outline") -> BaseGeometry:
    """A polygon from WKT as an analyst typed it, or a :class:`DatabaseError` saying why not."""
    from shapely import wkt
    from shapely.errors import ShapelyError

    try:
        shape = wkt.loads(text.strip())
    except (ShapelyError, ValueError) as exc:
        raise DatabaseError(f"the {what} is not WKT ({exc}): give e.g. POLYGON ((x y, …))") from exc
    if shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise DatabaseError(f"the {what} must be a polygon, got {shape.geom_type}")
    return shape


def save_feedback(
    engine: Engine,
    result_id: int,
    verdict: Verdict,
    *,
    geometry: BaseGeometry | None = None,
    pixels: BaseGeometry | None = None,
    note: str | None = None,
    analyst: str | None = None,
) -> int:
    """Record an analyst's verdict on result ``result_id``; returns the feedback id.

    ``verdict`` ``correct`` needs the corrected shape, as ``geometry`` (WGS84) or ``pixels``
    (x = column, y = row), lying on the result's scene; the other verdicts take none.

    Raises:
        DatabaseError: no such result, a shape missing, not a polygon or off the scene, or the
            write failed (then nothing was stored).

    """
    given = geometry is not None or pixels is not None
    if (verdict == Verdict.CORRECT) != given:
        raise DatabaseError("give a corrected outline with the verdict 'correct', and only then")
    try:
        with Session(engine) as session, session.begin():
            result = session.get(ResultRow, result_id)
            if result is None:
                raise DatabaseError(f"there is no result {result_id}: see `geomag history`")
            wgs84 = scene_shape = None
            if given:
                frame = _Frame.of(result.query.scene)
                _, wgs84, scene_shape = frame.placed(geometry, pixels, "corrected outline")
            row = FeedbackRow(
                result_id=result_id,
                verdict=verdict,
                geom=from_shape(wgs84, srid=WGS84_SRID) if wgs84 is not None else None,
                geom_scene_wkb=scene_shape.wkb if scene_shape is not None else None,
                note=note or None,
                analyst=analyst,
            )
            session.add(row)
            session.flush()
            return row.id
    except SQLAlchemyError as exc:
        raise DatabaseError(f"saving feedback on result {result_id} failed: {exc}") from exc


def add_object(
    engine: Engine,
    scene: str | int,
    label: str,
    *,
    geometry: BaseGeometry | None = None,
    pixels: BaseGeometry | None = None,
    note: str | None = None,
    analyst: str | None = None,
) -> int:
    """Store an object the tool missed on a stored ``scene``; returns its result id.

    ``scene`` is what ``geomag history --scene`` takes (id, path, hash prefix, file name or its
    start) and must name one scene the history knows. The shape is given once, as ``geometry``
    (WGS84) or ``pixels`` (x = column, y = row), and must lie on the scene.

    Raises:
        DatabaseError: no scene or several match, an empty label, a shape off the scene.

    """
    name = canonical_label(label) or " ".join(label.split()).lower()
    if not name:
        raise DatabaseError("give the label of the object you add, e.g. --label aircraft")
    try:
        with Session(engine) as session, session.begin():
            scene_row = _one_scene(session, scene)
            frame = _Frame.of(scene_row)
            px, wgs84, scene_shape = frame.placed(geometry, pixels, "added object")
            x0, y0, x1, y1 = px.bounds
            query = QueryRow(
                scene_id=scene_row.id,
                text=f"added by the analyst: {name}",
                granularity=Granularity.PIXEL,
                p_image=0.0,
                p_region=0.0,
                p_pixel=0.0,
                model_versions={"source": ANALYST_SOURCE, "analyst": analyst},
                pixels=0,
                tokens=0,
                latency_ms=0.0,
                status=QueryStatus.OK,
            )
            session.add(query)
            session.flush()
            result = ResultRow(
                query_id=query.id,
                kind=ResultKind.BOX if px.equals(px.envelope) else ResultKind.MASK,
                label=name,
                confidence=None,
                geom=from_shape(wgs84, srid=WGS84_SRID) if wgs84 is not None else None,
                geom_scene_wkb=scene_shape.wkb,
                x0=max(0, int(x0)),
                y0=max(0, int(y0)),
                x1=min(scene_row.width, int(-(-x1 // 1))),
                y1=min(scene_row.height, int(-(-y1 // 1))),
                area_m2=geodesic_area_m2(wgs84) if wgs84 is not None else None,
            )
            session.add(result)
            session.flush()
            session.add(
                FeedbackRow(
                    result_id=result.id, verdict=Verdict.ACCEPT, note=note or None, analyst=analyst
                )
            )
            return result.id
    except SQLAlchemyError as exc:
        raise DatabaseError(f"adding the {name} to scene {scene!r} failed: {exc}") from exc


def _one_scene(session: Session, scene: str | int) -> SceneRow:
    rows = list(session.scalars(select(SceneRow).where(scene_condition(scene)).limit(6)))
    if not rows:
        raise DatabaseError(
            f"no stored scene matches {scene!r}: ask a question of the scene first, or give its "
            "id, path, hash prefix or file name as `geomag history` lists them"
        )
    if len(rows) > 1:
        names = ", ".join(r.uri.rsplit("/", 1)[-1] for r in rows[:5])
        raise DatabaseError(
            f"{len(rows) if len(rows) < 6 else 'more than 5'} stored scenes match {scene!r} "
            f"({names}): give more of the file name, or the scene id"
        )
    return rows[0]
