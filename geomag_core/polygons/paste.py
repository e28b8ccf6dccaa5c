"""Pasting a mask from a crop's pixel grid back into scene pixels.

A crop (a TMRA view) carries ``to_scene``, the affine map from its pixels ``(col, row)`` to scene
pixels ``(x, y)``. A scene pixel belongs to the pasted mask when its centre, mapped back into the
crop, falls in a crop pixel whose mask is set (nearest neighbour). For a native-resolution crop
(``to_scene`` an integer translation) this is an exact copy into the crop's box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.errors import InvalidBoxError

__all__ = ["SceneMask", "paste_crop_mask"]


@dataclass(frozen=True)
class SceneMask:
    """A boolean mask in scene pixels, stored only over the box it can cover.

    Attributes:
        mask: ``(box.height, box.width)`` bool; ``mask[r, c]`` is scene pixel
            ``(box.x0 + c, box.y0 + r)``.
        box: XYXY in scene pixels.

    """

    mask: NDArray[np.bool_] = field(repr=False)
    box: PixelBox

    def __post_init__(self) -> None:
        if self.mask.shape != (self.box.height, self.box.width):
            raise ValueError(f"mask {self.mask.shape} does not match box {self.box.as_tuple()}")

    @property
    def pixel_count(self) -> int:
        """Scene pixels set."""
        return int(self.mask.sum())

    def to_full(self, width: int, height: int) -> NDArray[np.bool_]:
        """The mask as a whole-scene ``(height, width)`` array (small scenes and tests)."""
        full = np.zeros((height, width), dtype=bool)
        b = self.box
        full[b.y0 : b.y1, b.x0 : b.x1] = self.mask
        return full


def paste_crop_mask(
    mask: NDArray[np.generic],
    to_scene: Affine,
    scene_size: tuple[int, int],
    *,
    threshold: float = 0.5,
) -> SceneMask:
    """Put a crop's mask into scene pixels.

    Args:
        mask: ``(h, w)`` crop mask: bool, or probabilities compared with ``threshold``.
        to_scene: crop pixels → scene pixels (e.g. ``View.to_scene``).
        scene_size: ``(width, height)`` of the scene; the result is clipped to it.
        threshold: probabilities above it count as set.

    Raises:
        InvalidBoxError: the crop does not overlap the scene.

    """
    binary = mask if mask.dtype == np.bool_ else np.asarray(mask, dtype=np.float64) > threshold
    h, w = binary.shape
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64)
    xs, ys = zip(*(to_scene @ (float(x), float(y)) for x, y in corners), strict=True)
    width, height = scene_size
    eps = 1e-9  # keep exact integer edges from spilling into the next pixel
    x0, y0 = max(0, math.floor(min(xs) + eps)), max(0, math.floor(min(ys) + eps))
    x1, y1 = min(width, math.ceil(max(xs) - eps)), min(height, math.ceil(max(ys) - eps))
    if x1 <= x0 or y1 <= y0:
        raise InvalidBoxError(
            f"the crop maps to scene pixels x {min(xs):.1f}..{max(xs):.1f}, y {min(ys):.1f}.."
            f"{max(ys):.1f}, outside the scene (0, 0, {width}, {height}); check its to_scene"
        )
    box = PixelBox(x0, y0, x1, y1)
    cols, rows = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    inverse = ~to_scene
    a, b, c, d, e, f = list(inverse)[:6]
    u = np.floor(a * cols + b * rows + c).astype(np.int64)
    v = np.floor(d * cols + e * rows + f).astype(np.int64)
    inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    out = np.zeros(u.shape, dtype=bool)
    out[inside] = binary[v[inside], u[inside]]
    return SceneMask(mask=out, box=box)
