"""What one question leaves behind, as typed values: the input of :func:`db.writes.save_question`.

Frames: ``footprint``/``geometry`` are WGS84 shapely geometries (x=lon, y=lat, degrees);
``geometry_scene`` is in the scene's CRS (in scene pixels for a scene without a CRS); windows and
pixel boxes are :class:`~geomag_core.boxes.PixelBox` (XYXY, scene pixels).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyproj import Geod
from shapely import affinity
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from db.base import utcnow
from db.enums import QueryStatus, ResultKind
from geomag_core.boxes import PixelBox
from geomag_core.errors import DatabaseError
from geomag_core.granularity import Granularity
from geomag_core.polygons.grounded import longest_side
from geomag_core.scene import Scene

__all__ = [
    "QueryFacts",
    "QuestionRecord",
    "ResultFacts",
    "SceneFacts",
    "ZoomStepFacts",
    "check_wgs84",
    "geodesic_area_m2",
    "geodesic_length_m",
]

_GEOD = Geod(ellps="WGS84")


def check_wgs84(geometry: BaseGeometry, what: str) -> BaseGeometry:
    """Return ``geometry`` if it looks like WGS84 lon/lat degrees, else raise."""
    if geometry.is_empty:
        raise DatabaseError(f"{what} is an empty geometry: leave it unset instead")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DatabaseError(
            f"{what} has bounds {geometry.bounds}, outside lon/lat degrees: give WGS84 "
            "(EPSG:4326, x=lon, y=lat); keep the scene-CRS shape in geometry_scene"
        )
    return geometry


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, in m², of a lon/lat geometry (0 for points and lines)."""
    area, _ = _GEOD.geometry_area_perimeter(geometry)
    return abs(float(area))


def geodesic_length_m(geometry: BaseGeometry) -> float:
    """Longer side, in metres, of the minimum rotated rectangle around a lon/lat geometry.

    Measured in the plane tangent at its centroid (metres per degree of longitude and of
    latitude there, on the WGS84 ellipsoid): no projection is built per shape, and the error is
    far under 0.1 % for objects a few kilometres long.
    """
    c = geometry.centroid
    step = 1e-4
    per_lon = _GEOD.line_length([c.x, c.x + step], [c.y, c.y]) / step
    per_lat = _GEOD.line_length([c.x, c.x], [c.y - step / 2, c.y + step / 2]) / step
    return longest_side(affinity.scale(geometry, xfact=per_lon, yfact=per_lat, origin=c))


@dataclass(frozen=True, kw_only=True)
class SceneFacts:
    """Provenance of the scene a question was asked of."""

    uri: str
    content_hash: str
    width: int
    height: int
    bands: int
    crs: str | None = None
    """Authority code (``EPSG:26914``) or WKT; ``None`` for a pixel-space scene."""
    transform: tuple[float, float, float, float, float, float] | None = None
    """Affine ``a, b, c, d, e, f`` from scene pixels to the scene CRS."""
    footprint: Polygon | None = None
    """Scene outline in WGS84."""
    acquired: dt.date | None = None

    def __post_init__(self) -> None:
        if len(self.content_hash) != 64:
            raise DatabaseError(f"content_hash {self.content_hash!r} is not a SHA-256 hex digest")
        if self.footprint is not None:
            check_wgs84(self.footprint, "scene footprint")

    @classmethod
    def from_scene(cls, scene: Scene) -> SceneFacts:
        """Everything the history keeps about ``scene`` (hashes the file once)."""
        georeferenced = scene.crs is not None
        a, b, c, d, e, f = list(scene.transform)[:6]
        return cls(
            uri=str(scene.path),
            content_hash=scene.content_hash,
            width=scene.width,
            height=scene.height,
            bands=scene.count,
            crs=scene.crs.to_string() if scene.crs else None,
            transform=(a, b, c, d, e, f) if georeferenced else None,
            footprint=scene.footprint_wgs84 if georeferenced else None,
            acquired=scene.acquired,
        )


