"""The PSC heat map drawn where its cells looked, under the windows, with an opacity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from affine import Affine

from geomag_core.boxes import PixelBox
from geomag_core.findings import Finding
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.zoom import ZoomStep
from geomag_core.scene import Scene
from ui.services.heat import heat_prompt, looked_at_boxes
from ui.services.overlays import draw_evidence, draw_zoom_step, heat_layer


def _one_hot_cell() -> HeatMap:
    values = np.zeros((4, 4))
    values[1, 2] = 5.0  # row 1, col 2: scene pixels x 400..600, y 200..400 (cells of 200 px)
    return HeatMap(
        values=values,
        to_scene=Affine.scale(200),
        bounds=PixelBox(0, 0, 800, 800),
        source="test",
        view_pixels=800 * 800,
        view_shape=(800, 800),
    )


def test_the_hot_cell_lands_where_it_looked() -> None:
    layer = np.asarray(heat_layer(_one_hot_cell(), Affine.scale(0.5), (400, 400), opacity=0.8))
    hot, cold = layer[150, 250], layer[50, 50]  # view pixels = scene pixels / 2
    assert tuple(hot[:3]) == (255, 0, 0) and abs(int(hot[3]) - 0.8 * 255) < 4  # hottest: red
    assert tuple(cold[:3]) == (0, 0, 255) and abs(int(cold[3]) - 0.32 * 255) < 4  # cold: blue
    faint = np.asarray(heat_layer(_one_hot_cell(), Affine.scale(0.5), (400, 400), opacity=0.2))
    assert faint[150, 250, 3] < hot[3]


def test_the_heat_map_shows_on_the_scene_and_the_zoom_step(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    heat = HeatMap(
        values=np.ones((2, 2)),
        to_scene=Affine.scale(scene.width / 2, scene.height / 2),
        bounds=PixelBox(0, 0, scene.width, scene.height),
        source="test",
        view_pixels=scene.width * scene.height,
        view_shape=(scene.height, scene.width),
    )
    plain = np.asarray(draw_evidence(scene, [], [])).astype(int)
    heated = np.asarray(draw_evidence(scene, [], [], heat=[heat], opacity=0.9)).astype(int)
    assert heated.shape == plain.shape
    assert (heated[..., 0] - plain[..., 0]).mean() > 40  # uniform heat is hottest: reddened
    step = _step(PixelBox(0, 0, scene.width, scene.height), window=PixelBox(0, 0, 9, 9))
    thumb = np.asarray(draw_zoom_step(scene, step, heat=heat, opacity=0.9)).astype(int)
    assert thumb[..., 0].mean() > np.asarray(draw_zoom_step(scene, step)).astype(int)[..., 0].mean()


def _step(
    looked_at: PixelBox, window: PixelBox | None = None, label: str | None = None
) -> ZoomStep:
    window = window or PixelBox(looked_at.x0, looked_at.y0, looked_at.x0 + 9, looked_at.y0 + 9)
    return ZoomStep(1, looked_at, window, 1.0, 0.5, 0, 0, "test", label=label)


def test_heat_is_recomputed_for_the_text_and_boxes_it_was_made_for() -> None:
    steps = [
        _step(PixelBox(0, 0, 100, 100), label="aircraft"),
        _step(PixelBox(0, 0, 100, 100)),
        _step(PixelBox(10, 10, 60, 60)),
    ]
    assert looked_at_boxes(steps) == [(0, 0, 100, 100), (10, 10, 60, 60)]
    assert heat_prompt(steps[0], "where are the planes?", [], nano=True) == "segment the aircraft"
    cars = [Finding("mask", label="car"), Finding("mask", label="car"), Finding("mask", "aircraft")]
    assert heat_prompt(steps[1], "count cars", cars, nano=True) == "segment the cars"
    assert heat_prompt(steps[0], "where are the planes?", [], nano=False) == "where are the planes?"


def test_the_judged_result_is_cropped_around_its_outline(sample_scene: Path) -> None:
    from shapely.geometry import box

    from ui.services.overlays import draw_result_crop

    scene = Scene(sample_scene)
    outline = box(100, -140, 140, -100)  # pixels 100..140 (QGIS frame: y = -row)
    crop = draw_result_crop(scene, outline, None)
    assert crop is not None
    assert crop.size == (81, 81)  # the 40 px box and half of it on each side, at native size
    plain = np.asarray(scene.read(PixelBox(80, 80, 161, 161))).astype(int)
    drawn = np.asarray(crop).astype(int)
    assert drawn[40, 40, 0] - plain[40, 40, 0] > 30  # inside the outline: reddened
    assert (drawn[2, 2] == plain[2, 2]).all()  # the margin is the scene as it is
    assert draw_result_crop(scene, None, None) is None  # a text answer has nothing to show
