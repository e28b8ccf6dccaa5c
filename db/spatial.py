"""Spatial predicates that use the spatial index on both dialects.

PostGIS uses a GiST index by itself for ``ST_Intersects``. SpatiaLite does not: its R*Tree is a
table (``idx_<table>_<column>``) that a query must join explicitly, so every predicate here adds
that prefilter on SQLite and then tests the exact geometry. Distances are metres on the WGS84
ellipsoid on both (PostGIS ``geography``, SpatiaLite's ellipsoidal ``ST_Distance``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

from shapely import affinity
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, column, func, select, table

from db.base import WGS84_SRID
from geomag_core.errors import DatabaseError

__all__ = [
    "Bounds",
    "SpatialColumn",
    "check_bounds",
    "envelope_around",
    "pixels_to_scene",
    "scene_to_pixels",
]

Bounds = tuple[float, float, float, float]
"""``(min_lon, min_lat, max_lon, max_lat)`` in WGS84 degrees."""

#: Shortest length of one degree of latitude (at the equator) and the equatorial length of one
#: degree of longitude, in metres: dividing by them over-estimates degrees, which is safe.
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_319.0


def check_bounds(bounds: Bounds) -> Bounds:
    """Return ``bounds`` if it is a valid lon/lat box, else raise with what to write instead."""
    min_lon, min_lat, max_lon, max_lat = bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise DatabaseError(
            f"bounding box {bounds} is not min_lon,min_lat,max_lon,max_lat in WGS84 degrees "
            "with min ≤ max (split a box that crosses the antimeridian in two)"
        )
    return bounds


def envelope_around(lon: float, lat: float, metres: float) -> Bounds:
    """A lon/lat box that surely contains every point within ``metres`` of ``(lon, lat)``."""
    if metres < 0 or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DatabaseError(
            f"near ({lon}, {lat}, {metres} m): give lon,lat in WGS84 degrees and metres ≥ 0"
        )
    dlat = metres / _M_PER_DEG_LAT * 1.01
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(min_lat), abs(max_lat))
    cos = math.cos(math.radians(widest))
    dlon = 360.0 if cos < 1e-6 else metres / (_M_PER_DEG_LON_EQUATOR * cos) * 1.01
    if dlon >= 180 or lon - dlon < -180 or lon + dlon > 180:
        return (-180.0, min_lat, 180.0, max_lat)
    return (lon - dlon, min_lat, lon + dlon, max_lat)


def _boolean(expression: Any) -> ColumnElement[bool]:
    """A PostGIS predicate used bare, as PostGIS needs it to plan an index scan (no ``IS TRUE``)."""
    return cast(ColumnElement[bool], expression)


class SpatialColumn:
    """Index-backed predicates over one WGS84 geometry column of one table."""

    def __init__(self, geom: Any, pk: Any, dialect: str) -> None:
        """``geom``, ``pk``: the mapped geometry and primary-key columns; ``dialect``: its name."""
        self.geom = geom
        self.pk = pk
        self.dialect = dialect
        self.index_table = f"idx_{geom.table.name}_{geom.name}"

    def intersects_bounds(self, bounds: Bounds) -> ColumnElement[bool]:
        """Geometry intersects the lon/lat box ``bounds``."""
        min_lon, min_lat, max_lon, max_lat = check_bounds(bounds)
        if self.dialect == "postgresql":
            box = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, WGS84_SRID)
            return _boolean(func.ST_Intersects(self.geom, box))
        box = func.BuildMbr(min_lon, min_lat, max_lon, max_lat, WGS84_SRID)
        return and_(self._rtree(bounds), func.ST_Intersects(self.geom, box) == 1)

    def intersects(self, geometry: BaseGeometry) -> ColumnElement[bool]:
        """Geometry intersects ``geometry`` (WGS84)."""
        shape = func.ST_GeomFromText(geometry.wkt, WGS84_SRID)
        if self.dialect == "postgresql":
            return _boolean(func.ST_Intersects(self.geom, shape))
        bounds = check_bounds(tuple(geometry.bounds))
        return and_(self._rtree(bounds), func.ST_Intersects(self.geom, shape) == 1)

    def within(self, lon: float, lat: float, metres: float) -> ColumnElement[bool]:
        """Geometry comes within ``metres`` (on the ellipsoid) of the point ``(lon, lat)``."""
        bounds = envelope_around(lon, lat, metres)
        if self.dialect == "postgresql":
            point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), WGS84_SRID)
            near = func.ST_DWithin(func.geography(self.geom), func.geography(point), metres)
            return and_(self.intersects_bounds(bounds), _boolean(near))
        point = func.MakePoint(lon, lat, WGS84_SRID)
        return and_(self._rtree(bounds), func.ST_Distance(self.geom, point, 1) <= metres)

    def _rtree(self, bounds: Bounds) -> ColumnElement[bool]:
        """SpatiaLite: primary key among the R*Tree entries whose box meets ``bounds``."""
        min_lon, min_lat, max_lon, max_lat = bounds
        rtree = table(
            self.index_table, column("pkid"), column("xmin"), column("xmax"), column("ymin"),
            column("ymax"),
        )  # fmt: skip
        hits = select(rtree.c.pkid).where(
            rtree.c.xmin <= max_lon,
            rtree.c.xmax >= min_lon,
            rtree.c.ymin <= max_lat,
            rtree.c.ymax >= min_lat,
        )
        return self.pk.in_(hits)  # type: ignore[no-any-return]


def pixels_to_scene(shape: BaseGeometry, transform: Sequence[float]) -> BaseGeometry:
    """``shape`` in scene pixels (x = column, y = row) to the scene CRS of ``transform``.

    ``transform`` is the affine ``a, b, c, d, e, f``: x = a·col + b·row + c, y = d·col + e·row + f.
    """
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    return affinity.affine_transform(shape, [a, b, d, e, c, f])


def scene_to_pixels(shape: BaseGeometry, transform: Sequence[float]) -> BaseGeometry:
    """The inverse of :func:`pixels_to_scene`."""
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return affinity.affine_transform(
        shape, [ia, ib, id_, ie, -(ia * c + ib * f), -(id_ * c + ie * f)]
    )
