from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from shapely.geometry import MultiPolygon, Polygon, box

from geomag_core.boxes import PixelBox
from geomag_core.errors import InvalidBoxError
from geomag_core.polygons import SceneMask, ground_mask, mask_components, paste_crop_mask
from geomag_core.scene import Scene

PIXEL_AREA_M2 = 25.0  # NAIP sample: 5 m pixels, EPSG:26914


def disk_with_hole(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    mask = (yy - 300) ** 2 + (xx - 400) ** 2 < 150**2
    mask[280:320, 380:440] = False  # a hole: 40 x 60 pixels
    mask[50:90, 700:760] = True  # a second part
    return mask


@pytest.fixture(scope="module")
def naip(sample_scene: Path) -> Scene:
    return Scene(sample_scene)


def full_mask(scene: Scene, mask: np.ndarray) -> SceneMask:
    return SceneMask(mask=mask, box=PixelBox(0, 0, scene.width, scene.height))


def test_naip_mask_area_in_m2_matches_pixel_count_times_pixel_area(naip: Scene) -> None:
    mask = disk_with_hole(naip.height, naip.width)
    results = ground_mask(naip, full_mask(naip, mask), label="field", confidence=0.9, simplify_px=0)
    assert [r.pixel_count for r in results] == [int(mask[:, :600].sum()), 40 * 60]
    for r in results:
        assert r.area_m2 is not None
        assert r.area_m2 == pytest.approx(r.pixel_count * PIXEL_AREA_M2, rel=0.01)
        assert r.crs == "EPSG:26914" and r.srid == 26914
        assert r.crs_geometry is not None and r.wgs84_geometry is not None
        assert r.crs_geometry.area == pytest.approx(r.pixel_count * PIXEL_AREA_M2)
        assert naip.footprint_wgs84.contains(r.wgs84_geometry)
    total = sum(r.area_m2 or 0 for r in results)
    assert total == pytest.approx(mask.sum() * PIXEL_AREA_M2, rel=0.01)
    # simplification by one pixel keeps the area of a large shape within 1 %
    simplified = ground_mask(naip, full_mask(naip, mask), label="f", confidence=1, simplify_px=1)
    assert simplified[0].area_m2 == pytest.approx(results[0].area_m2, rel=0.01)
    assert len(simplified[0].pixel_geometry.exterior.coords) < len(
        results[0].pixel_geometry.exterior.coords
    )


def test_holes_and_multiple_parts_are_preserved(naip: Scene) -> None:
    mask = disk_with_hole(naip.height, naip.width)
    instances = ground_mask(naip, full_mask(naip, mask), label="x", confidence=1, simplify_px=0)
    assert len(instances) == 2
    disk = instances[0].pixel_geometry
    assert isinstance(disk, Polygon) and len(disk.interiors) == 1
    assert Polygon(disk.interiors[0]).area == 40 * 60
    assert instances[1].pixel_geometry.equals(box(700, 50, 760, 90))
    assert instances[1].pixel_box == PixelBox(700, 50, 760, 90)
    merged = ground_mask(naip, full_mask(naip, mask), label="x", confidence=1, instances=False)
    assert len(merged) == 1
    geometry = merged[0].pixel_geometry
    assert isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 2
    assert any(len(p.interiors) == 1 for p in geometry.geoms)
    assert merged[0].pixel_count == int(mask.sum())


def test_connectivity_decides_whether_diagonal_pixels_are_one_instance() -> None:
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = mask[1, 1] = True
    scene_mask = SceneMask(mask=mask, box=PixelBox(10, 20, 14, 24))
    assert len(mask_components(scene_mask, connectivity=8)) == 1
    four = mask_components(scene_mask, connectivity=4)
    assert len(four) == 2
    assert {c.geometry.bounds for c in four} == {(10, 20, 11, 21), (11, 21, 12, 22)}
    assert mask_components(SceneMask(mask=~np.ones((2, 2), bool), box=PixelBox(0, 0, 2, 2))) == []


def test_native_crop_mask_lands_on_the_right_scene_pixels() -> None:
    crop = np.zeros((50, 80), dtype=np.float32)
    crop[10:20, 30:35] = 0.9
    crop[0, 0] = 0.4  # below the threshold
    pasted = paste_crop_mask(crop, Affine.translation(100, 40), (934, 723))
    assert pasted.box == PixelBox(100, 40, 180, 90)
    full = pasted.to_full(934, 723)
    expected = np.zeros((723, 934), bool)
    expected[50:60, 130:135] = True
    np.testing.assert_array_equal(full, expected)


def test_pooled_view_mask_is_scaled_and_clipped_to_the_scene() -> None:
    crop = np.zeros((10, 10), bool)
    crop[2, 3] = True  # -> scene x 20..24, y 12..16
    crop[9, 9] = True  # -> scene x 44..48, y 40..44, clipped to 44..46, 40..42
    to_scene = Affine.translation(8, 4) @ Affine.scale(4)
    pasted = paste_crop_mask(crop, to_scene, (46, 42))
    assert pasted.box == PixelBox(8, 4, 46, 42)
    expected = np.zeros((42, 46), bool)
    expected[12:16, 20:24] = True
    expected[40:42, 44:46] = True
    np.testing.assert_array_equal(pasted.to_full(46, 42), expected)
    with pytest.raises(InvalidBoxError, match="outside the scene"):
        paste_crop_mask(crop, Affine.translation(100, 0), (46, 42))


def test_pixel_space_scene_gives_pixel_polygons_only(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.fromarray(np.zeros((60, 90, 3), np.uint8)).save(path)
    scene = Scene(path)
    mask = np.zeros((20, 30), bool)
    mask[5:15, 10:25] = True
    pasted = paste_crop_mask(mask, Affine.translation(40, 30), scene.size)
    (result,) = ground_mask(scene, pasted, label="roof", confidence=0.7, simplify_px=0)
    assert result.pixel_geometry.equals(box(50, 35, 65, 45))
    assert result.pixel_count == 150
    assert result.crs is None and result.crs_geometry is None
    assert result.wgs84_geometry is None and result.area_m2 is None
    assert result.as_dict()["pixel_wkt"].startswith("POLYGON")
