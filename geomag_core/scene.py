"""Scenes: GeoTIFF or plain JPEG/PNG rasters, read lazily by window, with exact georeferencing.

Frames used here:

* **scene pixels** — continuous ``(x, y)``: x = column, y = row, origin at the top-left corner of
  the top-left pixel (pixel centres sit at ``+0.5``). Boxes are :class:`PixelBox` (XYXY).
* **scene CRS** — the raster's own CRS; ``Scene.transform`` maps scene pixels to it.
* **WGS84** — ``(lon, lat)`` in degrees (EPSG:4326, always x=lon, y=lat).

A scene is never read whole unless asked: reads are windowed or decimated, and the dataset is
opened per read, so a :class:`Scene` holds no file handle and is cheap to keep around.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from rasterio.enums import Resampling
from rasterio.errors import NodataShadowWarning, NotGeoreferencedWarning, RasterioError
from rasterio.io import DatasetReader
from rasterio.windows import Window
from shapely.geometry import Polygon

from geomag_core.boxes import PixelBox
from geomag_core.errors import NotGeoreferencedError, SceneReadError

__all__ = ["DEFAULT_MAX_PIXELS", "GDAL_CACHE_MB", "Scene", "check_scene_file", "confine_scene"]

#: GDAL's block cache, in MB, unless ``GDAL_CACHEMAX`` is set. GDAL's own default is 5 % of the
#: machine's memory (1.2 GB on 24 GB), which a decimated read of a large scene without overviews
#: fills: memory then grows with the scene instead of with the views and windows read.
GDAL_CACHE_MB = 256
os.environ.setdefault("GDAL_CACHEMAX", str(GDAL_CACHE_MB))

#: Largest scene opened unless told otherwise (``GEOMAG_MAX_SCENE_PIXELS``): 500 megapixels,
#: e.g. 22,360² px; a 20,000² scene fits, a 30,000² decompression-bomb PNG does not.
DEFAULT_MAX_PIXELS = 500_000_000

#: Formats GDAL cannot read a window of without decoding the image from its start: each window
#: of a search decoded the whole file again (about 30 ms a window on a 2,560² airport JPEG, 40 %
#: of nano's search there). A scene in one of them is decoded once, on its first native-size
#: read, when its pixels take at most ``WHOLE_DECODE_MAX_BYTES``; windows are then cut from
#: memory (the same decoder's pixels). Decimated reads still go to GDAL.
SEQUENTIAL_DRIVERS = frozenset({"JPEG", "PNG"})
WHOLE_DECODE_MAX_BYTES = 64 * 2**20
#: Scenes whose decoded pixels are kept, the most recently decoded (a batch over thousands of
#: JPEGs, or an app that keeps every scene it opened, holds at most this many decodings).
DECODED_SCENES = 4
_decoded: OrderedDict[int, Scene] = OrderedDict()
WGS84 = CRS.from_epsg(4326)
_STRETCH_PERCENTILES = (2.0, 98.0)
_DATE_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
RGBImage = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class _BandStretch:
    """Per-band linear map ``(value - low) / (high - low) * 255`` used for non-uint8 rasters."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]


