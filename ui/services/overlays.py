"""Evidence drawn on the scene: zoom windows, boxes and masks over a decimated overview.

Every box is XYXY in scene pixels; mask outlines come from the results' scene-frame WKT
(``wkt_scene``: scene CRS for georeferenced scenes, pixels otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from affine import Affine
from PIL import Image, ImageDraw
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geomag_core.boxes import PixelBox
from geomag_core.findings import Finding
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene

__all__ = [
    "ZOOM_COLOURS",
    "draw_evidence",
    "draw_result_crop",
    "draw_zoom_step",
    "heat_layer",
    "mask_rings_px",
]

#: Outline colours of zoom depths 1, 2, 3… (RGB).
ZOOM_COLOURS = ((255, 215, 0), (255, 128, 0), (255, 64, 160), (160, 96, 255))
MASK_FILL = (255, 40, 40, 110)
MASK_EDGE = (255, 40, 40, 255)
BOX_EDGE = (0, 220, 255, 255)
#: The analyst's own outlines on the Scene tab: an object they added, a corrected outline.
ANALYST_COLOURS = {"added": (40, 230, 90, 255), "corrected": (255, 255, 255, 255)}


def _overview(scene: Scene, max_side: int) -> tuple[Image.Image, Affine]:
    pixels, to_scene = scene.read_overview(max_side)
    return Image.fromarray(pixels).convert("RGBA"), ~to_scene


def _xy(to_view: Affine, points: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    return [to_view @ (float(x), float(y)) for x, y in points]


def _box(to_view: Affine, box: Sequence[int]) -> list[float]:
    (x0, y0), (x1, y1) = _xy(to_view, [(box[0], box[1]), (box[2], box[3])])
    return [x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)]


#: The heat colour ramp, cold to hot (RGB, 0..1): blue, cyan, yellow, red.
HEAT_RAMP = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def heat_layer(
    heat: HeatMap, to_view: Affine, size: tuple[int, int], opacity: float = 0.5
) -> Image.Image:
    """``heat`` as an RGBA layer of ``size`` (view pixels): blue (cold) to red (hot).

    Values are scaled to the map's 99th percentile and square-rooted, so a few hot cells do not
    leave the rest of the map invisible; hotter cells are also more opaque (``opacity`` at the
    hottest, 40 % of it at the coldest). ``to_view`` maps scene pixels to the view; the grid is
    placed through its own ``to_scene`` affine, so it lands where its cells looked.
    """
    top = float(np.percentile(heat.values, 99)) or float(heat.values.max())
    values = np.sqrt(np.clip(heat.values / max(top, 1e-12), 0.0, 1.0))
    stops = np.linspace(0.0, 1.0, len(HEAT_RAMP))
    ramp = np.stack([np.interp(values, stops, HEAT_RAMP[:, c]) for c in range(3)], axis=-1)
    alpha = opacity * (0.4 + 0.6 * values)
    grid = (np.concatenate([ramp, alpha[..., None]], axis=-1) * 255).round().astype(np.uint8)
    rows, cols = heat.shape
    (x0, y0), (x1, y1) = _xy(to_view @ heat.to_scene, [(0, 0), (cols, rows)])
    width, height = max(1, round(x1 - x0)), max(1, round(y1 - y0))
    tile = Image.fromarray(grid, "RGBA").resize((width, height), Image.Resampling.BILINEAR)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    layer.paste(tile, (round(x0), round(y0)))
    return layer


def mask_rings_px(scene: Scene, result: Finding) -> list[list[tuple[float, float]]]:
    """Exterior rings (scene pixels) of a mask result's polygons; empty when it has none."""
    shape = result.scene_geometry
    if shape is None:
        return []
    parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
    rings = []
    for part in parts:
        if not isinstance(part, Polygon) or part.is_empty:
            continue
        ring = np.asarray(part.exterior.coords, dtype=np.float64)[:, :2]
        pixels = scene.crs_to_pixel(ring) if scene.is_georeferenced else ring
        rings.append([(float(x), float(y)) for x, y in pixels])
    return rings


