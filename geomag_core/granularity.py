"""The three granularities of a GeoMag question (docs/architecture.md, mechanism 1)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Granularity"]


class Granularity(StrEnum):
    """How spatially precise the answer must be.

    * ``image`` — about the whole scene (scene class, caption, scene-level yes/no);
    * ``region`` — boxes/points, counts, attributes of a located object, region captions;
    * ``pixel`` — masks, outlines, footprints, extents, areas measured from shapes.
    """

    IMAGE = "image"
    REGION = "region"
    PIXEL = "pixel"