class Scene:
    """One raster scene. Open with ``Scene(path)``; errors name the file and say what is wrong.

    Args:
        path: GeoTIFF (any band count; uint8, uint16, int, float; nodata; tiled/COG/overviews),
            or a plain JPEG/PNG, which becomes a pixel-space scene with no CRS.
        rgb_bands: 1-based band numbers shown as R, G, B when the raster has 3 or more bands
            (e.g. ``(1, 2, 3)`` for RGBN NAIP, ``(4, 3, 2)`` for a Sentinel-2 stack). Rasters with
            fewer than 3 bands are shown as grey from band 1.
        max_pixels: the largest ``width × height`` accepted; checked from the header before
            any pixel is decoded, so a crafted file declaring a huge size costs nothing.

    """

    def __init__(
        self,
        path: str | Path,
        *,
        rgb_bands: tuple[int, int, int] = (1, 2, 3),
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.path = Path(path)
        self._whole: tuple[NDArray[Any], NDArray[np.bool_]] | None = None
        self._check_file()
        try:
            with _pixel_space_quiet(), rasterio.open(self.path) as src:
                self._load_metadata(src)
                self._check_size(max_pixels)
                self._probe(src)
        except RasterioError as exc:
            raise SceneReadError(self.path, _gdal_reason(exc)) from exc
        if self.count >= 3:
            bad = [b for b in rgb_bands if b > self.count]
            if bad:
                raise SceneReadError(
                    self.path,
                    f"rgb_bands {rgb_bands} name band(s) {bad} but the raster has {self.count}; "
                    "set GEOMAG_RGB_BANDS to three band numbers between 1 and "
                    f"{self.count}",
                )
            self.rgb_bands: tuple[int, ...] = tuple(rgb_bands)
        else:
            self.rgb_bands = (1, 1, 1)

    def _check_file(self) -> None:
        check_scene_file(self.path)

    def _check_size(self, max_pixels: int) -> None:
        pixels = self.width * self.height
        if pixels > max_pixels:
            raise SceneReadError(
                self.path,
                f"it declares {self.width:,} × {self.height:,} = {pixels:,} px, over the limit "
                f"of {max_pixels:,} px (GEOMAG_MAX_SCENE_PIXELS); "
                "crop or tile it, or raise the limit",
            )

    # ------------------------------------------------------------------ metadata
    def _load_metadata(self, src: DatasetReader) -> None:
        if src.count < 1:
            raise SceneReadError(self.path, "the raster has no bands")
        self.width: int = src.width
        self.height: int = src.height
        self.count: int = src.count
        self.dtype: str = src.dtypes[0]
        self.driver: str = src.driver
        self.nodata: float | None = src.nodata
        self.overview_factors: list[int] = src.overviews(1)
        self.crs: CRS | None = CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
        self.transform: Affine = src.transform if self.crs else Affine.identity()
        # A world file (.jgw/.pgw/.tfw/.wld) without a CRS (.aux.xml) places nothing on the
        # ground, but it says how large a pixel is: kept for the scale (``world_file_gsd``).
        self.world_transform: Affine | None = (
            src.transform if self.crs is None and not src.transform.is_identity else None
        )
        self.tags: dict[str, str] = dict(src.tags())

    def _probe(self, src: DatasetReader) -> None:
        """Read the first and the last pixel so a truncated file fails now, not mid-analysis."""
        for col, row in ((0, 0), (src.width - 1, src.height - 1)):
            src.read(1, window=Window(col, row, 1, 1))

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return (self.width, self.height)

    @property
    def world_file_gsd(self) -> float | None:
        """Metres per pixel from a world file beside a scene without a CRS, else ``None``.

        A world file has no units: its pixel size is taken as metres when it is one a sensor
        gives (1 cm to 1 km); a size in degrees (~1e-5) is no scale and gives ``None``.
        """
        t = self.world_transform
        if t is None:
            return None
        size = math.sqrt(abs(t.a * t.e - t.b * t.d))
        return size if 0.01 <= size <= 1000.0 else None

    @property
    def is_georeferenced(self) -> bool:
        """Whether the scene has a CRS (else it is a pixel-space scene)."""
        return self.crs is not None

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the file's bytes (hex), read in chunks."""
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(4 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @cached_property
    def acquired(self) -> dt.date | None:
        """Acquisition date from the raster's tags, else a ``YYYYMMDD`` token in the file name."""
        for key in ("ACQUISITIONDATETIME", "ACQUISITION_DATE", "TIFFTAG_DATETIME"):
            if key in self.tags:
                found = _DATE_IN_NAME.search(re.sub(r"[-:]", "", self.tags[key]))
                if found and (date := _valid_date(*found.groups())):
                    return date
        for match in _DATE_IN_NAME.finditer(self.path.stem):
            if date := _valid_date(*match.groups()):
                return date
        return None

    @cached_property
    def footprint_wgs84(self) -> Polygon:
        """The scene outline in WGS84 (lon, lat), edges densified to follow the projection."""
        self._require_crs("a WGS84 footprint")
        steps = np.linspace(0.0, 1.0, 21)
        w, h = float(self.width), float(self.height)
        ring = np.concatenate(
            [
                np.stack([steps * w, np.zeros_like(steps)], axis=1),
                np.stack([np.full_like(steps, w), steps * h], axis=1),
                np.stack([(1 - steps) * w, np.full_like(steps, h)], axis=1),
                np.stack([np.zeros_like(steps), (1 - steps) * h], axis=1),
            ]
        )
        return Polygon(self.pixel_to_wgs84(ring))

    def info(self) -> dict[str, Any]:
        """A JSON-ready summary (for ``geomag scene`` and provenance records)."""
        out: dict[str, Any] = {
            "path": str(self.path),
            "driver": self.driver,
            "width": self.width,
            "height": self.height,
            "bands": self.count,
            "dtype": self.dtype,
            "rgb_bands": list(self.rgb_bands),
            "nodata": self.nodata,
            "overviews": self.overview_factors,
            "crs": self.crs.to_string() if self.crs else None,
            "transform": list(self.transform)[:6],
            "acquired": self.acquired.isoformat() if self.acquired else None,
            "sha256": self.content_hash,
        }
        if self.crs:
            out["footprint_wgs84"] = self.footprint_wgs84.wkt
        elif self.world_transform is not None:
            out["world_file_transform"] = list(self.world_transform)[:6]
            out["world_file_gsd_m"] = self.world_file_gsd
        return out

    # ------------------------------------------------------------------ coordinates
    def pixel_to_crs(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Nx2 scene pixels ``(x, y)`` → Nx2 coordinates in the scene CRS."""
        self._require_crs("pixel → CRS conversion")
        return _apply_affine(self.transform, xy)

    def crs_to_pixel(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Nx2 coordinates in the scene CRS → Nx2 scene pixels ``(x, y)`` (continuous)."""
        self._require_crs("CRS → pixel conversion")
        return _apply_affine(~self.transform, xy)

    def crs_to_wgs84(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Nx2 coordinates in the scene CRS → Nx2 ``(lon, lat)``."""
        self._require_crs("CRS → WGS84 conversion")
        return _apply_transformer(self._to_wgs84, xy)

    def wgs84_to_crs(self, lonlat: ArrayLike) -> NDArray[np.float64]:
        """Nx2 ``(lon, lat)`` → Nx2 coordinates in the scene CRS."""
        self._require_crs("WGS84 → CRS conversion")
        return _apply_transformer(self._from_wgs84, lonlat)

    def pixel_to_wgs84(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Nx2 scene pixels ``(x, y)`` → Nx2 ``(lon, lat)``."""
        return self.crs_to_wgs84(self.pixel_to_crs(xy))

    def wgs84_to_pixel(self, lonlat: ArrayLike) -> NDArray[np.float64]:
        """Nx2 ``(lon, lat)`` → Nx2 scene pixels ``(x, y)`` (continuous)."""
        return self.crs_to_pixel(self.wgs84_to_crs(lonlat))

    @cached_property
    def _to_wgs84(self) -> Transformer:
        return Transformer.from_crs(self.crs, WGS84, always_xy=True)

    @cached_property
    def _from_wgs84(self) -> Transformer:
        return Transformer.from_crs(WGS84, self.crs, always_xy=True)

    def _require_crs(self, operation: str) -> None:
        if self.crs is None:
            raise NotGeoreferencedError(self.path, operation)

    # ------------------------------------------------------------------ pixels
    def read(
        self,
        box: PixelBox | None = None,
        out_shape: tuple[int, int] | None = None,
        *,
        use_overviews: bool = True,
    ) -> RGBImage:
        """Read ``box`` (default: the whole scene) as an HxWx3 uint8 RGB image.

        Args:
            box: region in scene pixels (XYXY); must lie inside the scene.
            out_shape: ``(height, width)`` of the result; default the box's native size.
                Smaller shapes are area-averaged (GDAL ``average`` resampling).
            use_overviews: let GDAL answer decimated reads from overviews (fast, the overview's
                own resampling). ``False`` forces averaging of the native pixels, which is what
                TMRA's pooling ``D`` means.

        Nodata (and NaN) pixels come back black; a nodata value takes precedence over an
        alpha band, else alpha (or an internal mask) decides. Non-uint8 data is stretched per
        band between the scene's 2nd and 98th percentiles, the same for every read of a scene.

        """
        data, valid = self._read_bands(self.rgb_bands, box, out_shape, use_overviews)
        rgb = self._to_uint8(data)
        rgb[:, ~valid] = 0
        return np.ascontiguousarray(np.moveaxis(rgb, 0, -1))

    def read_overview(self, max_side: int = 1024) -> tuple[RGBImage, Affine]:
        """The whole scene decimated so its longer side is at most ``max_side``.

        Returns the HxWx3 image and the affine map from its pixels to scene pixels.
        """
        scale = max(self.width, self.height) / max_side
        if scale <= 1:
            return self.read(), Affine.identity()
        shape = (max(1, round(self.height / scale)), max(1, round(self.width / scale)))
        image = self.read(out_shape=shape)
        return image, Affine.scale(self.width / shape[1], self.height / shape[0])

    def read_raw(
        self,
        box: PixelBox | None = None,
        bands: tuple[int, ...] | None = None,
        out_shape: tuple[int, int] | None = None,
    ) -> np.ma.MaskedArray[Any, Any]:
        """Values of ``bands`` (default all) in ``box`` as a CxHxW masked array.

        Native unless ``out_shape`` (``(height, width)``) asks for an area-averaged decimation.
        """
        bands = bands or tuple(range(1, self.count + 1))
        data, valid = self._read_bands(bands, box, out_shape, True)
        return np.ma.MaskedArray(data, mask=np.broadcast_to(~valid, data.shape))

    def _read_bands(
        self,
        bands: tuple[int, ...],
        box: PixelBox | None,
        out_shape: tuple[int, int] | None,
        use_overviews: bool,
    ) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        box = (box or PixelBox(0, 0, self.width, self.height)).check_inside(self.width, self.height)
        window = Window(box.x0, box.y0, box.width, box.height)
        shape = out_shape or (box.height, box.width)
        if tuple(shape) == (box.height, box.width) and self._decodes_whole:
            return self._cut(bands, box)
        unique = tuple(dict.fromkeys(bands))
        with self._open(use_overviews) as src:
            data = src.read(
                list(unique),
                window=window,
                out_shape=(len(unique), *shape),
                resampling=Resampling.average,
            )
            with warnings.catch_warnings():
                # A nodata value wins over an alpha band; that is the documented behaviour.
                warnings.simplefilter("ignore", NodataShadowWarning)
                mask = src.read_masks(
                    1, window=window, out_shape=shape, resampling=Resampling.nearest
                )
        data = data[[unique.index(b) for b in bands]]
        valid = mask > 0
        if np.issubdtype(data.dtype, np.floating):
            valid &= np.isfinite(data).all(axis=0)
        return data, valid

    @property
    def _decodes_whole(self) -> bool:
        """Whether native reads are cut from one decoding (see :data:`SEQUENTIAL_DRIVERS`)."""
        itemsize = np.dtype(self.dtype).itemsize
        size = self.width * self.height * (self.count * itemsize + 1)
        return self.driver in SEQUENTIAL_DRIVERS and size <= WHOLE_DECODE_MAX_BYTES

    def _cut(self, bands: tuple[int, ...], box: PixelBox) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        """``bands`` and validity in ``box``, from the scene decoded once."""
        whole = self._whole
        if whole is None:  # (two threads may both decode: same pixels, one kept)
            with self._open(True) as src:
                data = src.read()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", NodataShadowWarning)
                    mask = src.read_masks(1)
            valid = mask > 0
            if np.issubdtype(data.dtype, np.floating):
                valid &= np.isfinite(data).all(axis=0)
            whole = self._whole = (data, valid)
            _decoded[id(self)] = self
            while len(_decoded) > DECODED_SCENES:
                _decoded.popitem(last=False)[1]._whole = None
        data, valid = whole
        rows, cols = slice(box.y0, box.y1), slice(box.x0, box.x1)
        return data[[b - 1 for b in bands], rows, cols], valid[rows, cols].copy()

    @contextmanager
    def _open(self, use_overviews: bool) -> Iterator[DatasetReader]:
        options = {} if use_overviews else {"OVERVIEW_LEVEL": "NONE"}
        try:
            with _pixel_space_quiet(), rasterio.open(self.path, **options) as src:
                yield src
        except RasterioError as exc:
            raise SceneReadError(self.path, _gdal_reason(exc)) from exc

    def _to_uint8(self, data: NDArray[Any]) -> NDArray[np.uint8]:
        if data.dtype == np.uint8:
            return data.copy()
        stretch = self._stretch
        idx = [b - 1 for b in self.rgb_bands]
        low = stretch.low[idx][:, None, None]
        span = np.maximum(stretch.high[idx] - stretch.low[idx], 1e-12)[:, None, None]
        scaled = (np.nan_to_num(data.astype(np.float64)) - low) / span * 255.0
        return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)

    @cached_property
    def _stretch(self) -> _BandStretch:
        """Per-band percentiles of valid pixels, from a ≤1024-px decimated read."""
        scale = max(1.0, max(self.width, self.height) / 1024)
        shape = (max(1, int(self.height / scale)), max(1, int(self.width / scale)))
        bands = tuple(range(1, self.count + 1))
        data, valid = self._read_bands(bands, None, shape, True)
        lows, highs = [], []
        for band in data:
            values = band[valid].astype(np.float64)
            values = values[np.isfinite(values)]
            if values.size == 0:
                lows.append(0.0)
                highs.append(1.0)
                continue
            low, high = np.percentile(values, _STRETCH_PERCENTILES)
            lows.append(float(low))
            highs.append(float(high) if high > low else float(low) + 1.0)
        return _BandStretch(np.array(lows), np.array(highs))

    def __repr__(self) -> str:
        crs = self.crs.to_string() if self.crs else "no CRS"
        shape = f"{self.width}x{self.height}x{self.count} {self.dtype}"
        return f"Scene({str(self.path)!r}, {shape}, {crs})"


def check_scene_file(path: Path) -> None:
    """Refuse, before a byte is read, what is not a non-empty regular file.

    A FIFO would block a reader forever and ``/dev/zero`` never ends, so both are refused here,
    as are folders, symbolic link loops and links that lead nowhere.

    Raises:
        SceneReadError: the path names no file that can be read as a scene, and why.

    """
    try:
        if not path.exists():
            if path.is_symlink():
                raise SceneReadError(
                    path, "it is a symbolic link that leads nowhere (a loop or a missing target)"
                )
            raise SceneReadError(path, "no such file")
        if path.is_dir():
            raise SceneReadError(path, "it is a directory, not a raster file")
        if not path.is_file():
            raise SceneReadError(path, "it is not a regular file (a device, FIFO or socket)")
        if path.stat().st_size == 0:
            raise SceneReadError(path, "the file is empty (0 bytes)")
    except OSError as exc:
        raise SceneReadError(path, exc.strerror or str(exc)) from exc


def confine_scene(path: str | Path, folders: Sequence[Path], files: Sequence[Path] = ()) -> Path:
    """``path`` resolved, if it lies under one of ``folders`` or is one of ``files``.

    The check is on the resolved path (symbolic links followed), before anything is read, so a
    refused path says nothing about whether the file exists.

    Raises:
        SceneReadError: the path leads outside the folders, or cannot be resolved (a loop).

    """
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError on a loop
        raise SceneReadError(path, "it is a symbolic link loop") from exc
    allowed_files = {_resolved(f) for f in files}
    if resolved in allowed_files:
        return resolved
    for folder in folders:
        root = _resolved(folder)
        if root is not None and resolved.is_relative_to(root):
            return resolved
    shown = ", ".join(str(f) for f in folders)
    raise SceneReadError(
        path,
        f"it is outside the scene folders ({shown}); put it in GEOMAG_SCENES_DIR or upload it",
    )


def _resolved(path: Path) -> Path | None:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):
        return None


@contextmanager
def _pixel_space_quiet() -> Iterator[None]:
    """Silence GDAL's "no geotransform" warning: a JPEG/PNG is a pixel-space scene by design."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def _apply_affine(transform: Affine, xy: ArrayLike) -> NDArray[np.float64]:
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    a, b, c, d, e, f = list(transform)[:6]
    x, y = pts[:, 0], pts[:, 1]
    return np.stack([a * x + b * y + c, d * x + e * y + f], axis=1)


def _apply_transformer(transformer: Transformer, xy: ArrayLike) -> NDArray[np.float64]:
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    x, y = transformer.transform(pts[:, 0], pts[:, 1])
    return np.stack([np.asarray(x), np.asarray(y)], axis=1)


def _valid_date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _gdal_reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "not recognized as" in text or "not a supported file format" in text:
        return "not a raster format GDAL can read (expected GeoTIFF, JPEG or PNG)"
    if "Read failed" in text or "TIFFRead" in text or "IReadBlock" in text:
        return f"the file is truncated or corrupt ({text})"
    return text
