"""Masks back to the scene: paste-back into scene pixels, components, georeferenced polygons."""

from geomag_core.polygons.grounded import GroundedPolygon, equal_area_m2, ground_mask
from geomag_core.polygons.paste import SceneMask, paste_crop_mask
from geomag_core.polygons.vectorize import PixelComponent, mask_components

__all__ = [
    "GroundedPolygon",
    "PixelComponent",
    "SceneMask",
    "equal_area_m2",
    "ground_mask",
    "mask_components",
    "paste_crop_mask",
]
