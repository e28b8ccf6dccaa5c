"""Spectral indices: water (NDWI) and vegetation (NDVI) on scenes with a near-infrared band."""

from geomag_core.spectral.bands import SpectralBands, find_bands, has_nir
from geomag_core.spectral.indices import (
    INDICES,
    NDVI,
    NDWI,
    IndexMap,
    IndexRegions,
    SpectralIndex,
    compute_index,
    index_regions,
    index_share,
    otsu_threshold,
)

__all__ = [
    "INDICES",
    "NDVI",
    "NDWI",
    "IndexMap",
    "IndexRegions",
    "SpectralBands",
    "SpectralIndex",
    "compute_index",
    "find_bands",
    "has_nir",
    "index_regions",
    "index_share",
    "otsu_threshold",
]
