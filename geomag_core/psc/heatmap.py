"""Heat maps over a scene region, and the interface of whatever produces them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.scene import Scene
from geomag_core.tmra import fitted_view
from geomag_core.vlm.backend import InProcessVLM
from geomag_core.vlm.messages import ChatMessage

__all__ = ["CellBox", "HeatMap", "HeatMapSource", "VLMHeatMapSource"]


@dataclass(frozen=True, slots=True)
class CellBox:
    """A box on a heat map's grid, XYXY in cells (exclusive upper bounds)."""

    col0: int
    row0: int
    col1: int
    row1: int


@dataclass(frozen=True)
class HeatMap:
    """Non-negative heat on a grid of cells covering ``bounds`` of a scene.

    Attributes:
        values: ``(rows, cols)`` heat, ≥ 0.
        to_scene: affine map from cell coordinates ``(col, row)`` to scene pixels.
        bounds: the scene pixels the grid covers (XYXY).
        source: what produced it (``vlm-attention``, ``attention-fallback``, ``nano-attention``,
            ``nano-attention-plain`` when its weighting would choose nothing, …).
        view_pixels: pixels of the image the source looked at to produce it.
        view_shape: ``(height, width)`` of that image.

    """

    values: NDArray[np.float64] = field(repr=False)
    to_scene: Affine
    bounds: PixelBox
    source: str
    view_pixels: int
    view_shape: tuple[int, int]

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.size == 0:
            raise ValueError(
                f"heat map values must be a non-empty 2-D grid, got {self.values.shape}"
            )
        if not np.isfinite(self.values).all() or (self.values < 0).any():
            raise ValueError("heat map values must be finite and non-negative")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        rows, cols = self.values.shape
        return int(rows), int(cols)

    def scene_box(self, cells: CellBox) -> PixelBox:
        """The scene pixels covered by ``cells`` (outward-rounded, clamped to ``bounds``)."""
        x0, y0 = self.to_scene @ (cells.col0, cells.row0)
        x1, y1 = self.to_scene @ (cells.col1, cells.row1)
        b = self.bounds
        return PixelBox(
            max(b.x0, math.floor(x0 + 1e-6)),
            max(b.y0, math.floor(y0 + 1e-6)),
            min(b.x1, math.ceil(x1 - 1e-6)),
            min(b.y1, math.ceil(y1 - 1e-6)),
        )


class HeatMapSource(Protocol):
    """Produces the heat map of ``query`` over ``box`` of ``scene``.

    Implementations: :class:`VLMHeatMapSource` (the paper's gradient-weighted VLM attention) and
    the project's compact model (a later issue).
    """

    def __call__(self, scene: Scene, box: PixelBox, query: str) -> HeatMap:
        """Heat over ``box`` (scene pixels) for ``query``."""
        ...


class VLMHeatMapSource:
    """Gradient-weighted text→image attention of an in-process VLM, on a fitted view of the box.

    Args:
        backend: the in-process VLM.
        input_size: the box is decimated so its longer side is at most this many pixels.
        answer: L's target answer; ``None`` = the model's own greedy next token.
        layers: decoder layers to average (default all).

    """

    def __init__(
        self,
        backend: InProcessVLM,
        *,
        input_size: int = 1344,
        answer: str | None = None,
        layers: Sequence[int] | None = None,
    ) -> None:
        self.backend = backend
        self.input_size = input_size
        self.answer = answer
        self.layers = layers

    def __call__(self, scene: Scene, box: PixelBox, query: str) -> HeatMap:
        """Heat over ``box`` for ``query``."""
        view = fitted_view(scene, box, self.input_size)
        values = self.backend.heat_map(
            [ChatMessage.user(query, [view.image])],
            image_index=0,
            answer=self.answer,
            layers=self.layers,
        )
        rows, cols = values.shape
        to_scene = view.to_scene @ Affine.scale(view.width / cols, view.height / rows)
        return HeatMap(
            values=np.asarray(values, dtype=np.float64),
            to_scene=to_scene,
            bounds=box,
            source="vlm-attention",
            view_pixels=view.pixels,
            view_shape=(view.height, view.width),
        )
