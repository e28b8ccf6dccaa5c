"""Leaflet maps of evidence that work offline: the scene image is the base layer.

Leaflet itself comes from the ``xstatic-leaflet`` package (PyPI) and is inlined into the map's
HTML, so a map needs nothing from the internet. Web tiles (OpenStreetMap) are an optional
layer, off by default; when they cannot be loaded the map says so.

Two frames:

- :func:`evidence_map`: WGS84. Geometries are ``(lon, lat)`` shapely geometries; folium wants
  ``[lat, lon]`` bounds. The scene image is laid over its footprint's bounding box (exact for
  north-up scenes in a geographic CRS, a close approximation for projected ones such as UTM).
- :func:`pixel_map`: the scene's own pixel frame (Leaflet's ``CRS.Simple``), for scenes without
  a CRS: x to the right, y down, the image at ``[0, width] × [0, height]``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from numpy.typing import NDArray
from shapely import affinity
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

__all__ = [
    "LEAFLET_VERSION",
    "OFFLINE_NOTICE",
    "TILES_UNAVAILABLE",
    "MapLayer",
    "evidence_map",
    "external_assets",
    "map_html",
    "pixel_map",
]

#: Shown on the map when the optional web tiles fail to load.
TILES_UNAVAILABLE = "Web tiles unavailable (offline?): the scene image is the base layer."
#: Shown on every map: where the base layer comes from.
OFFLINE_NOTICE = "Base layer: the scene itself. Web tiles: optional, in the layer control."


@dataclass(frozen=True)
class MapLayer:
    """Geometries drawn in one colour under one name, each with a tooltip."""

    name: str
    colour: str
    shapes: Sequence[tuple[BaseGeometry, str]]
    fill: float = 0.35


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xleaflet

    return Path(xleaflet.BASE_DIR)


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and its CSS with the control icons inlined as data URIs."""
    root = _leaflet_dir()
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        data = (root / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    script = (root / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+", "", script), css


def _version() -> str:
    import xstatic.pkg.leaflet as xleaflet

    return str(xleaflet.VERSION)


LEAFLET_VERSION = _version()


class _Notice(MacroElement):
    """A text box in a map corner; with ``tiles`` set, shown only once those tiles fail."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var box = L.control({position: {{ this.position|tojson }}});
            box.onAdd = function() {
                var div = L.DomUtil.create('div', 'geomag-notice');
                div.style.cssText = 'background:rgba(255,255,255,0.85);padding:2px 6px;'
                    + 'font:12px sans-serif;border-radius:3px;max-width:320px';
                div.textContent = {{ this.text|tojson }};
                return div;
            };
            {% if this.tiles %}
            var shown = false;
            {{ this.tiles }}.on('tileerror', function() {
                if (!shown) { shown = true; box.addTo({{ this._parent.get_name() }}); }
            });
            {% else %}
            box.addTo({{ this._parent.get_name() }});
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, text: str, position: str = "bottomleft", tiles: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Notice"
        self.text = text
        self.position = position
        self.tiles = tiles


class _Fit(MacroElement):
    """Fit the map to ``bounds`` now and again when it is first shown with a size.

    A map in a hidden tab is laid out with zero size; without a refit it shows the world.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var bounds = {{ this.bounds|tojson }};
            var fitted = false;
            function fit() {
                map.invalidateSize();
                if (!fitted && map.getSize().x > 0 && map.getSize().y > 0) {
                    fitted = true;
                    map.fitBounds(bounds);
                }
            }
            map.fitBounds(bounds);
            fit();
            new ResizeObserver(fit).observe(map.getContainer());
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Fit"
        self.bounds = bounds


def _offline(fmap: folium.Map) -> folium.Map:
    """Drop the CDN links of ``fmap`` and put Leaflet inline in its header instead."""
    fmap.default_js = []
    fmap.default_css = []
    script, css = _leaflet_assets()
    root = fmap.get_root()
    assert isinstance(root, Figure)
    header = root.header
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{script}</script>"), name="leaflet_inline")
    return fmap


def _add_layers(fmap: folium.Map, layers: Sequence[MapLayer]) -> None:
    for layer in layers:
        group = folium.FeatureGroup(name=layer.name)
        for geometry, tip in layer.shapes:
            style = {"color": layer.colour, "weight": 2, "fillOpacity": layer.fill}
            folium.GeoJson(
                mapping(geometry), style_function=lambda _f, s=style: s, tooltip=tip
            ).add_to(group)
        group.add_to(fmap)


def _bounds(geometries: Sequence[BaseGeometry]) -> list[list[float]]:
    west, south, east, north = unary_union(list(geometries)).bounds
    return [[south, west], [north, east]]


def evidence_map(
    layers: Sequence[MapLayer],
    image: NDArray[np.uint8] | None = None,
    image_outline: BaseGeometry | None = None,
    *,
    web_tiles: bool = True,
) -> folium.Map:
    """A WGS84 map fitted to every geometry, with ``image`` laid over ``image_outline``'s bounds.

    The image is the base layer. ``web_tiles`` adds OpenStreetMap as an optional layer, off
    until the analyst ticks it; a notice appears on the map when its tiles cannot be loaded.
    """
    every = [g for layer in layers for g, _ in layer.shapes]
    if image_outline is not None:
        every.append(image_outline)
    fmap = _offline(folium.Map(tiles=None, control_scale=True))
    if image is not None and image_outline is not None:
        folium.raster_layers.ImageOverlay(
            image, bounds=_bounds([image_outline]), name="scene image", opacity=1.0
        ).add_to(fmap)
    if web_tiles:
        tiles = folium.TileLayer(
            "OpenStreetMap", name="web tiles (OpenStreetMap)", overlay=True, show=False
        )
        tiles.add_to(fmap)
        fmap.add_child(_Notice(TILES_UNAVAILABLE, "topright", tiles=tiles.get_name()))
    _add_layers(fmap, layers)
    if every:
        fmap.add_child(_Fit(_bounds(every)))
    fmap.add_child(_Notice(OFFLINE_NOTICE if image is not None else _NO_IMAGE))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


_NO_IMAGE = "No scene image on this map: footprints and results only. Web tiles: optional."


def _flip(geometry: BaseGeometry, height: int) -> BaseGeometry:
    """Scene pixels (x right, y down) to ``CRS.Simple`` coordinates (x right, y up)."""
    return affinity.affine_transform(geometry, [1.0, 0.0, 0.0, -1.0, 0.0, float(height)])


def pixel_map(
    layers: Sequence[MapLayer], image: NDArray[np.uint8], width: int, height: int
) -> folium.Map:
    """A map in the scene's pixel frame: ``image`` over ``[0, width] × [0, height]``.

    ``layers`` hold geometries in scene pixels (XY, y down), e.g. zoom windows and masks.
    """
    fmap = _offline(folium.Map(tiles=None, crs="Simple", control_scale=False, zoom_snap=0.25))
    fmap.options["minZoom"] = -8  # 1 unit = 1 px at zoom 0: a big scene needs to zoom out
    folium.raster_layers.ImageOverlay(
        image, bounds=[[0, 0], [height, width]], name="scene image", opacity=1.0
    ).add_to(fmap)
    flipped = [
        MapLayer(m.name, m.colour, [(_flip(g, height), t) for g, t in m.shapes], m.fill)
        for m in layers
    ]
    _add_layers(fmap, flipped)
    fmap.add_child(_Fit([[0.0, 0.0], [float(height), float(width)]]))
    fmap.add_child(_Notice("Pixel frame (no CRS): x right, y down from the top-left corner."))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


_EXTERNAL = re.compile(r"""<(?:script|link)\b[^>]*(?:src|href)\s*=\s*["']?(https?:)?//""", re.I)


def external_assets(html: str) -> list[str]:
    """Script and stylesheet tags of ``html`` that would load something from another host."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]


def map_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML page (no script or stylesheet from the network)."""
    html = str(fmap.get_root().render())
    if found := external_assets(html):
        raise ValueError(f"the map would load assets from the network: {found[:3]}")
    return html
