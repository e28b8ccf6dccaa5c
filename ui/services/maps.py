"""Folium maps of evidence in WGS84: scene footprints, the scene image, result geometries.

Coordinates are WGS84 ``(lon, lat)`` shapely geometries; folium wants ``[lat, lon]`` bounds.
The scene image is laid over its footprint's bounding box (exact for north-up scenes in a
geographic CRS, a close approximation for projected ones such as UTM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
import numpy as np
from numpy.typing import NDArray
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

__all__ = ["MapLayer", "evidence_map"]


@dataclass(frozen=True)
class MapLayer:
    """Geometries drawn in one colour under one name, each with a tooltip."""

    name: str
    colour: str
    shapes: Sequence[tuple[BaseGeometry, str]]
    fill: float = 0.35


def _bounds(geometries: Sequence[BaseGeometry]) -> list[list[float]]:
    west, south, east, north = unary_union(list(geometries)).bounds
    return [[south, west], [north, east]]


def evidence_map(
    layers: Sequence[MapLayer],
    image: NDArray[np.uint8] | None = None,
    image_outline: BaseGeometry | None = None,
) -> folium.Map:
    """A map fitted to every geometry, with ``image`` laid over ``image_outline``'s bounds."""
    every = [g for layer in layers for g, _ in layer.shapes]
    if image_outline is not None:
        every.append(image_outline)
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    if image is not None and image_outline is not None:
        folium.raster_layers.ImageOverlay(
            image, bounds=_bounds([image_outline]), name="scene", opacity=0.9
        ).add_to(fmap)
    for layer in layers:
        group = folium.FeatureGroup(name=layer.name)
        for geometry, tip in layer.shapes:
            style = {"color": layer.colour, "weight": 2, "fillOpacity": layer.fill}
            folium.GeoJson(
                mapping(geometry), style_function=lambda _f, s=style: s, tooltip=tip
            ).add_to(group)
        group.add_to(fmap)
    if every:
        fmap.fit_bounds(_bounds(every))
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
