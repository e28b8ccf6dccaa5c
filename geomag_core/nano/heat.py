"""Nano as a PSC heat-map source: its gradient-weighted text→image attention on a fitted view."""

from __future__ import annotations

import numpy as np
from affine import Affine

from geomag_core.boxes import PixelBox
from geomag_core.nano.predictor import TOKEN_STRIDE, NanoModel
from geomag_core.psc.heatmap import HeatMap
from geomag_core.scene import Scene
from geomag_core.tmra import fitted_view

__all__ = ["NanoHeatMapSource"]


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
        view = fitted_view(scene, box, self.input_size)
        values, weighted = self.model.heat(view.image, query)
        return HeatMap(
            values=np.asarray(values, dtype=np.float64),
            to_scene=view.to_scene @ Affine.scale(TOKEN_STRIDE),
            bounds=box,
            source="nano-attention" if weighted else "nano-attention-fallback",
            view_pixels=view.pixels,
            view_shape=(view.height, view.width),
        )
