from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geomag_core.boxes import PixelBox
from geomag_core.budget import VisionTokenGeometry, native_baseline, tiling_baseline
from geomag_core.errors import InvalidBoxError
from geomag_core.granularity import Granularity
from geomag_core.scene import Scene
from geomag_core.tmra import View, build_views
from tests.data.rasters import pattern, pool, write_geotiff

W, H = 483, 322  # deliberately not multiples of 4 or 16


@pytest.fixture()
def scene(tmp_path: Path) -> Scene:
    # Overviews built with nearest resampling: if TMRA's pooling used them, the values would
    # differ from true average pooling and the tests below would fail.
    data = pattern(3, H, W, "uint8", seed=1)
    path = write_geotiff(tmp_path / "scene.tif", data, overviews=(2, 4, 8, 16))
    return Scene(path)


def _assert_maps_to_scene(view: View, full: np.ndarray) -> None:
    """Every view pixel equals the mean of the scene pixels its footprint maps onto."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        col, row = int(rng.integers(view.width)), int(rng.integers(view.height))
        x0, y0 = view.to_scene @ (col, row)
        x1, y1 = view.to_scene @ (col + 1, row + 1)
        assert view.box.x0 <= x0 < x1 <= view.box.x1 and view.box.y0 <= y0 < y1 <= view.box.y1
        if x1 - x0 == int(x1 - x0) and y1 - y0 == int(y1 - y0):  # integer footprints: exact
            patch = full[int(y0) : int(y1), int(x0) : int(x1)].reshape(-1, 3).mean(axis=0)
            np.testing.assert_allclose(view.image[row, col], patch, atol=1.0)


def test_image_view_is_a_small_square_of_the_whole_scene(scene: Scene) -> None:
    views = build_views(scene, "image", image_size=100)
    (view,) = views.views
    assert view.name == "scene_small" and view.image.shape == (100, 100, 3)
    assert view.box == PixelBox(0, 0, W, H)
    assert view.to_scene @ (0, 0) == (0, 0)
    np.testing.assert_allclose(view.to_scene @ (100, 100), (W, H))
    with pytest.raises(InvalidBoxError):
        build_views(scene, "image", [PixelBox(0, 0, 10, 10)])


def test_region_views_are_native_crop_plus_pooled_scene(scene: Scene) -> None:
    full = scene.read()
    box = PixelBox(50, 40, 250, 190)
    views = build_views(scene, Granularity.REGION, [box])
    crop, pooled = views.views
    assert crop.name == "crop1" and pooled.name == "scene_pooled"
    np.testing.assert_array_equal(crop.image, full[40:190, 50:250])
    assert crop.to_scene @ (0, 0) == (50, 40) and crop.to_scene @ (200, 150) == (250, 190)
    assert pooled.image.shape == (H // 4, W // 4, 3)
    np.testing.assert_allclose(pooled.image, pool(full, 4), atol=1.0)
    for view in views.views:
        _assert_maps_to_scene(view, full)


def test_pixel_views_are_fine_crop_pooled_crop_and_twice_pooled_scene(scene: Scene) -> None:
    full = scene.read()
    bbox1, bbox2 = PixelBox(60, 30, 460, 310), PixelBox(120, 90, 280, 210)
    views = build_views(scene, "pixel", [bbox1, bbox2])
    crop2, crop1_pooled, scene_pooled2 = views.views
    assert [v.name for v in views.views] == ["crop2", "crop1_pooled", "scene_pooled2"]
    np.testing.assert_array_equal(crop2.image, full[90:210, 120:280])
    np.testing.assert_allclose(crop1_pooled.image, pool(full[30:310, 60:460], 4), atol=1.0)
    # D(D(I)) is 4×4 pooling applied twice.
    twice = pool(pool(full, 4), 4)
    assert scene_pooled2.image.shape == twice.shape == (H // 16, W // 16, 3)
    np.testing.assert_allclose(scene_pooled2.image, twice, atol=1.0)
    for view in views.views:
        _assert_maps_to_scene(view, full)


def test_pixel_views_refuse_bad_boxes(scene: Scene) -> None:
    with pytest.raises(InvalidBoxError, match="inside bbox1"):
        build_views(scene, "pixel", [PixelBox(0, 0, 100, 100), PixelBox(50, 50, 150, 150)])
    with pytest.raises(InvalidBoxError, match="exactly two"):
        build_views(scene, "pixel", [PixelBox(0, 0, 100, 100)])
    with pytest.raises(InvalidBoxError, match="outside the scene"):
        build_views(scene, "region", [PixelBox(0, 0, W + 5, 100)])
    with pytest.raises(InvalidBoxError, match="empty"):
        PixelBox.parse("10,10,5,20")
    with pytest.raises(InvalidBoxError, match="four integers"):
        PixelBox.parse("1,2,3")


def test_default_boxes_are_nested_and_centred(scene: Scene) -> None:
    views = build_views(scene, "pixel")
    crop2, crop1_pooled, _ = views.views
    assert crop1_pooled.box.contains(crop2.box)
    assert crop2.box.width == (W // 2) // 2


def test_token_geometry_matches_qwen2_vl() -> None:
    geometry = VisionTokenGeometry()
    assert geometry.factor == 28
    assert geometry.tokens(560, 560) == 400
    assert geometry.tokens(100, 100) == 16  # snapped to 112×112
    assert geometry.tokens(10, 10) == 4  # the 56×56 minimum
    assert geometry.tokens(2160, 3840) == 77 * 137


def test_budget_report_for_a_4k_scene(tmp_path: Path) -> None:
    data = np.zeros((3, 2160, 3840), np.uint8)
    data[:, ::7, ::5] = 200
    scene = Scene(write_geotiff(tmp_path / "4k.tif", data))
    report = build_views(scene, "pixel").report()
    budget = report["budget"]
    assert budget["views"]["pixels"] == sum(v["pixels"] for v in report["views"])
    assert budget["native"] == {"pixels": 3840 * 2160, "tokens": 77 * 137}
    assert budget["tiling"] == {"pixels": 29 * 560 * 560, "tokens": 29 * 400}
    ratio = budget["ratio_to_native"]["pixels"]
    assert ratio == pytest.approx(budget["views"]["pixels"] / (3840 * 2160))
    assert 0 < ratio < 1
    assert native_baseline(3840, 2160, VisionTokenGeometry()).pixels == 8_294_400
    assert tiling_baseline(560, 560, VisionTokenGeometry()).tokens == 800


@pytest.mark.parametrize("granularity", ["region", "pixel"])
def test_no_view_is_longer_than_max_side_and_each_still_maps_to_its_box(
    tmp_path: Path, granularity: str
) -> None:
    """Issue 27, item 7: on a large scene the views stay bounded; where they are decimated,
    ``to_scene`` still maps the view's far corner onto its box's."""
    big = Scene(write_geotiff(tmp_path / "big.tif", pattern(3, 3000, 3000, "uint8")))
    boxes = (
        [PixelBox(100, 200, 2900, 2600)]
        if granularity == "region"
        else [PixelBox(0, 0, 3000, 3000), PixelBox(200, 300, 1900, 1500)]
    )
    bounded = build_views(big, granularity, boxes, max_side=512)
    free = build_views(big, granularity, boxes)
    assert max(max(v.image.shape[:2]) for v in bounded.views) <= 512
    assert max(max(v.image.shape[:2]) for v in free.views) > 512  # the bound did something
    for view in bounded.views:
        h, w = view.image.shape[:2]
        x, y = view.to_scene * (w, h)
        assert (x, y) == pytest.approx((view.box.x1, view.box.y1))
