"""Grounded polygons: masks in scene pixels turned into labelled geometries in map coordinates.

Every :class:`GroundedPolygon` keeps its geometry in three frames: scene pixels (always), the
scene CRS and WGS84 (georeferenced scenes only). Metric area is computed in a Lambert azimuthal
equal-area projection centred on the geometry, so it is a true ellipsoidal area in m², never
degrees².
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeAlias

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, Polygon

from geomag_core.boxes import PixelBox
from geomag_core.polygons.paste import SceneMask
from geomag_core.polygons.vectorize import Connectivity, PixelComponent, mask_components
from geomag_core.scene import Scene

__all__ = [
    "GroundedPolygon",
    "equal_area_m2",
    "ground_components",
    "ground_mask",
    "longest_side",
    "to_equal_area",
]

Polygonal: TypeAlias = Polygon | MultiPolygon
PointFn: TypeAlias = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class GroundedPolygon:
    """One segmented object (or one multi-part mask) with its geometry in every frame.

    Attributes:
        label: what it is (from the query or the answer).
        confidence: the mask's confidence in ``[0, 1]``.
        pixel_box: bounding box, XYXY in scene pixels (exclusive upper bounds).
        pixel_geometry: polygon in scene pixels.
        pixel_count: scene pixels of the mask behind it.
        crs: the scene CRS (``EPSG:xxxx`` or WKT); ``None`` for a pixel-space scene.
        srid: the EPSG code of ``crs`` if it has one.
        crs_geometry: polygon in the scene CRS.
        wgs84_geometry: polygon in WGS84 (x = lon, y = lat).
        area_m2: metric area (equal-area projection); ``None`` without a CRS.
        length_px: longest side of the minimum rotated rectangle around it, in scene pixels.
        length_m: the same length in metres (equal-area projection); ``None`` without a CRS.

    """

    label: str
    confidence: float
    pixel_box: PixelBox
    pixel_geometry: Polygonal
    pixel_count: int
    crs: str | None = None
    srid: int | None = None
    crs_geometry: Polygonal | None = None
    wgs84_geometry: Polygonal | None = None
    area_m2: float | None = None
    length_px: float = 0.0
    length_m: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, geometries as WKT."""
        return {
            "label": self.label,
            "confidence": self.confidence,
            "pixel_box": list(self.pixel_box.as_tuple()),
            "pixel_count": self.pixel_count,
            "pixel_wkt": self.pixel_geometry.wkt,
            "crs": self.crs,
            "srid": self.srid,
            "crs_wkt": None if self.crs_geometry is None else self.crs_geometry.wkt,
            "wgs84_wkt": None if self.wgs84_geometry is None else self.wgs84_geometry.wkt,
            "area_m2": self.area_m2,
            "length_px": self.length_px,
            "length_m": self.length_m,
        }


def ground_mask(
    scene: Scene,
    scene_mask: SceneMask,
    *,
    label: str,
    confidence: float,
    simplify_px: float = 1.0,
    instances: bool = True,
    connectivity: Connectivity = 8,
    min_pixels: int = 1,
) -> list[GroundedPolygon]:
    """Vectorise one mask of ``scene``.

    Args:
        scene: where the mask lies (gives the CRS and the pixel → CRS transform).
        scene_mask: the mask in scene pixels (from :func:`~geomag_core.polygons.paste_crop_mask`).
        label: the object's label.
        confidence: the mask's confidence.
        simplify_px: simplification tolerance in scene pixels.
        instances: one result per connected component (default); ``False`` keeps the whole mask
            as one multi-part result.
        connectivity: 4 or 8.
        min_pixels: components smaller than this are dropped.

    Returns:
        Results largest first (empty if the mask is empty).

    """
    components = mask_components(
        scene_mask, simplify_px=simplify_px, connectivity=connectivity, min_pixels=min_pixels
    )
    if not components:
        return []
    if not instances:
        parts = [p for c in components for p in _parts(c.geometry)]
        merged = PixelComponent(MultiPolygon(parts), sum(c.pixel_count for c in components))
        components = [merged]
    return [_ground(scene, c, label, confidence) for c in components]


def ground_components(
    scene: Scene,
    components: list[PixelComponent],
    *,
    label: str,
    confidences: list[float],
) -> list[GroundedPolygon]:
    """Ground already vectorised components (scene-pixel polygons), one confidence each."""
    return [_ground(scene, c, label, conf) for c, conf in zip(components, confidences, strict=True)]


def _ground(scene: Scene, c: PixelComponent, label: str, confidence: float) -> GroundedPolygon:
    x0, y0, x1, y1 = c.geometry.bounds
    box = PixelBox(int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1)))
    length_px = longest_side(c.geometry)
    if scene.crs is None:
        return GroundedPolygon(
            label, confidence, box, c.geometry, c.pixel_count, length_px=length_px
        )
    t = scene.transform
    crs_geometry = affine_transform(c.geometry, [t.a, t.b, t.d, t.e, t.xoff, t.yoff])
    wgs84 = shapely.transform(crs_geometry, scene.crs_to_wgs84)
    epsg = scene.crs.to_epsg()
    metric = to_equal_area(crs_geometry, scene.crs)
    return GroundedPolygon(
        label=label,
        confidence=confidence,
        pixel_box=box,
        pixel_geometry=c.geometry,
        pixel_count=c.pixel_count,
        crs=f"EPSG:{epsg}" if epsg else scene.crs.to_wkt(),
        srid=epsg,
        crs_geometry=crs_geometry,
        wgs84_geometry=wgs84,
        area_m2=float(metric.area),
        length_px=length_px,
        length_m=longest_side(metric),
    )


def longest_side(geometry: Polygonal) -> float:
    """Longest side of the minimum rotated rectangle around ``geometry`` (its units)."""
    if geometry.is_empty:
        return 0.0
    rect = shapely.minimum_rotated_rectangle(geometry)
    coords = list(getattr(rect, "exterior", rect).coords)
    sides = [float(np.hypot(x1 - x0, y1 - y0)) for (x0, y0), (x1, y1) in pairwise(coords)]
    return max(sides, default=0.0)


def equal_area_m2(geometry: Polygonal, crs: CRS) -> float:
    """Area in m² of ``geometry`` (in ``crs``), in a Lambert azimuthal equal-area projection.

    The projection is centred on the geometry's centroid, on the WGS84 ellipsoid.
    """
    return float(to_equal_area(geometry, crs).area)


def to_equal_area(geometry: Polygonal, crs: CRS) -> Polygonal:
    """``geometry`` in metres, in a Lambert azimuthal equal-area projection centred on it."""
    to_wgs84 = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    centre = geometry.centroid
    lon, lat = to_wgs84.transform(centre.x, centre.y)
    laea = CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")
    to_laea = Transformer.from_crs(crs, laea, always_xy=True)
    projected: Polygonal = shapely.transform(geometry, _point_fn(to_laea))
    return projected


def _point_fn(transformer: Transformer) -> PointFn:
    """``(N, 2) → (N, 2)`` through ``transformer`` (for :func:`shapely.transform`)."""

    def apply(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.stack([np.asarray(x), np.asarray(y)], axis=1)

    return apply


def _parts(geometry: Polygonal) -> list[Polygon]:
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
