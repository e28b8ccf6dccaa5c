"""Seeded generators for the synthetic rasters the tests use (nothing binary is committed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.enums import Resampling

#: A UTM 33N transform with 0.5 m pixels, used for every synthetic georeferenced raster.
UTM33_TRANSFORM = Affine(0.5, 0.0, 400_000.0, 0.0, -0.5, 5_000_000.0)


def pattern(count: int, height: int, width: int, dtype: str, seed: int = 0) -> NDArray[Any]:
    """A band stack with spatial structure (gradients + noise) so that pooling is checkable."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    bands = []
    for b in range(count):
        base = np.sin(xx / (7.0 + b)) + np.cos(yy / (11.0 + 2 * b)) + rng.normal(0, 0.3, xx.shape)
        bands.append((base - base.min()) / (base.max() - base.min()))
    unit = np.stack(bands)
    if dtype == "uint8":
        return (unit * 255).astype(np.uint8)
    if dtype == "uint16":
        return (unit * 4000 + 100).astype(np.uint16)
    if dtype == "int16":
        return (unit * 2000 - 1000).astype(np.int16)
    return (unit * 0.6 - 0.1).astype(dtype)


def write_geotiff(
    path: Path,
    data: NDArray[Any],
    *,
    crs: str | None = "EPSG:32633",
    transform: Affine = UTM33_TRANSFORM,
    nodata: float | None = None,
    tiled: bool = True,
    overviews: tuple[int, ...] = (),
) -> Path:
    """Write a CxHxW array as a (tiled, deflate) GeoTIFF, optionally with overviews."""
    count, height, width = data.shape
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": str(data.dtype),
        "compress": "deflate",
        "nodata": nodata,
    }
    if count >= 4:  # bands past RGB are measurements (NIR), not alpha: store them as NAIP does
        profile["photometric"] = "minisblack"
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if overviews:
            dst.build_overviews(list(overviews), Resampling.average)
    return path


def write_plain_image(path: Path, data: NDArray[np.uint8]) -> Path:
    """Write a 3xHxW uint8 array as a plain JPEG or PNG (by suffix), with no georeferencing."""
    from PIL import Image

    Image.fromarray(np.moveaxis(data, 0, -1)).save(path, quality=95)
    return path


def write_sparse_huge(path: Path, size: int = 20_000) -> Path:
    """A ``size``×``size`` 3-band tiled GeoTIFF of which only a few tiles hold data (fast to
    make, tiny on disk, but the full raster would need ``3 * size**2`` bytes to read whole).
    """
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": UTM33_TRANSFORM,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "sparse_ok": True,
    }
    with rasterio.open(path, "w", **profile) as dst:
        block = pattern(3, 512, 512, "uint8", seed=7)
        for col, row in ((0, 0), (size // 2, size // 2), (size - 512, size - 512)):
            dst.write(block, window=rasterio.windows.Window(col, row, 512, 512))
    return path


def pool(data: NDArray[Any], k: int) -> NDArray[np.float64]:
    """Reference k×k stride-k average pooling of an HxWxC array (remainder dropped)."""
    h, w = data.shape[0] // k, data.shape[1] // k
    cropped = data[: h * k, : w * k].astype(np.float64)
    return cropped.reshape(h, k, w, k, -1).mean(axis=(1, 3))


def land_cover_rgbn(seed: int = 0) -> tuple[NDArray[np.uint8], dict[str, int]]:
    """A 4-band R, G, B, NIR uint8 stack (120×100) with known water and vegetation pixels.

    Background is bare soil (all bands 100: both indices 0). Water: a 30×20 rectangle and an
    L-shaped pond of 60 pixels (green 80, NIR 20: NDWI 0.6), plus one 1-pixel speck. Vegetation:
    a 40×10 strip (red 30, green 60, NIR 150: NDVI 0.67, NDWI −0.43). Low noise (±3) never
    crosses a threshold. Returns the stack and the exact pixel counts.
    """
    rng = np.random.default_rng(seed)
    data = np.full((4, 120, 100), 100, dtype=np.int16)
    water = np.zeros((120, 100), dtype=bool)
    water[10:30, 10:40] = True  # 600 px
    water[60:70, 60:64] = True  # L-shape: 40 + 20 = 60 px
    water[66:70, 64:69] = True
    speck = (100, 90)
    vegetation = np.zeros((120, 100), dtype=bool)
    vegetation[90:100, 5:45] = True  # 400 px
    for mask, (r, g, b, n) in ((water, (40, 80, 60, 20)), (vegetation, (30, 60, 40, 150))):
        for band, value in enumerate((r, g, b, n)):
            data[band][mask] = value
    for band, value in enumerate((40, 80, 60, 20)):
        data[band][speck] = value
    data += rng.integers(-3, 4, size=data.shape).astype(np.int16)
    counts = {"water": int(water.sum()), "vegetation": int(vegetation.sum()), "water_regions": 2}
    return data.clip(0, 255).astype(np.uint8), counts


def write_tiled_copy(source: Path, path: Path, times: int = 2) -> Path:
    """``source`` (a real GeoTIFF) tiled ``times`` × ``times``: its pixels, CRS and pixel size,
    a scene large enough that nano's overview can save pixels on it (the 934-px sample is read
    whole)."""
    with rasterio.open(source) as src:
        pixels, profile = src.read(), src.profile
    tiled = np.tile(pixels, (1, times, times))
    profile |= {"width": tiled.shape[2], "height": tiled.shape[1], "tiled": False}
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(tiled)
    return path
