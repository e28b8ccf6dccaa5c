from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import transform as warp_transform
from shapely.geometry import Point

from geomag_core.boxes import PixelBox
from geomag_core.errors import InvalidBoxError, NotGeoreferencedError, SceneReadError
from geomag_core.scene import DECODED_SCENES, Scene
from tests.data.rasters import pattern, write_geotiff, write_plain_image, write_sparse_huge

BOX = PixelBox(37, 21, 161, 133)


@pytest.mark.parametrize(
    ("count", "dtype"),
    [
        (3, "uint8"),
        (4, "uint8"),
        (4, "uint16"),
        (3, "int16"),
        (3, "float32"),
        (1, "uint8"),
        (1, "float64"),
        (2, "uint16"),
    ],
)
def test_every_band_and_dtype_reads_as_rgb(tmp_path: Path, count: int, dtype: str) -> None:
    data = pattern(count, 200, 240, dtype)
    scene = Scene(write_geotiff(tmp_path / "s.tif", data))
    assert (scene.width, scene.height, scene.count, scene.dtype) == (240, 200, count, dtype)
    full = scene.read()
    assert full.shape == (200, 240, 3) and full.dtype == np.uint8
    assert full.std() > 10, "the stretch must keep the pattern visible"
    # A windowed read equals the same region of the full read, whatever the dtype.
    window = scene.read(BOX)
    np.testing.assert_array_equal(window, full[BOX.y0 : BOX.y1, BOX.x0 : BOX.x1])
    if count < 3:
        assert (full[..., 0] == full[..., 1]).all() and (full[..., 1] == full[..., 2]).all()


def test_rgb_band_order_is_configurable(tmp_path: Path) -> None:
    data = pattern(4, 64, 64, "uint8")
    path = write_geotiff(tmp_path / "rgbn.tif", data)
    default = Scene(path).read()
    false_colour = Scene(path, rgb_bands=(4, 1, 2)).read()
    np.testing.assert_array_equal(default, np.moveaxis(data[:3], 0, -1))
    np.testing.assert_array_equal(false_colour, np.moveaxis(data[[3, 0, 1]], 0, -1))
    with pytest.raises(SceneReadError, match="GEOMAG_RGB_BANDS"):
        Scene(path, rgb_bands=(5, 1, 2))


def test_nodata_and_nan_come_back_black(tmp_path: Path) -> None:
    data = pattern(3, 64, 64, "uint16")
    data[:, :10, :10] = 0
    scene = Scene(write_geotiff(tmp_path / "nd.tif", data, nodata=0))
    image = scene.read()
    assert (image[:10, :10] == 0).all()
    assert image[20:, 20:].max() > 0
    raw = scene.read_raw(PixelBox(0, 0, 20, 20))
    assert raw.mask[:, :10, :10].all() and not raw.mask[:, 15:, 15:].any()

    floats = pattern(3, 64, 64, "float32")
    floats[:, 30:34, 30:34] = np.nan
    image = Scene(write_geotiff(tmp_path / "nan.tif", floats)).read()
    assert (image[30:34, 30:34] == 0).all()


