"""Scene masks to polygons in scene pixels: one polygon per connected component.

Polygons follow pixel edges (GDAL's polygonize), so an unsimplified component's area equals its
pixel count exactly; holes become interior rings. Simplification (Douglas–Peucker, topology
preserved) takes a tolerance in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from affine import Affine
from rasterio import features
from shapely.geometry import MultiPolygon, Polygon, shape

from geomag_core.polygons.paste import SceneMask

__all__ = ["PixelComponent", "mask_components"]

Connectivity = Literal[4, 8]


@dataclass(frozen=True)
class PixelComponent:
    """One connected component of a scene mask.

    Attributes:
        geometry: polygon in scene pixels (x = column, y = row, pixel corners at integers),
            simplified if asked; a :class:`MultiPolygon` only if simplification or 8-connected
            corner contacts split it.
        pixel_count: scene pixels in the component (before simplification).

    """

    geometry: Polygon | MultiPolygon
    pixel_count: int


def mask_components(
    scene_mask: SceneMask,
    *,
    simplify_px: float = 0.0,
    connectivity: Connectivity = 8,
    min_pixels: int = 1,
) -> list[PixelComponent]:
    """Connected components of ``scene_mask`` as pixel-space polygons, largest first.

    Args:
        scene_mask: the mask in scene pixels.
        simplify_px: Douglas–Peucker tolerance in pixels (0 keeps the exact pixel outline).
        connectivity: 4 or 8 (pixels touching at a corner belong together).
        min_pixels: drop components smaller than this.

    """
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8")
    data = scene_mask.mask.astype(np.uint8)
    if not data.any():
        return []
    offset = Affine.translation(scene_mask.box.x0, scene_mask.box.y0)
    found = []
    for geojson, value in features.shapes(
        data, mask=scene_mask.mask, connectivity=connectivity, transform=offset
    ):
        if value != 1:
            continue
        polygon = shape(geojson)
        count = round(polygon.area)
        if count < min_pixels:
            continue
        geometry = polygon if polygon.is_valid else shapely.make_valid(polygon)
        if simplify_px > 0:
            geometry = geometry.simplify(simplify_px, preserve_topology=True)
        found.append(PixelComponent(geometry=_polygonal(geometry), pixel_count=count))
    return sorted(found, key=lambda c: -c.pixel_count)


def _polygonal(geometry: shapely.Geometry) -> Polygon | MultiPolygon:
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polygons = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return MultiPolygon(polygons)
