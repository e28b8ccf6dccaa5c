"""Task-driven multi-granularity resolution adjustment (TMRA): the views the VLM sees.

From a granularity and the crop boxes chosen by prompt-guided cropping (PSC), build
(docs/architecture.md, mechanism 2):

* image:  the whole scene resized to a small square (default 100×100);
* region: ``C1 ⊕ D(I)`` — each crop at native resolution, plus the scene average-pooled once;
* pixel:  ``C2 ⊕ D(C1) ⊕ D(D(I))`` — the finer crop at native resolution, the first crop pooled
  once, and the scene pooled twice.

``D`` is k×k average pooling with stride k (k = 4 by default), computed from native pixels (never
from a file's overviews) and dropping the remainder rows/columns as pooling does. Every
:class:`View` carries ``to_scene``, the affine map from its own pixel grid to scene pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.budget import (
    Budget,
    LookBudget,
    VisionTokenGeometry,
    native_baseline,
    tiling_baseline,
)
from geomag_core.errors import InvalidBoxError
from geomag_core.granularity import Granularity
from geomag_core.scene import Scene

__all__ = ["View", "ViewSet", "build_views", "default_boxes", "fitted_view"]


@dataclass(frozen=True)
class View:
    """One image handed to the VLM.

    Attributes:
        name: role in the view set: ``scene_small``, ``crop1``, ``crop2``, ``crop1_pooled``,
            ``scene_pooled`` or ``scene_pooled2``.
        image: HxWx3 uint8 RGB.
        box: the scene pixels this view covers (XYXY).
        to_scene: affine map from view pixels ``(col, row)`` to scene pixels ``(x, y)``.

    """

    name: str
    image: NDArray[np.uint8] = field(repr=False)
    box: PixelBox
    to_scene: Affine

    @property
    def height(self) -> int:
        """Rows of the view image."""
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        """Columns of the view image."""
        return int(self.image.shape[1])

    @property
    def pixels(self) -> int:
        """Pixels in the view image."""
        return self.height * self.width

    def tokens(self, geometry: VisionTokenGeometry) -> int:
        """Vision tokens this view costs under ``geometry``."""
        return geometry.tokens(self.height, self.width)


@dataclass(frozen=True)
class ViewSet:
    """The views for one question, with their budget and the two baselines."""

    granularity: Granularity
    views: tuple[View, ...]
    scene_size: tuple[int, int]

    def budget(self, geometry: VisionTokenGeometry) -> Budget:
        """Pixels and tokens of all views together."""
        return Budget(
            pixels=sum(v.pixels for v in self.views),
            tokens=sum(v.tokens(geometry) for v in self.views),
        )

    def look_budget(self, geometry: VisionTokenGeometry | None = None) -> LookBudget:
        """The views' budget beside the native and tiling baselines of the scene."""
        geometry = geometry or VisionTokenGeometry()
        width, height = self.scene_size
        return LookBudget.of(width, height, self.budget(geometry), geometry=geometry)

    def report(self, geometry: VisionTokenGeometry | None = None) -> dict[str, Any]:
        """A JSON-ready description: views, budget, baselines and ratios."""
        geometry = geometry or VisionTokenGeometry()
        width, height = self.scene_size
        ours = self.budget(geometry)
        native = native_baseline(width, height, geometry)
        tiling = tiling_baseline(width, height, geometry)
        return {
            "granularity": self.granularity.value,
            "scene_size": {"width": width, "height": height},
            "token_geometry": {
                "patch_size": geometry.patch_size,
                "merge_size": geometry.merge_size,
            },
            "views": [
                {
                    "name": v.name,
                    "shape": [v.height, v.width],
                    "box": list(v.box.as_tuple()),
                    "pixels": v.pixels,
                    "tokens": v.tokens(geometry),
                }
                for v in self.views
            ],
            "budget": {
                "views": {"pixels": ours.pixels, "tokens": ours.tokens},
                "native": {"pixels": native.pixels, "tokens": native.tokens},
                "tiling": {"pixels": tiling.pixels, "tokens": tiling.tokens},
                "ratio_to_native": ours.ratio_to(native),
                "ratio_to_tiling": ours.ratio_to(tiling),
            },
        }


