"""Issue 28: a scene the overview sees too coarsely is zoomed into level by level.

A 5,120² mosaic of four real oil-storage scenes (1.2 m) is 5× down in the 1,024-px overview:
a 19-px tank is ~4 view pixels. The search looks at the overview's squares again, finer —
every one of a 2 × 2 grid, 2.5× down as auto sees a 2,560² scene — and plans its native
windows on those looks; each look is a zoom step with its depth. Without breadth (larger
scenes) only the hottest squares are looked at again. A 2,560² scene keeps the one-level
search.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import class_named
from geomag_core.nano.datasets import load_scenes
from geomag_core.nano.predictor import NanoModel
from geomag_core.nano.search import ZoomLevels, search_scene
from geomag_core.psc.heatmap import HeatMap
from geomag_core.psc.windows import ScoredWindow
from geomag_core.scene import Scene


@pytest.fixture(scope="module")
def model() -> NanoModel:
    return NanoModel.load(None, device="cpu")  # the shipped weights: real heat, real windows


class Recorder:
    """The search's progress calls, in order."""

    def __init__(self) -> None:
        self.looks: list[tuple[int, PixelBox]] = []
        self.reads: list[PixelBox] = []
        self.plans: list[str] = []

    def planned(self, heat: HeatMap | None, decision: str, windows: int) -> None:
        self.plans.append(decision)

    def zoomed(self, depth: int, region: PixelBox, heat: HeatMap, score: float) -> None:
        assert heat.bounds == region and 0 <= score <= 1
        self.looks.append((depth, region))

    def read(self, number: int, window: ScoredWindow | None, box: PixelBox) -> None:
        self.reads.append(box)


@pytest.fixture(scope="module")
def mosaic(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenes = load_scenes(shared_data, "oil-storage", "val")[:4]
    tiles = [np.asarray(Image.open(s.path).convert("RGB")) for s in scenes]
    assert all(t.shape == (2560, 2560, 3) for t in tiles)
    image = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
    path = tmp_path_factory.mktemp("mosaic") / "tanks-5120.tif"
    profile = {"driver": "GTiff", "width": 5120, "height": 5120, "count": 3, "dtype": "uint8",
               "tiled": True, "blockxsize": 512, "blockysize": 512}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image.transpose(2, 0, 1))
    return path


def test_a_scene_too_coarse_in_the_overview_is_zoomed_into_level_by_level(
    model: NanoModel, mosaic: Path
) -> None:
    tanks = class_named("oil-storage tank")
    seen = Recorder()
    found = search_scene(model, Scene(mosaic), tanks, gsd_m=1.2, progress=seen)
    assert seen.looks and all(depth == 1 for depth, _ in seen.looks)  # 5× → 2.5×: one level
    assert all(r.width == r.height == 2560 for _, r in seen.looks)  # a 2 × 2 grid
    # every square of the overview is looked at once: the whole scene, no square twice
    assert len(seen.looks) == 4 and len({r for _, r in seen.looks}) == 4
    assert "every one of its squares" in found.decision and "5× down" in found.decision
    assert "the finest about 2.5× down" in found.decision
    # every native window lies in a square that was looked at again, finer
    for box in seen.reads:
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        assert any(r.x0 <= cx < r.x1 and r.y0 <= cy < r.y1 for _, r in seen.looks)
    assert found.instances  # tank farms were found through the finer looks
    assert found.view_pixels > found.heat.view_pixels  # the looks are counted  # type: ignore[union-attr]


def test_one_level_is_kept_where_the_overview_is_enough(model: NanoModel, mosaic: Path) -> None:
    tanks = class_named("oil-storage tank")
    crop = Scene(mosaic).path.with_name("crop.tif")
    with rasterio.open(mosaic) as src:
        profile = src.profile | {"width": 1600, "height": 1600}
        with rasterio.open(crop, "w", **profile) as dst:
            dst.write(src.read(window=((0, 1600), (0, 1600))))
    seen = Recorder()
    search_scene(model, Scene(crop), tanks, gsd_m=1.2, progress=seen)
    assert seen.looks == [] and seen.reads  # 1.6× down: native windows on the overview itself
    strict = Recorder()  # finer than 1.2× asked for: one square (over the 25 % budget, but
    search_scene(  # the hottest is always looked at, so the zoom never reads nothing)
        model, Scene(crop), tanks, gsd_m=1.2, progress=strict,
        levels=ZoomLevels(max_scale=1.2, breadth=False),
    )  # fmt: skip
    ((depth, square),) = strict.looks  # one square of the 1,024-px grid (edge ones clipped)
    assert depth == 1 and max(square.width, square.height) <= 1024
    # Native windows, if its look asks for any, are planned on that look: inside the square.
    # (Whether it asks depends on the weights: the shipped ones' hottest square needs none.)
    for box in strict.reads:
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        assert square.x0 <= cx < square.x1 and square.y0 <= cy < square.y1


def test_without_breadth_only_the_hottest_squares_are_looked_at_again(
    model: NanoModel, mosaic: Path
) -> None:
    tanks = class_named("oil-storage tank")
    seen = Recorder()
    found = search_scene(
        model, Scene(mosaic), tanks, gsd_m=1.2, progress=seen, levels=ZoomLevels(breadth=False)
    )
    assert 1 <= len(seen.looks) <= 4  # at most 25 % of the scene looked at again
    assert "zoomed into its hottest squares" in found.decision


def test_a_square_whose_look_shows_nothing_gets_no_native_window(
    model: NanoModel, mosaic: Path, tmp_path: Path
) -> None:
    """Half the mosaic blanked to grey (no tank): looked at, probed, never searched."""
    with rasterio.open(mosaic) as src:
        image, profile = src.read(), src.profile
    image[:, :, 2560:] = 128  # the right half: two tank scenes gone
    half = tmp_path / "half.tif"
    with rasterio.open(half, "w", **profile) as dst:
        dst.write(image)
    seen = Recorder()
    found = search_scene(
        model, Scene(half), class_named("oil-storage tank"), gsd_m=1.2, progress=seen
    )
    assert len(seen.looks) == 4  # the grey squares were looked at too
    empty = re.search(r"(\d+) showing no oil-storage tank", found.decision)
    assert empty and 2 <= int(empty.group(1)) < 4  # the grey ones at least, not every farm
    # (the probes are not windows: one block of each grey look was read, and showed nothing)
    assert seen.reads and all(box.x1 <= 2560 + 16 for box in seen.reads)  # (+ a window margin)
