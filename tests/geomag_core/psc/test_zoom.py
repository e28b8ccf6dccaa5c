from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from geomag_core.boxes import PixelBox
from geomag_core.psc.heatmap import HeatMap, VLMHeatMapSource
from geomag_core.psc.zoom import zoom
from geomag_core.scene import Scene
from geomag_core.tmra import fitted_view
from geomag_core.vlm.tiny import build_tiny_vlm
from geomag_core.vlm.transformers_backend import TransformersVLM
from tests.data.rasters import pattern, write_geotiff

TARGET = (3000.0, 1500.0)  # scene pixels


class PointHeat:
    """A heat-map source with a known answer: heat falls off with distance from TARGET."""

    def __init__(self, input_size: int) -> None:
        self.input_size = input_size
        self.calls: list[PixelBox] = []

    def __call__(self, scene: Scene, box: PixelBox, query: str) -> HeatMap:
        self.calls.append(box)
        view = fitted_view(scene, box, self.input_size)
        rows, cols = view.height // 28, view.width // 28
        to_scene = view.to_scene @ Affine.scale(view.width / cols, view.height / rows)
        centres = np.stack(
            np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5), axis=-1
        ).reshape(-1, 2)
        xy = np.array([to_scene @ tuple(c) for c in centres])
        dist = np.hypot(xy[:, 0] - TARGET[0], xy[:, 1] - TARGET[1]).reshape(rows, cols)
        return HeatMap(
            values=np.exp(-dist / 150.0),
            to_scene=to_scene,
            bounds=box,
            source="point",
            view_pixels=view.pixels,
            view_shape=(view.height, view.width),
        )


@pytest.fixture(scope="module")
def scene_4k(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    path = tmp_path_factory.mktemp("zoom") / "4k.tif"
    return Scene(write_geotiff(path, pattern(3, 2160, 3840, "uint8", seed=5)))


def test_zoom_closes_in_on_the_hot_spot_and_stops_at_native_resolution(scene_4k: Scene) -> None:
    source = PointHeat(input_size=896)
    trail = zoom(
        scene_4k, "find it", source, input_size=896, window_cells=20, stride_cells=4, max_depth=6
    )
    assert trail.stop_reason == "native-resolution"
    assert max(trail.final.width, trail.final.height) <= 896
    assert len(trail.steps) == len(source.calls) >= 2
    previous = PixelBox(0, 0, 3840, 2160)
    for depth, step in enumerate(trail.steps, start=1):
        assert step.depth == depth and step.looked_at == previous
        assert previous.contains(step.window) and step.window != previous
        w = step.window
        assert w.x0 <= TARGET[0] < w.x1 and w.y0 <= TARGET[1] < w.y1
        assert step.score > 1 and 0 < step.heat_coverage <= 1
        assert step.pixels <= 896 * 896 and step.tokens > 0
        previous = w
    assert trail.final == trail.steps[-1].window
    assert trail.pixels == sum(s.pixels for s in trail.steps)


def test_zoom_respects_the_depth_limit(scene_4k: Scene) -> None:
    trail = zoom(
        scene_4k,
        "find it",
        PointHeat(448),
        input_size=448,
        window_cells=12,
        stride_cells=2,
        max_depth=2,
    )
    assert trail.stop_reason == "depth-limit" and len(trail.steps) == 2
    assert max(trail.final.width, trail.final.height) > 448


def test_a_box_that_already_fits_needs_no_zoom(scene_4k: Scene) -> None:
    source = PointHeat(1024)
    trail = zoom(scene_4k, "q", source, input_size=1024, start=PixelBox(2800, 1300, 3600, 1900))
    assert trail.steps == () and trail.stop_reason == "native-resolution" and not source.calls


def test_zoom_runs_on_the_tiny_vlm_heat_maps(tmp_path: Path, scene_4k: Scene) -> None:
    """Plumbing only: random weights give meaningless windows, but real heat maps."""
    vlm = TransformersVLM(build_tiny_vlm(tmp_path), device="cpu")
    source = VLMHeatMapSource(vlm, input_size=448)
    trail = zoom(
        scene_4k,
        "where are the tanks?",
        source,
        input_size=448,
        window_cells=8,
        stride_cells=2,
        max_depth=2,
    )
    assert len(trail.steps) == 2 and all(s.source == "vlm-attention" for s in trail.steps)
    assert trail.steps[0].tokens == 16 * 9  # a 448×252 view is 16×9 tokens
    assert trail.steps[1].looked_at == trail.steps[0].window
