"""NDWI/NDVI regions on a synthetic RGBN raster whose water and vegetation are known per pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from geomag_core.errors import MissingBandError
from geomag_core.scene import Scene
from geomag_core.spectral import NDVI, NDWI, find_bands, has_nir, index_regions, otsu_threshold
from tests.data.rasters import land_cover_rgbn, write_geotiff

#: 2 m pixels in UTM 14N (the NAIP zone): one pixel is 4 m² on the grid.
UTM14_2M = Affine(2.0, 0.0, 500_000.0, 0.0, -2.0, 5_200_000.0)


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scene, dict[str, int]]:
    data, counts = land_cover_rgbn()
    path = write_geotiff(
        tmp_path_factory.mktemp("cover") / "cover.tif", data, crs="EPSG:32614", transform=UTM14_2M
    )
    return Scene(path), counts


def test_water_regions_are_exact_to_the_pixel_and_specks_are_dropped(
    cover: tuple[Scene, dict[str, int]],
) -> None:
    scene, counts = cover
    found = index_regions(scene, NDWI)
    assert found.threshold == 0.2 and found.threshold_method == "fixed"
    assert found.method == "ndwi>0.20 (fixed) v1"
    assert [r.pixel_count for r in found.regions] == [600, 60]
    assert sum(r.pixel_count for r in found.regions) == counts["water"]
    assert found.specks == 1 and found.min_pixels == 25  # 100 m² at 4 m² a pixel
    for region in found.regions:
        assert region.label == "water" and region.srid == 32614
        assert region.area_m2 == pytest.approx(region.pixel_count * 4.0, rel=2e-3)
        assert region.confidence == 1.0  # every pixel clearly past the threshold
    assert found.regions[0].pixel_box.as_tuple() == (10, 10, 40, 30)


def test_vegetation_is_not_water_and_water_is_not_vegetation(
    cover: tuple[Scene, dict[str, int]],
) -> None:
    scene, counts = cover
    veg = index_regions(scene, NDVI)
    assert [r.pixel_count for r in veg.regions] == [counts["vegetation"]]
    assert veg.regions[0].pixel_box.as_tuple() == (5, 90, 45, 100)


def test_otsu_follows_the_scene_and_a_given_threshold_is_recorded(
    cover: tuple[Scene, dict[str, int]],
) -> None:
    scene, _ = cover
    otsu = index_regions(scene, NDWI, threshold="otsu")
    assert otsu.threshold_method == "otsu" and 0.0 < otsu.threshold < 0.6
    assert len(otsu.regions) == 2 and otsu.regions[0].pixel_count >= 600
    strict = index_regions(scene, NDWI, threshold=0.7)
    assert strict.regions == [] and strict.method == "ndwi>0.70 (given) v1"
    bimodal = np.concatenate([np.full(100, -0.5), np.full(100, 0.5)])
    assert -0.5 < otsu_threshold(bimodal) < 0.5


def test_large_scenes_are_measured_on_a_decimation_that_says_so(
    cover: tuple[Scene, dict[str, int]],
) -> None:
    scene, _ = cover
    found = index_regions(scene, NDWI, max_pixels=3000)  # 12,000 px scene → scale 2
    assert found.scale == pytest.approx(2.0, rel=0.01)
    assert found.regions[0].pixel_count == pytest.approx(600, rel=0.1)


def test_rgb_scenes_need_a_nir_band(tmp_path: Path, cover: tuple[Scene, dict[str, int]]) -> None:
    data, _ = land_cover_rgbn()
    rgb = Scene(write_geotiff(tmp_path / "rgb.tif", data[:3]))
    assert not has_nir(rgb)
    with pytest.raises(MissingBandError, match="no near-infrared band"):
        index_regions(rgb, NDWI)
    scene, _ = cover
    assert find_bands(scene).nir_source.startswith("assumed: RGBN")
    with pytest.raises(MissingBandError, match="GEOMAG_NIR_BAND=9"):
        find_bands(scene, nir_band=9)


def test_a_band_description_names_the_nir_band(tmp_path: Path) -> None:
    data, _ = land_cover_rgbn()
    shuffled = np.stack([data[3], data[0], data[1], data[2], data[2]])  # NIR first, 5 bands
    path = write_geotiff(tmp_path / "nirfirst.tif", shuffled)
    with rasterio.open(path, "r+") as dst:
        dst.set_band_description(1, "Near Infrared")
    scene = Scene(path, rgb_bands=(2, 3, 4))
    bands = find_bands(scene)
    assert (bands.red, bands.green, bands.nir, bands.nir_source) == (2, 3, 1, "band description")
    # 0.5 m pixels: 100 m² is 400 px, so the 60-px pond is a speck here
    found = index_regions(scene, NDWI)
    assert [r.pixel_count for r in found.regions] == [600] and found.min_pixels == 400


def test_the_share_is_the_regions_share_without_the_polygons(sample_scene: Path) -> None:
    """A scene description's water/vegetation share is the number the search reports."""
    from geomag_core.spectral import index_share

    scene = Scene(sample_scene)
    for index in (NDWI, NDVI):
        regions = index_regions(scene, index)
        assert index_share(scene, index) == pytest.approx(
            regions.above_pixels / regions.valid_pixels
        )
        assert 0.0 < index_share(scene, index) < 1.0
