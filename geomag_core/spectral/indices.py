"""Water from NDWI and vegetation from NDVI: index maps, thresholds, regions as polygons.

- **NDWI** (McFeeters 1996) = (green − NIR) / (green + NIR). Open water reflects more green than
  near-infrared; land the other way round.
- **NDVI** = (NIR − red) / (NIR + red). Green leaves reflect strongly in the near-infrared.

Both are computed on the scene's digital numbers (NAIP and most aerial products are not
calibrated to reflectance), so the fixed thresholds are stated, not universal: water
NDWI > 0.2, vegetation NDVI > 0.3. They were chosen by eye on three of the ten NAIP dates
(2010, 2015, 2020) — the project has no labelled water or vegetation masks to fit or score them
on. ``threshold="otsu"`` uses the scene's own Otsu split of the index histogram instead (it
follows the scene, but on a scene without a clear bimodal histogram it splits land in two).

Regions smaller than a stated minimum area are specks and dropped: 100 m² for water and 400 m²
for vegetation on a georeferenced scene (4 and 16 pixels at NAIP's 5 m), 16 pixels without a
CRS. A scene larger than ``max_pixels`` is measured on an area-averaged decimation (the regions
say so through ``scale``). Each region's confidence is the share of its pixels clearly past the
threshold (by ≥ 0.1), so a region made of borderline pixels scores low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage
from shapely.affinity import scale as scale_geometry
from shapely.geometry import shape

from geomag_core.polygons.grounded import GroundedPolygon, ground_components
from geomag_core.polygons.vectorize import PixelComponent
from geomag_core.scene import Scene
from geomag_core.spectral.bands import SpectralBands, find_bands

__all__ = [
    "INDICES",
    "NDVI",
    "NDWI",
    "IndexMap",
    "IndexRegions",
    "SpectralIndex",
    "compute_index",
    "index_regions",
    "index_share",
    "otsu_threshold",
]

#: Components of fewer pixels than this are specks on a scene without a CRS.
MIN_PIXELS_NO_CRS = 16
#: A pixel "clearly" past the threshold is at least this far beyond it (region confidence).
CLEAR_MARGIN = 0.1
#: Largest index map computed at once; larger scenes are decimated to about this many pixels.
MAX_PIXELS = 16_000_000
#: At most this many regions are returned (largest first); the rest are counted.
MAX_REGIONS = 500

Threshold = float | Literal["otsu"] | None


@dataclass(frozen=True)
class SpectralIndex:
    """A normalised-difference index and the land cover it marks.

    Attributes:
        name: short name (``ndwi``, ``ndvi``).
        subject: what it marks, also the stored label (``water``, ``vegetation``).
        formula: the formula, for answers and provenance.
        plus: band role in the numerator's positive term (``green``, ``nir``, ``red``).
        minus: band role subtracted.
        threshold: the stated fixed threshold (index values above it are the subject).
        min_area_m2: regions smaller than this are specks (georeferenced scenes).
        version: bumped when the method changes (stored as the model version).

    """

    name: str
    subject: str
    formula: str
    plus: str
    minus: str
    threshold: float
    min_area_m2: float
    version: str = "1"

    def method(self, threshold: float, how: str) -> str:
        """The method as stored in provenance, e.g. ``ndwi>0.20 (fixed) v1``."""
        return f"{self.name}>{threshold:.2f} ({how}) v{self.version}"


NDWI = SpectralIndex("ndwi", "water", "(green − NIR) / (green + NIR)", "green", "nir", 0.2, 100.0)
NDVI = SpectralIndex("ndvi", "vegetation", "(NIR − red) / (NIR + red)", "nir", "red", 0.3, 400.0)
#: Subject → index.
INDICES: dict[str, SpectralIndex] = {i.subject: i for i in (NDWI, NDVI)}


@dataclass(frozen=True)
class IndexMap:
    """An index over the whole scene, possibly decimated.

    Attributes:
        index: which index.
        values: ``(H, W)`` float32; NaN where a band is nodata or both bands are 0.
        scale: scene pixels per map pixel along each axis (1.0 = native).
        bands: the bands used.

    """

    index: SpectralIndex
    values: NDArray[np.float32] = field(repr=False)
    scale: float
    bands: SpectralBands


@dataclass(frozen=True)
class IndexRegions:
    """The regions where an index passes its threshold.

    Attributes:
        index: which index.
        threshold: the threshold used.
        threshold_method: ``fixed``, ``given`` or ``otsu``.
        regions: polygons, largest first, at most :data:`MAX_REGIONS`.
        more: regions beyond :data:`MAX_REGIONS` (not returned).
        specks: components dropped for being under ``min_pixels``.
        min_pixels: the speck limit in map pixels.
        scale: scene pixels per map pixel (1.0 = native resolution).
        valid_pixels: map pixels with a value.
        above_pixels: map pixels past the threshold, specks included.
        bands: the bands used.

    """

    index: SpectralIndex
    threshold: float
    threshold_method: str
    regions: list[GroundedPolygon]
    more: int
    specks: int
    min_pixels: int
    scale: float
    valid_pixels: int
    above_pixels: int
    bands: SpectralBands

    @property
    def method(self) -> str:
        """Provenance string of the method and threshold."""
        return self.index.method(self.threshold, self.threshold_method)


def _role(bands: SpectralBands, role: str) -> int:
    return {"red": bands.red, "green": bands.green, "nir": bands.nir}[role]


def compute_index(
    scene: Scene,
    index: SpectralIndex,
    *,
    nir_band: int | None = None,
    max_pixels: int = MAX_PIXELS,
) -> IndexMap:
    """``index`` over ``scene`` (decimated to about ``max_pixels`` when larger).

    Raises:
        MissingBandError: the scene has no near-infrared band.

    """
    bands = find_bands(scene, nir_band)
    factor = max(1.0, math.sqrt(scene.width * scene.height / max_pixels))
    shape_out = None
    if factor > 1:
        shape_out = (max(1, round(scene.height / factor)), max(1, round(scene.width / factor)))
    raw = scene.read_raw(
        bands=(_role(bands, index.plus), _role(bands, index.minus)), out_shape=shape_out
    )
    a = raw.data[0].astype(np.float32)
    b = raw.data[1].astype(np.float32)
    total = a + b
    invalid = np.ma.getmaskarray(raw).any(axis=0) | (total == 0) | ~np.isfinite(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(invalid, np.nan, (a - b) / np.where(total == 0, 1, total))
    scale = scene.width / values.shape[1]
    return IndexMap(index=index, values=values.astype(np.float32), scale=scale, bands=bands)


def otsu_threshold(values: NDArray[np.floating], bins: int = 256) -> float:
    """Otsu's threshold of the finite ``values`` (in ``[-1, 1]``).

    The split with the largest between-class variance. Raises ``ValueError`` when there are no
    finite values.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("no valid pixels to threshold")
    counts, edges = np.histogram(finite, bins=bins, range=(-1.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts).astype(np.float64)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centres[int(np.argmax(between))])


