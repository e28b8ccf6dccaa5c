"""Write a 3840×2160 georeferenced test scene by resampling the bundled NAIP tile.

    python -m tests.data.scene_4k OUT.tif

The pixels are the public-domain NAIP sample upsampled (bilinear) to 4K UHD, with the geotransform
scaled to match, so the result is a real-looking, correctly georeferenced 4-band scene. It exists
for budget measurements (``geomag views``) and tests; it is not new imagery.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rasterio
from rasterio.enums import Resampling

from geomag_core.config import REPO_ROOT

SOURCE = REPO_ROOT / "samples" / "m_4709963_se_14_1_20200831.tif"


def write_4k_scene(out: Path, width: int = 3840, height: int = 2160) -> Path:
    """Resample the bundled sample to ``width``×``height`` and write a tiled GeoTIFF."""
    with rasterio.open(SOURCE) as src:
        data = src.read(out_shape=(src.count, height, width), resampling=Resampling.bilinear)
        transform = src.transform * src.transform.scale(src.width / width, src.height / height)
        profile = src.profile | {
            "width": width,
            "height": height,
            "transform": transform,
            "tiled": True,
            "blockxsize": 512,
            "blockysize": 512,
            "compress": "deflate",
            "photometric": "minisblack",  # band 4 is NIR, not alpha
        }
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.data.scene_4k OUT.tif")
    print(write_4k_scene(Path(sys.argv[1])))
