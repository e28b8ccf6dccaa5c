"""Which band of a scene is red, green and near-infrared.

Red and green are the first two of the scene's RGB bands (``GEOMAG_RGB_BANDS``). The
near-infrared band is, in this order: ``GEOMAG_NIR_BAND`` when set; a band whose description
names it (``nir``, ``near infrared``, ``B8``…); else, for a 4-band raster shown as bands 1–3 whose
4th band is not alpha, band 4 (the R, G, B, NIR order of NAIP and most aerial 4-band products),
recorded as an assumption. Anything else has no NIR band, and the spectral indices say so.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import rasterio
from rasterio.enums import ColorInterp
from rasterio.errors import NotGeoreferencedWarning

from geomag_core.errors import MissingBandError
from geomag_core.scene import Scene

__all__ = ["SpectralBands", "find_bands", "has_nir"]

_NIR_NAME = re.compile(r"\b(nir|near[\s_-]*infra[\s_-]*red|b0?8a?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SpectralBands:
    """1-based band numbers of red, green and near-infrared, and how NIR was found.

    Attributes:
        red: red band.
        green: green band.
        nir: near-infrared band.
        nir_source: ``"GEOMAG_NIR_BAND"``, ``"band description"`` or ``"assumed: RGBN order"``.

    """

    red: int
    green: int
    nir: int
    nir_source: str


def _nir_band(scene: Scene, nir_band: int | None) -> tuple[int, str] | None:
    if nir_band is not None:
        if not 1 <= nir_band <= scene.count:
            raise MissingBandError(
                f"GEOMAG_NIR_BAND={nir_band} but {scene.path.name} has {scene.count} band(s): "
                f"set it to a band number between 1 and {scene.count}"
            )
        return nir_band, "GEOMAG_NIR_BAND"
    if scene.count < 4:
        return None
    with warnings.catch_warnings():  # a JPEG/PNG scene has no geotransform: that is fine here
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(scene.path) as src:
            descriptions = list(src.descriptions)
            colours = list(src.colorinterp)
    for band, text in enumerate(descriptions, start=1):
        if text and _NIR_NAME.search(text) and band not in scene.rgb_bands:
            return band, "band description"
    if scene.count == 4 and tuple(scene.rgb_bands) == (1, 2, 3) and colours[3] != ColorInterp.alpha:
        return 4, "assumed: RGBN order (band 4 is near-infrared, as in NAIP)"
    return None


def has_nir(scene: Scene, nir_band: int | None = None) -> bool:
    """Whether ``scene`` has a near-infrared band the indices can use."""
    try:
        return _nir_band(scene, nir_band) is not None
    except MissingBandError:
        return False


def find_bands(scene: Scene, nir_band: int | None = None) -> SpectralBands:
    """Red, green and NIR bands of ``scene``.

    Raises:
        MissingBandError: the scene has no near-infrared band (or ``nir_band`` is not a band).

    """
    found = _nir_band(scene, nir_band)
    if found is None or scene.count < 3:
        raise MissingBandError(
            f"{scene.path.name} has no near-infrared band ({scene.count} band(s)"
            + (", shown as RGB" if scene.count >= 3 else "")
            + "): water (NDWI) and vegetation (NDVI) need one. Use a 4-band RGBN scene, or set "
            "GEOMAG_NIR_BAND to the band that holds near-infrared"
        )
    red, green, _ = scene.rgb_bands
    return SpectralBands(red=red, green=green, nir=found[0], nir_source=found[1])