def draw_evidence(
    scene: Scene,
    results: Sequence[Finding],
    zoom_steps: Sequence[ZoomStep] = (),
    max_side: int = 1024,
    heat: Sequence[HeatMap] = (),
    opacity: float = 0.5,
    analyst: Sequence[tuple[BaseGeometry, str]] = (),
) -> Image.Image:
    """The scene overview with masks (filled), result boxes and every zoom window drawn on it.

    ``heat`` maps (PSC) are laid under the drawings at ``opacity``. ``analyst`` outlines (pixel
    frame, y = −row, as history keeps them) are drawn in :data:`ANALYST_COLOURS` by their kind,
    ``added`` or ``corrected``.
    """
    base, to_view = _overview(scene, max_side)
    for h in heat:
        base = Image.alpha_composite(base, heat_layer(h, to_view, base.size, opacity))
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    width = max(2, base.width // 300)
    for result in results:
        for ring in mask_rings_px(scene, result):
            if len(ring) >= 3:
                pen.polygon(_xy(to_view, ring), fill=MASK_FILL, outline=MASK_EDGE)
        if result.kind == "box" and result.pixel_box:
            pen.rectangle(_box(to_view, result.pixel_box), outline=BOX_EDGE, width=width)
    for step in zoom_steps:
        colour = ZOOM_COLOURS[(step.depth - 1) % len(ZOOM_COLOURS)]
        pen.rectangle(_box(to_view, step.window.as_tuple()), outline=(*colour, 255), width=width)
    for outline, kind in analyst:
        for part in getattr(outline, "geoms", [outline]):
            ring = [(x, -y) for x, y in part.exterior.coords]
            pen.line(_xy(to_view, ring), fill=ANALYST_COLOURS[kind], width=width)
    return Image.alpha_composite(base, layer).convert("RGB")


def draw_zoom_step(
    scene: Scene,
    step: ZoomStep,
    max_side: int = 256,
    heat: HeatMap | None = None,
    opacity: float = 0.5,
) -> Image.Image:
    """A thumbnail of one zoom step: the box looked at (white), its heat map, the window."""
    base, to_view = _overview(scene, max_side)
    if heat is not None:
        base = Image.alpha_composite(base, heat_layer(heat, to_view, base.size, opacity))
    pen = ImageDraw.Draw(base)
    colour = ZOOM_COLOURS[(step.depth - 1) % len(ZOOM_COLOURS)]
    pen.rectangle(_box(to_view, step.looked_at.as_tuple()), outline=(255, 255, 255, 255), width=2)
    pen.rectangle(_box(to_view, step.window.as_tuple()), outline=(*colour, 255), width=3)
    return base.convert("RGB")


def draw_result_crop(
    scene: Scene,
    outline_px: BaseGeometry | None,
    pixel_box: Sequence[int] | None,
    margin: float = 0.5,
    max_side: int = 384,
) -> Image.Image | None:
    """The scene around one result at native resolution, its outline (or box) drawn on it.

    ``outline_px`` is in the QGIS pixel frame of the history records (x = column, y = −row);
    the crop spans the shape's box grown by ``margin`` of its size on each side. ``None`` when
    the result has no shape.
    """
    if outline_px is not None and not outline_px.is_empty:
        shape: BaseGeometry | None = affinity.scale(outline_px, 1.0, -1.0, origin=(0, 0))
        x0, y0, x1, y1 = shape.bounds if shape is not None else (0, 0, 0, 0)
    elif pixel_box is not None:
        shape, (x0, y0, x1, y1) = None, pixel_box
    else:
        return None
    pad_x, pad_y = max(8.0, (x1 - x0) * margin), max(8.0, (y1 - y0) * margin)
    crop = PixelBox(
        max(0, int(x0 - pad_x)),
        max(0, int(y0 - pad_y)),
        min(scene.width, int(x1 + pad_x) + 1),
        min(scene.height, int(y1 + pad_y) + 1),
    )
    scale = min(1.0, max_side / max(crop.width, crop.height))
    size = (max(1, round(crop.height * scale)), max(1, round(crop.width * scale)))
    base = Image.fromarray(scene.read(crop, out_shape=size)).convert("RGBA")
    to_view = Affine.scale(base.width / crop.width, base.height / crop.height) * Affine.translation(
        -crop.x0, -crop.y0
    )
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    parts = [] if shape is None else list(getattr(shape, "geoms", [shape]))
    for part in parts:
        if isinstance(part, Polygon) and not part.is_empty:
            ring = np.asarray(part.exterior.coords)[:, :2]
            pen.polygon(_xy(to_view, ring), fill=MASK_FILL, outline=MASK_EDGE)
    if not parts:
        pen.rectangle(_box(to_view, [x0, y0, x1, y1]), outline=BOX_EDGE, width=2)
    return Image.alpha_composite(base, layer).convert("RGB")
