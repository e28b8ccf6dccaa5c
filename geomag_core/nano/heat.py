"""Nano as a PSC heat-map source: its gradient-weighted text→image attention on a fitted view.

The same forward pass also segments the view: :meth:`NanoHeatMapSource.look` keeps those coarse
masks, so what the whole-scene view already shows is not thrown away (GeoMag answers from the
global view as well as from its native windows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.nano.instances import TOKEN_STRIDE, PixelMaps
from geomag_core.psc.heatmap import HeatMap
from geomag_core.scene import Scene
from geomag_core.tmra import fitted_view

if TYPE_CHECKING:
    from geomag_core.nano.predictor import NanoModel

__all__ = ["CoarseMasks", "NanoHeatMapSource"]


@dataclass(frozen=True)
class CoarseMasks:
    """Mask probabilities on the heat map's view.

    Attributes:
        probs: ``(H, W)`` probabilities in view pixels.
        to_scene: affine map from view pixels ``(col, row)`` to scene pixels.
        centres: ``(H, W)`` centre probabilities in view pixels (weights with a centre head).

    """

    probs: NDArray[np.float32]
    to_scene: Affine
    centres: NDArray[np.float32] | None = None

    @property
    def maps(self) -> PixelMaps:
        """The view's per-pixel maps (its instances: ``maps.instances()``)."""
        return PixelMaps(self.probs, self.centres)


class NanoHeatMapSource:
    """Heat of ``query`` over ``box``: the box decimated to ``input_size``, one cell per token.

    Args:
        model: the nano model.
        input_size: longer side, in pixels, of the view the model looks at.

    """

    def __init__(self, model: NanoModel, *, input_size: int = 1024) -> None:
        self.model = model
        self.input_size = input_size

    def __call__(self, scene: Scene, box: PixelBox, query: str) -> HeatMap:
        """Heat over ``box`` (scene pixels) for ``query``; cell = 16 view pixels."""
        return self.look(scene, box, query)[0]

    def look(
        self,
        scene: Scene,
        box: PixelBox,
        query: str,
        weigh: Callable[[CoarseMasks], bool] | None = None,
    ) -> tuple[HeatMap, CoarseMasks]:
        """The heat map and, from the same pass, the view's mask probabilities.

        ``weigh``: asked with those probabilities whether the heat will choose anything (see
        :meth:`NanoModel.look`); when not, the heat is the plain attention
        (``nano-attention-plain``) and the backward pass is saved.
        """
        view = fitted_view(scene, box, self.input_size)
        asked: list[bool] = []

        def weighs(maps: PixelMaps) -> bool:
            coarse = CoarseMasks(maps.probs, view.to_scene, maps.centres)
            asked.append(weigh is None or weigh(coarse))
            return asked[-1]

        look = self.model.look(view.image, query, weighs)
        if look.weighted:
            source = "nano-attention"
        else:
            source = "nano-attention-fallback" if asked[-1] else "nano-attention-plain"
        heat = HeatMap(
            values=np.asarray(look.heat, dtype=np.float64),
            to_scene=view.to_scene @ Affine.scale(TOKEN_STRIDE),
            bounds=box,
            source=source,
            view_pixels=view.pixels,
            view_shape=(view.height, view.width),
        )
        return heat, CoarseMasks(look.probs, view.to_scene, look.centres)