@dataclass(frozen=True, kw_only=True)
class QueryFacts:
    """The question, how it was classified, which models answered it and what it cost."""

    text: str
    granularity: Granularity
    probabilities: Mapping[Granularity, float]
    """Classifier output; the three values sum to 1."""
    model_versions: Mapping[str, str] = field(default_factory=dict)
    """Component name (``classifier``, ``vlm``, ``decoder``…) → version or content hash."""
    pixels: int = 0
    tokens: int = 0
    latency_ms: float = 0.0
    status: QueryStatus = QueryStatus.OK
    error: str | None = None
    request_id: str | None = None
    """The caller's id for this request: saving it again returns the first save, unchanged."""
    scale_m: float | None = None
    """Metres per pixel a scene without a CRS was read at (``--gsd``, given in the app, its
    world file); ``None`` when its CRS gives the scale or none is known."""
    scale_source: str | None = None
    """Where ``scale_m`` came from, in words."""

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise DatabaseError("a query needs its question text")
        if set(self.probabilities) != set(Granularity):
            raise DatabaseError("probabilities need exactly one value per granularity")
        if not math.isclose(sum(self.probabilities.values()), 1.0, abs_tol=1e-3):
            raise DatabaseError(f"probabilities {dict(self.probabilities)} do not sum to 1")
        if self.pixels < 0 or self.tokens < 0 or self.latency_ms < 0:
            raise DatabaseError("pixels, tokens and latency_ms cannot be negative")
        if self.scale_m is not None and not (math.isfinite(self.scale_m) and self.scale_m > 0):
            raise DatabaseError(f"scale_m must be a positive number of metres, got {self.scale_m}")


@dataclass(frozen=True, kw_only=True)
class ZoomStepFacts:
    """One zoom window: ``depth`` 1 is the first crop of the scene, ``rank`` 0 the best of it."""

    depth: int
    rank: int = 0
    window: PixelBox
    footprint: Polygon | None = None
    """The window's outline in WGS84 (``None`` for a pixel-space scene)."""
    score: float | None = None

    def __post_init__(self) -> None:
        if self.depth < 1 or self.rank < 0:
            raise DatabaseError(f"zoom step depth {self.depth} / rank {self.rank}: need ≥1 / ≥0")
        if self.footprint is not None:
            check_wgs84(self.footprint, "zoom step footprint")


@dataclass(frozen=True, kw_only=True)
class ResultFacts:
    """One grounded result: an answer (text only), a box or a mask."""

    kind: ResultKind
    label: str | None = None
    """Class name; stored stripped and lower-case so that label filters match."""
    text: str | None = None
    confidence: float | None = None
    geometry: BaseGeometry | None = None
    """WGS84 shape (the searchable one)."""
    geometry_scene: BaseGeometry | None = None
    """The same shape in the scene CRS (scene pixels for a pixel-space scene)."""
    pixel_box: PixelBox | None = None
    area_m2: float | None = None
    """Metric area; default: the geodesic area of ``geometry`` (boxes and masks)."""

    def __post_init__(self) -> None:
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise DatabaseError(f"confidence {self.confidence} is outside [0, 1]")
        if self.area_m2 is not None and self.area_m2 < 0:
            raise DatabaseError(f"area_m2 {self.area_m2} is negative")
        if self.geometry is not None:
            check_wgs84(self.geometry, f"{self.kind} geometry")
        located = (self.geometry, self.geometry_scene, self.pixel_box)
        if self.kind != ResultKind.ANSWER and all(v is None for v in located):
            raise DatabaseError(
                f"a {self.kind} result needs a geometry, a scene-CRS geometry or a pixel box"
            )

    @property
    def normalized_label(self) -> str | None:
        """The label as stored: stripped, lower-case, ``None`` when blank."""
        label = (self.label or "").strip().lower()
        return label or None

    @property
    def metric_area(self) -> float | None:
        """``area_m2`` if given, else the geodesic area of a box or mask ``geometry``."""
        if self.area_m2 is not None:
            return self.area_m2
        if self.geometry is None or self.kind == ResultKind.ANSWER:
            return None
        return geodesic_area_m2(self.geometry)


@dataclass(frozen=True, kw_only=True)
class QuestionRecord:
    """Everything one question produced; saved in one transaction."""

    scene: SceneFacts
    query: QueryFacts
    zoom_steps: Sequence[ZoomStepFacts] = ()
    results: Sequence[ResultFacts] = ()
    thread_id: str | None = None
    """The investigation (conversation thread) the question belongs to, if any."""
    thread_title: str | None = None
    asked_at: dt.datetime = field(default_factory=utcnow)
    """Timestamp of the query and its results (timezone-aware)."""

    def __post_init__(self) -> None:
        if self.asked_at.tzinfo is None:
            raise DatabaseError("asked_at must be timezone-aware (e.g. datetime.now(UTC))")