def _pixel_area_m2(scene: Scene, scale: float) -> float | None:
    """Ground area of one map pixel in m² (``None`` without a CRS)."""
    if scene.crs is None:
        return None
    t = scene.transform
    det = abs(t.a * t.e - t.b * t.d) * scale * scale
    if scene.crs.is_projected:
        factor = scene.crs.axis_info[0].unit_conversion_factor if scene.crs.axis_info else 1.0
        return det * factor * factor
    # geographic: degrees² at the scene centre
    lat = float(scene.pixel_to_wgs84([(scene.width / 2, scene.height / 2)])[0][1])
    metres = 111_320.0
    return det * metres * metres * math.cos(math.radians(lat))


def index_share(
    scene: Scene, index: SpectralIndex, *, nir_band: int | None = None, max_pixels: int = MAX_PIXELS
) -> float:
    """Share of the scene's valid pixels past ``index``'s fixed threshold (specks included).

    The number :func:`index_regions` reports as ``above_pixels / valid_pixels``, without
    building its polygons (for a scene description).

    Raises:
        MissingBandError: the scene has no near-infrared band.

    """
    values = compute_index(scene, index, nir_band=nir_band, max_pixels=max_pixels).values
    valid = np.isfinite(values)
    return float((valid & (values > index.threshold)).sum() / max(int(valid.sum()), 1))


