"""The iterative zoom: heat map → best window → heat map inside it → …, recording every step.

The zoom stops when the current box already fits the VLM's input at native resolution (its
longer side ≤ ``input_size``), at the depth limit, or when the best window no longer shrinks the
box. Every step records what it looked at and what it cost, for provenance and budgets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from geomag_core.boxes import PixelBox
from geomag_core.budget import VisionTokenGeometry
from geomag_core.psc.heatmap import HeatMapSource
from geomag_core.psc.windows import top_k_windows
from geomag_core.scene import Scene

__all__ = ["ZoomStep", "ZoomTrail", "zoom"]

StopReason = Literal["native-resolution", "depth-limit", "no-shrink"]


@dataclass(frozen=True)
class ZoomStep:
    """One zoom window: the heat map over ``looked_at`` chose ``window``.

    Two costs are kept apart: the heat map's own view (``heat_pixels``: what the heat-map
    source was shown to choose the window) and the window read at native resolution
    (``read_pixels``: GeoMag-nano segments each window it reads; the VLM path reads its crops
    as TMRA views, counted in the views' budget, so its steps read nothing of their own).

    Attributes:
        depth: 1 for the first look (at the whole scene), 2 for the next, …
        looked_at: the scene pixels the heat map covered (XYXY).
        window: the chosen window in scene pixels (XYXY), inside ``looked_at``.
        score: mean heat in the window divided by the mean heat of the whole map (1 = average).
        heat_coverage: the window's share of the map's total heat.
        heat_pixels: pixels of the image the heat-map source looked at for this step (0 when
            the window was chosen on a heat map counted elsewhere, e.g. nano's shared overview).
        heat_tokens: vision tokens of that image.
        source: the heat-map source.
        read_pixels: pixels of ``window`` read at native resolution for this step.
        read_tokens: vision tokens of that read.
        rank: 0 for the best window of its depth, 1 for the next…
        label: the class searched for (nano), ``None`` for a question's own zoom.
        number: this window's number among those ``planned`` (1-based; 0: not numbered).
        planned: windows chosen before reading (0: unknown).

    """

    depth: int
    looked_at: PixelBox
    window: PixelBox
    score: float
    heat_coverage: float
    heat_pixels: int
    heat_tokens: int
    source: str
    read_pixels: int = 0
    read_tokens: int = 0
    rank: int = 0
    label: str | None = None
    number: int = 0
    planned: int = 0

    @property
    def pixels(self) -> int:
        """Everything this step looked at: its heat-map view and its native read."""
        return self.heat_pixels + self.read_pixels

    @property
    def tokens(self) -> int:
        """Vision tokens of the heat-map view and the native read."""
        return self.heat_tokens + self.read_tokens

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (boxes as ``[x0, y0, x1, y1]``; ``pixels``/``tokens``: both costs)."""
        out = asdict(self)
        out["looked_at"] = list(self.looked_at.as_tuple())
        out["window"] = list(self.window.as_tuple())
        return out | {"pixels": self.pixels, "tokens": self.tokens}


@dataclass(frozen=True)
class ZoomTrail:
    """Every step of one zoom, where it ended, why, and what it cost in total."""

    steps: tuple[ZoomStep, ...]
    final: PixelBox
    stop_reason: StopReason

    @property
    def pixels(self) -> int:
        """Pixels looked at over all steps."""
        return sum(s.pixels for s in self.steps)

    @property
    def tokens(self) -> int:
        """Vision tokens spent over all steps."""
        return sum(s.tokens for s in self.steps)


def zoom(
    scene: Scene,
    query: str,
    source: HeatMapSource,
    *,
    input_size: int = 1344,
    window_cells: int = 32,
    stride_cells: int = 8,
    max_depth: int = 3,
    start: PixelBox | None = None,
    geometry: VisionTokenGeometry | None = None,
) -> ZoomTrail:
    """Zoom into ``scene`` where ``query`` points.

    Args:
        scene: the scene.
        query: the analyst's question (the heat-map source's prompt).
        source: produces heat maps (VLM attention, or the project's compact model).
        input_size: the VLM's input side in pixels; a box that fits is at native resolution.
        window_cells: window side on the heat-map grid (paper: 32), clipped to the grid.
        stride_cells: window stride on the grid (paper: 8).
        max_depth: at most this many heat maps.
        start: where to begin (default: the whole scene).
        geometry: token geometry for the budget (default Qwen2-VL).

    """
    geometry = geometry or VisionTokenGeometry()
    box = start or PixelBox(0, 0, scene.width, scene.height)
    steps: list[ZoomStep] = []
    reason: StopReason = "depth-limit"
    for depth in range(1, max_depth + 1):
        if max(box.width, box.height) <= input_size:
            reason = "native-resolution"
            break
        heat = source(scene, box, query)
        (best,) = top_k_windows(heat.values, k=1, size=window_cells, stride=stride_cells)
        window = heat.scene_box(best.cells)
        mean = float(heat.values.mean())
        steps.append(
            ZoomStep(
                depth=depth,
                looked_at=box,
                window=window,
                score=best.score / mean if mean > 0 else 1.0,
                heat_coverage=best.coverage,
                heat_pixels=heat.view_pixels,
                heat_tokens=geometry.tokens(*heat.view_shape),
                source=heat.source,
                number=depth,
            )
        )
        if window == box:
            reason = "no-shrink"
            break
        box = window
    else:
        if max(box.width, box.height) <= input_size:
            reason = "native-resolution"
    return ZoomTrail(tuple(steps), box, reason)
