"""Maps that work offline: Leaflet inlined from the package, the scene image as the base layer."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from geomag_core.scene import Scene
from ui.services.maps import (
    LEAFLET_VERSION,
    OFFLINE_NOTICE,
    TILES_UNAVAILABLE,
    MapLayer,
    evidence_map,
    external_assets,
    map_html,
    pixel_map,
)

IMAGE = np.full((6, 8, 3), 200, dtype=np.uint8)


def _georeferenced_html(sample_scene: Path) -> str:
    scene = Scene(sample_scene)
    fmap = evidence_map(
        [MapLayer("results", "#ff2828", [(scene.footprint_wgs84.buffer(-0.001), "#1 field")])],
        image=scene.read_overview(64)[0],
        image_outline=scene.footprint_wgs84,
    )
    return map_html(fmap)


def test_a_map_loads_nothing_from_the_network(sample_scene: Path) -> None:
    html = _georeferenced_html(sample_scene)
    assert external_assets(html) == []
    assert f"Leaflet {LEAFLET_VERSION}" in html  # the banner of the packaged leaflet.js
    assert "cdn.jsdelivr.net" not in html and "code.jquery.com" not in html
    # Leaflet itself is inline: its map factory and its CSS with the layer icon as a data URI
    assert "L.map(" in html and ".leaflet-container" in html
    assert "url(data:image/png;base64," in html and "url(images/" not in html


def test_the_scene_image_is_the_base_layer_and_tiles_are_optional(sample_scene: Path) -> None:
    html = _georeferenced_html(sample_scene)
    assert "L.imageOverlay(" in html and '"data:image/png;base64,' in html
    # web tiles are a layer the analyst may tick, not added to the map at start
    tiles = re.search(r"var (tile_layer_\w+) = L\.tileLayer\(", html)
    assert tiles is not None
    assert f"{tiles.group(1)}.addTo(" not in html
    assert f"{tiles.group(1)}.on('tileerror'" in html and TILES_UNAVAILABLE in html
    assert OFFLINE_NOTICE in html


def test_a_pixel_scene_map_is_in_its_own_frame() -> None:
    window = box(2, 1, 6, 3)  # scene pixels, y down
    html = map_html(
        pixel_map([MapLayer("zoom windows", "#ffd700", [(window, "zoom 1")])], IMAGE, 8, 6)
    )
    assert external_assets(html) == []
    assert "L.CRS.Simple" in html and "L.imageOverlay(" in html
    # y is flipped (Leaflet's y goes up): the window's top edge y=1 becomes 6 - 1 = 5
    assert re.search(r"\[2\.0, 5\.0\]", html) and re.search(r"\[6\.0, 3\.0\]", html)
    assert "L.tileLayer(" not in html
    assert '"minZoom": -8' in html  # at zoom 0 a unit is a pixel: big scenes must zoom out


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://cdn.example.org/leaflet.js"></script>',
        "<link rel='stylesheet' href='//cdn.example.org/leaflet.css'/>",
        '<script src="http://cdn.example.org/x.js">',
    ],
)
def test_external_assets_are_found(tag: str) -> None:
    assert external_assets(f"<html>{tag}</html>")
    with pytest.raises(ValueError, match="network"):
        from ui.services import maps

        class Fake:
            def get_root(self) -> Fake:
                return self

            def render(self) -> str:
                return tag

        maps.map_html(Fake())  # type: ignore[arg-type]
