"""A keyword baseline for the granularity classifier (for the README comparison).

Pixel cues are checked first, then region cues; anything else is an image-level question. The
cue lists were written from the labelling rule, not tuned on the held-out split.
"""

from __future__ import annotations

import re

from geomag_core.granularity import Granularity

__all__ = ["PIXEL_CUES", "REGION_CUES", "keyword_granularity"]

#: Word stems that ask for masks, outlines or measured areas.
PIXEL_CUES: tuple[str, ...] = (
    "segment",
    "mask",
    "outline",
    "footprint",
    "extent",
    "polygon",
    "delineat",
    "boundar",
    "contour",
    "trace",
    "pixel",
    "area of",
    "total area",
    "surface area",
    "square met",
    "hectare",
    "acre",
    "km2",
    "m2",
    "perimeter",
    "vectori",
    "shape of",
)
#: Word stems that ask for boxes, points, counts or a located object.
REGION_CUES: tuple[str, ...] = (
    "where",
    "locate",
    "location",
    "box",
    "detect",
    "find",
    "count",
    "how many",
    "number of",
    "point to",
    "coordinates",
    "position",
    "colour",
    "color",
    "mark ",
    "grounding",
    "ground the",
)


def keyword_granularity(text: str) -> Granularity:
    """Granularity from cue words alone: pixel cues, else region cues, else image."""
    lowered = re.sub(r"\s+", " ", text.lower())
    if any(cue in lowered for cue in PIXEL_CUES):
        return Granularity.PIXEL
    if any(cue in lowered for cue in REGION_CUES):
        return Granularity.REGION
    return Granularity.IMAGE
