"""Seeded generators of hostile scenes: files whose header declares far more than they hold."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import rasterio

from tests.data.rasters import UTM33_TRANSFORM


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(path: Path, side: int = 30_000, rows: int = 64) -> Path:
    """A PNG whose header declares ``side``×``side`` grey pixels (a decompression bomb).

    Only ``rows`` rows of zeros are stored (the file is a few hundred bytes): a reader that
    trusts the header before checking it allocates ``side²`` bytes or decodes for minutes.
    """
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    data = zlib.compress(b"\0" * ((side + 1) * rows), 9)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
    path.write_bytes(png + _chunk(b"IEND", b""))
    return path


def sparse_tiff(path: Path, side: int = 100_000, seed: int = 0) -> Path:
    """A tiled GeoTIFF declaring ``side``×``side`` px of which one 256² tile holds data."""
    profile = {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 1,
        "dtype": "uint8",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "sparse_ok": True,
        "crs": "EPSG:32633",
        "transform": UTM33_TRANSFORM,
        "BIGTIFF": "YES",
    }
    tile = np.random.default_rng(seed).integers(0, 255, (1, 256, 256), dtype=np.uint8)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(tile, window=rasterio.windows.Window(0, 0, 256, 256))
    return path


def float_nan_scene(path: Path, seed: int = 0) -> Path:
    """A 64² float32 GeoTIFF with NaN as its nodata value and a NaN corner."""
    data = np.random.default_rng(seed).random((1, 64, 64), dtype=np.float32)
    data[:, :8, :8] = np.nan
    profile = {
        "driver": "GTiff",
        "width": 64,
        "height": 64,
        "count": 1,
        "dtype": "float32",
        "nodata": float("nan"),
        "crs": "EPSG:32633",
        "transform": UTM33_TRANSFORM,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path