def test_overviews_are_used_for_decimated_reads(tmp_path: Path) -> None:
    data = pattern(3, 1024, 1024, "uint8")
    scene = Scene(write_geotiff(tmp_path / "cog.tif", data, overviews=(2, 4, 8)))
    assert scene.overview_factors == [2, 4, 8]
    image, to_scene = scene.read_overview(max_side=256)
    assert image.shape == (256, 256, 3)
    assert to_scene @ (256, 256) == (1024, 1024)
    np.testing.assert_array_equal(scene.read(BOX), np.moveaxis(data, 0, -1)[21:133, 37:161])


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_plain_images_are_pixel_space_scenes(tmp_path: Path, suffix: str) -> None:
    data = pattern(3, 120, 160, "uint8")
    scene = Scene(write_plain_image(tmp_path / f"plain{suffix}", data))
    assert not scene.is_georeferenced and scene.crs is None
    assert scene.size == (160, 120)
    assert scene.read(BOX.centered(40, 40)).shape == (40, 40, 3)
    if suffix == ".png":  # lossless: exact pixels back
        np.testing.assert_array_equal(scene.read(), np.moveaxis(data, 0, -1))
    for call in (
        lambda: scene.pixel_to_crs([[0, 0]]),
        lambda: scene.pixel_to_wgs84([[0, 0]]),
        lambda: scene.wgs84_to_pixel([[0, 0]]),
        lambda: scene.footprint_wgs84,
    ):
        with pytest.raises(NotGeoreferencedError, match="no CRS"):
            call()
    assert scene.info()["crs"] is None


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_jpeg_or_png_is_decoded_once_and_its_windows_are_gdals_pixels(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JPEG and PNG windows are cut from one decoding: the same pixels GDAL gives a window."""
    path = write_plain_image(tmp_path / f"plain{suffix}", pattern(3, 120, 160, "uint8"))
    cut = Scene(path)
    boxes = [PixelBox(37, 21, 137, 113), PixelBox(60, 40, 100, 80), PixelBox(0, 0, 160, 120)]
    boxes.append(PixelBox(150, 110, 160, 120))
    windows = [cut.read(b) for b in boxes]
    assert cut._whole is not None  # decoded once, kept
    opened: list[bool] = []
    real_open = Scene._open

    def counted(self: Scene, use_overviews: bool) -> Any:
        opened.append(use_overviews)
        return real_open(self, use_overviews)

    monkeypatch.setattr(Scene, "_open", counted)
    for b, window in zip(boxes, windows, strict=True):
        np.testing.assert_array_equal(cut.read(b), window)
    assert opened == []  # every native window came from memory
    monkeypatch.setattr("geomag_core.scene.SEQUENTIAL_DRIVERS", frozenset())
    gdal = Scene(path)
    for b, window in zip(boxes, windows, strict=True):
        np.testing.assert_array_equal(gdal.read(b), window)  # GDAL's own window reads
    assert gdal._whole is None and len(opened) == len(boxes)
    assert cut.read(out_shape=(60, 80)).shape == (60, 80, 3)  # decimated: still GDAL's


def test_only_the_latest_decoded_scenes_keep_their_pixels(tmp_path: Path) -> None:
    """A batch over many JPEGs holds at most ``DECODED_SCENES`` decodings, not one each."""
    data = pattern(3, 40, 50, "uint8")
    scenes = [Scene(write_plain_image(tmp_path / f"s{i}.png", data)) for i in range(6)]
    for scene in scenes:
        scene.read(PixelBox(0, 0, 10, 10))
    kept = [scene._whole is not None for scene in scenes]
    assert kept == [False] * (6 - DECODED_SCENES) + [True] * DECODED_SCENES
    np.testing.assert_array_equal(scenes[0].read(), np.moveaxis(data, 0, -1))  # decoded again
    assert scenes[0]._whole is not None and scenes[6 - DECODED_SCENES]._whole is None


def test_naip_pixel_crs_wgs84_round_trips(naip_tiles: list[Path]) -> None:
    rng = np.random.default_rng(0)
    for path in naip_tiles:
        scene = Scene(path)
        assert scene.crs is not None and scene.crs.to_epsg() == 26914
        assert scene.count == 4
        pts = rng.uniform([0, 0], [scene.width, scene.height], size=(200, 2))
        pts = np.vstack([pts, [[0, 0], [scene.width, scene.height]]])
        crs_xy = scene.pixel_to_crs(pts)
        np.testing.assert_allclose(scene.crs_to_pixel(crs_xy), pts, atol=1e-6)
        lonlat = scene.pixel_to_wgs84(pts)
        back = scene.wgs84_to_pixel(lonlat)
        assert np.abs(back - pts).max() < 0.5, f"{path.name}: round trip off by > half a pixel"
        # Independent check against GDAL's own reprojection.
        lon, lat = warp_transform(scene.crs.to_wkt(), "EPSG:4326", crs_xy[:, 0], crs_xy[:, 1])
        np.testing.assert_allclose(lonlat, np.stack([lon, lat], axis=1), atol=1e-9)
        # The tile lies in North Dakota (UTM 14N, central meridian -99).
        assert (lonlat[:, 0] > -100).all() and (lonlat[:, 0] < -98).all()
        assert (lonlat[:, 1] > 46).all() and (lonlat[:, 1] < 48).all()
        centre = scene.pixel_to_wgs84([[scene.width / 2, scene.height / 2]])[0]
        assert scene.footprint_wgs84.contains(Point(*centre))


def test_naip_pixel_origin_matches_the_geotransform(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    with rasterio.open(sample_scene) as src:
        expected = src.transform @ (0.5, 0.5)
    np.testing.assert_allclose(scene.pixel_to_crs([[0.5, 0.5]])[0], expected)


def test_content_hash_and_acquisition_date(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    assert scene.content_hash == hashlib.sha256(sample_scene.read_bytes()).hexdigest()
    assert scene.acquired == dt.date(2020, 8, 31)


def test_windowed_read_equals_full_read_on_naip(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    full = scene.read()
    box = PixelBox(100, 200, 612, 700)
    np.testing.assert_array_equal(scene.read(box), full[200:700, 100:612])


def test_box_outside_scene_is_refused(sample_scene: Path) -> None:
    scene = Scene(sample_scene)
    with pytest.raises(InvalidBoxError, match="outside the scene"):
        scene.read(PixelBox(0, 0, scene.width + 1, 10))


def _zero_byte(d: Path) -> Path:
    (d / "empty.tif").write_bytes(b"")
    return d / "empty.tif"


def _text_file(d: Path) -> Path:
    (d / "notes.tif").write_text("not an image\n")
    return d / "notes.tif"


def _noise_jpg(d: Path) -> Path:
    (d / "noise.jpg").write_bytes(bytes(range(256)) * 8)
    return d / "noise.jpg"


def _truncated_tif(d: Path) -> Path:
    full = write_geotiff(d / "full.tif", pattern(3, 1024, 1024, "uint8", seed=3))
    return _cut(full, d / "cut.tif")


def _truncated_jpg(d: Path) -> Path:
    full = write_plain_image(d / "full.jpg", pattern(3, 512, 512, "uint8", seed=4))
    return _cut(full, d / "cut.jpg")


def _cut(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 3])
    return dst


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zero-byte": (_zero_byte, "empty"),
    "text": (_text_file, "GDAL"),
    "noise-jpg": (_noise_jpg, "GDAL"),
    "missing": (lambda d: d / "missing.tif", "no such file"),
    "directory": (lambda d: d, "directory"),
    "truncated-tif": (_truncated_tif, "truncated or corrupt"),
    "truncated-jpg": (_truncated_jpg, "truncated or corrupt"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_give_a_clear_error_naming_the_file(tmp_path: Path, case: str) -> None:
    make, reason = BAD_FILES[case]
    path = make(tmp_path)
    with pytest.raises(SceneReadError) as info:
        Scene(path)
    message = str(info.value)
    assert str(path) in message
    assert reason in message


def test_huge_scene_opens_and_serves_windows_in_bounded_memory(tmp_path: Path) -> None:
    """A 20k×20k scene (1.2 GB if read whole) opens and serves windows; the check runs in a
    fresh interpreter so the peak RSS is this work's alone.
    """
    path = write_sparse_huge(tmp_path / "huge.tif")
    code = f"""
import re
from geomag_core.scene import Scene
from geomag_core.boxes import PixelBox
s = Scene({str(path)!r})
assert s.size == (20000, 20000)
w = s.read(PixelBox(10000, 10000, 11024, 11024))
assert w.shape == (1024, 1024, 3) and w.any()
corner = s.read(PixelBox(19488, 19488, 20000, 20000))
assert corner.any()
s.footprint_wgs84
# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's high-water mark.
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    peak_mb = int(out.stdout.strip().splitlines()[-1])
    assert peak_mb < 400, f"peak RSS {peak_mb} MB: the scene was read whole"


def _jpeg_with(tmp_path: Path, name: str, world: str | None) -> Path:
    from PIL import Image

    path = tmp_path / name
    Image.fromarray(np.full((200, 300, 3), 90, dtype=np.uint8)).save(path)
    if world is not None:
        path.with_suffix(".jgw").write_text(world)
    return path


def test_a_world_file_beside_a_jpeg_gives_its_scale_but_no_place(tmp_path: Path) -> None:
    metres = Scene(_jpeg_with(tmp_path, "a.jpg", "0.3\n0\n0\n-0.3\n500000.15\n5200000.15\n"))
    assert not metres.is_georeferenced  # no CRS: nowhere on the ground
    assert metres.world_file_gsd == pytest.approx(0.3)
    assert metres.info()["world_file_gsd_m"] == pytest.approx(0.3)
    degrees = Scene(_jpeg_with(tmp_path, "b.jpg", "0.000003\n0\n0\n-0.000003\n-99.2\n47.1\n"))
    assert degrees.world_file_gsd is None  # a pixel size in degrees is no scale in metres
    assert Scene(_jpeg_with(tmp_path, "c.jpg", None)).world_file_gsd is None


def test_an_aux_xml_with_a_crs_beside_a_jpeg_georeferences_it(tmp_path: Path) -> None:
    from rasterio.shutil import copy

    tif = tmp_path / "t.tif"
    profile = {"driver": "GTiff", "width": 300, "height": 200, "count": 3, "dtype": "uint8"}
    placed = {"crs": "EPSG:32614", "transform": from_origin(500000, 5200000, 0.5, 0.5)}
    with rasterio.open(tif, "w", **profile, **placed) as dst:
        dst.write(np.full((3, 200, 300), 90, dtype=np.uint8))
    copy(tif, tmp_path / "c.jpg", driver="JPEG", WORLDFILE="YES")  # c.wld and c.jpg.aux.xml
    scene = Scene(tmp_path / "c.jpg")
    assert scene.is_georeferenced and scene.crs is not None and scene.crs.to_epsg() == 32614
    assert scene.transform.a == pytest.approx(0.5)