def default_boxes(scene: Scene, granularity: Granularity) -> list[PixelBox]:
    """Centred placeholder crops for when no PSC windows are given.

    bbox1 covers the central half of each side of the scene; bbox2 the central half of bbox1.
    """
    whole = PixelBox(0, 0, scene.width, scene.height)
    if granularity is Granularity.IMAGE:
        return []
    bbox1 = whole.centered(max(1, scene.width // 2), max(1, scene.height // 2))
    if granularity is Granularity.REGION:
        return [bbox1]
    return [bbox1, bbox1.centered(max(1, bbox1.width // 2), max(1, bbox1.height // 2))]


def build_views(
    scene: Scene,
    granularity: Granularity | str,
    boxes: Sequence[PixelBox] = (),
    *,
    image_size: int = 100,
    pool: int = 4,
    max_side: int | None = None,
) -> ViewSet:
    """Build the TMRA views of ``scene`` for ``granularity``.

    Args:
        scene: the scene to look at.
        granularity: image, region or pixel.
        boxes: crops in scene pixels (XYXY). image: none. region: one or more ``C1`` crops.
            pixel: exactly ``[bbox1, bbox2]`` with bbox2 inside bbox1.
            Empty means :func:`default_boxes` (centred placeholders).
        image_size: side of the square image-granularity view.
        pool: k of the k×k, stride-k average pooling ``D``.
        max_side: no view is longer than this: a native crop or a pooled view that would be is
            read decimated to it (its ``to_scene`` says so). A 4K scene's views fit; on a
            20,000² scene a zoom window or the pooled scene would otherwise fill memory in the
            VLM's attention and the mask encoder. ``None``: unbounded (the method as written).

    """
    granularity = Granularity(granularity)
    boxes = list(boxes) or default_boxes(scene, granularity)
    for box in boxes:
        box.check_inside(scene.width, scene.height, "crop box")
    whole = PixelBox(0, 0, scene.width, scene.height)

    if granularity is Granularity.IMAGE:
        if boxes:
            raise InvalidBoxError("image granularity looks at the whole scene: give no boxes")
        image = scene.read(out_shape=(image_size, image_size))
        views = [_view("scene_small", image, whole)]
    elif granularity is Granularity.REGION:
        views = [
            _native(scene, "crop1" if i == 0 else f"crop1_{i + 1}", box, max_side)
            for i, box in enumerate(boxes)
        ]
        views.append(_pooled(scene, "scene_pooled", whole, pool, max_side))
    else:
        if len(boxes) != 2:
            raise InvalidBoxError(
                f"pixel granularity needs exactly two boxes [bbox1, bbox2], got {len(boxes)}"
            )
        bbox1, bbox2 = boxes
        if not bbox1.contains(bbox2):
            raise InvalidBoxError(
                f"bbox2 {bbox2.as_tuple()} must lie inside bbox1 {bbox1.as_tuple()}"
            )
        views = [
            _native(scene, "crop2", bbox2, max_side),
            _pooled(scene, "crop1_pooled", bbox1, pool, max_side),
            _pooled(scene, "scene_pooled2", whole, pool * pool, max_side),
        ]
    return ViewSet(granularity, tuple(views), scene.size)


def fitted_view(scene: Scene, box: PixelBox, max_side: int, name: str = "overview") -> View:
    """``box`` read whole, decimated (area average) so its longer side is at most ``max_side``."""
    scale = max(1.0, max(box.width, box.height) / max_side)
    shape = (max(1, round(box.height / scale)), max(1, round(box.width / scale)))
    return _view(name, scene.read(box, out_shape=shape), box)


def _view(name: str, image: NDArray[np.uint8], box: PixelBox) -> View:
    height, width = image.shape[:2]
    to_scene = Affine.translation(box.x0, box.y0) @ Affine.scale(
        box.width / width, box.height / height
    )
    return View(name, image, box, to_scene)


def _native(scene: Scene, name: str, box: PixelBox, max_side: int | None) -> View:
    """``box`` at native resolution, or decimated to ``max_side`` when it is longer."""
    if max_side is not None and max(box.width, box.height) > max_side:
        return fitted_view(scene, box, max_side, name)
    return _view(name, scene.read(box), box)


def _pooled(scene: Scene, name: str, box: PixelBox, k: int, max_side: int | None = None) -> View:
    """``box`` average-pooled k×k, stride k, from native pixels (remainder dropped).

    Pooling twice with k (``D(D(·))``) equals pooling once with k², which is how
    ``scene_pooled2`` is computed. A result longer than ``max_side`` is pooled more, to fit.
    """
    if max_side is not None:
        k = max(k, math.ceil(max(box.width, box.height) / max_side))
    out_w, out_h = box.width // k, box.height // k
    if out_w < 1 or out_h < 1:
        raise InvalidBoxError(
            f"box {box.as_tuple()} is smaller than the {k}×{k} pooling kernel; use a larger crop"
        )
    covered = PixelBox(box.x0, box.y0, box.x0 + out_w * k, box.y0 + out_h * k)
    image = scene.read(covered, out_shape=(out_h, out_w), use_overviews=False)
    return _view(name, image, covered)