def index_regions(
    scene: Scene,
    index: SpectralIndex,
    *,
    threshold: Threshold = None,
    nir_band: int | None = None,
    max_pixels: int = MAX_PIXELS,
    max_regions: int = MAX_REGIONS,
) -> IndexRegions:
    """The regions of ``scene`` where ``index`` is above the threshold, as grounded polygons.

    Args:
        scene: the scene (must have a near-infrared band).
        index: :data:`NDWI` or :data:`NDVI`.
        threshold: ``None`` for the index's stated fixed threshold, a number, or ``"otsu"``.
        nir_band: the NIR band number if known (``GEOMAG_NIR_BAND``).
        max_pixels: decimate scenes larger than this.
        max_regions: return at most this many regions (largest first).

    Raises:
        MissingBandError: the scene has no near-infrared band.

    """
    imap = compute_index(scene, index, nir_band=nir_band, max_pixels=max_pixels)
    values = imap.values
    if threshold is None:
        cut, how = index.threshold, "fixed"
    elif threshold == "otsu":
        cut, how = otsu_threshold(values), "otsu"
    else:
        cut, how = float(threshold), "given"
    valid = np.isfinite(values)
    above = valid & (values > cut)
    pixel_m2 = _pixel_area_m2(scene, imap.scale)
    if pixel_m2 is None:
        min_pixels = MIN_PIXELS_NO_CRS
    else:
        min_pixels = max(1, math.ceil(index.min_area_m2 / pixel_m2 - 1e-9))
    labels, count = ndimage.label(above, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_pixels
    keep[0] = False
    specks = int(count - keep[1:].sum())
    order = [int(k) for k in np.argsort(-sizes) if keep[k]]
    chosen = order[:max_regions]
    clear = np.bincount(
        labels.ravel(), weights=(valid & (values > cut + CLEAR_MARGIN)).ravel(), minlength=count + 1
    )
    wanted = np.zeros(count + 1, dtype=bool)
    wanted[chosen] = True
    kept = np.where(wanted[labels], labels, 0).astype(np.int32)
    components: dict[int, PixelComponent] = {}
    for geojson, value in features.shapes(kept, mask=kept > 0, connectivity=8):
        k = int(value)
        geometry = shape(geojson)
        if imap.scale != 1.0:
            geometry = scale_geometry(geometry, imap.scale, imap.scale, origin=(0, 0))
        pixels = round(int(sizes[k]) * imap.scale * imap.scale)
        if k in components:  # one label split by shapes into touching parts: merge
            merged = components[k].geometry.union(geometry)
            components[k] = PixelComponent(merged, pixels)
        else:
            components[k] = PixelComponent(geometry, pixels)
    confidences = {k: float(clear[k] / max(sizes[k], 1)) for k in components}
    regions = ground_components(
        scene,
        [components[k] for k in chosen if k in components],
        label=index.subject,
        confidences=[round(confidences[k], 4) for k in chosen if k in components],
    )
    return IndexRegions(
        index=index,
        threshold=cut,
        threshold_method=how,
        regions=regions,
        more=max(0, len(order) - len(chosen)),
        specks=specks,
        min_pixels=min_pixels,
        scale=imap.scale,
        valid_pixels=int(valid.sum()),
        above_pixels=int(above.sum()),
        bands=imap.bands,
    )
