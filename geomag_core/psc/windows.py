"""Sliding windows over a heat map: mean-heat scores, top-K with NMS, adaptive coverage.

All windows are :class:`CellBox` es on the heat map's grid. Window positions step by ``stride``
and always include the last position flush with the grid's edge, so no cell is left uncovered.
A window larger than the grid is clipped to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geomag_core.psc.heatmap import CellBox

__all__ = ["ScoredWindow", "adaptive_windows", "best_subwindow", "sliding_windows", "top_k_windows"]


@dataclass(frozen=True, slots=True)
class ScoredWindow:
    """A window, its mean heat (``score``) and its share of the map's total heat (``coverage``)."""

    cells: CellBox
    score: float
    coverage: float


def _integral(values: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    out[1:, 1:] = values.cumsum(0).cumsum(1)
    return out


def _sum(integral: NDArray[np.float64], c: CellBox) -> float:
    return float(
        integral[c.row1, c.col1]
        - integral[c.row0, c.col1]
        - integral[c.row1, c.col0]
        + integral[c.row0, c.col0]
    )


def _starts(n: int, size: int, stride: int) -> list[int]:
    last = n - size
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return starts


def sliding_windows(
    values: NDArray[np.float64],
    size: int | tuple[int, int] = 32,
    stride: int = 8,
    within: CellBox | None = None,
) -> list[ScoredWindow]:
    """Every ``size`` window (cells; an int is square) at ``stride``, inside ``within``."""
    rows, cols = values.shape
    within = within or CellBox(0, 0, cols, rows)
    h_req, w_req = (size, size) if isinstance(size, int) else size
    h = min(h_req, within.row1 - within.row0)
    w = min(w_req, within.col1 - within.col0)
    if h < 1 or w < 1 or stride < 1:
        raise ValueError(f"window {size} / stride {stride} do not fit inside {within}")
    integral = _integral(values)
    total = max(_sum(integral, CellBox(0, 0, cols, rows)), 1e-300)
    out = []
    for r in _starts(within.row1 - within.row0, h, stride):
        for c in _starts(within.col1 - within.col0, w, stride):
            cells = CellBox(
                within.col0 + c, within.row0 + r, within.col0 + c + w, within.row0 + r + h
            )
            mass = _sum(integral, cells)
            out.append(ScoredWindow(cells, mass / (h * w), mass / total))
    return out


def _iou(a: CellBox, b: CellBox) -> float:
    iw = max(0, min(a.col1, b.col1) - max(a.col0, b.col0))
    ih = max(0, min(a.row1, b.row1) - max(a.row0, b.row0))
    inter = iw * ih
    area_a = (a.col1 - a.col0) * (a.row1 - a.row0)
    area_b = (b.col1 - b.col0) * (b.row1 - b.row0)
    return inter / (area_a + area_b - inter)


def _ranked(windows: list[ScoredWindow]) -> list[ScoredWindow]:
    # Highest score first; ties broken by position (top-left first) so results are deterministic.
    return sorted(windows, key=lambda w: (-w.score, w.cells.row0, w.cells.col0))


def top_k_windows(
    values: NDArray[np.float64],
    k: int = 3,
    size: int | tuple[int, int] = 32,
    stride: int = 8,
    iou_threshold: float = 0.3,
) -> list[ScoredWindow]:
    """The ``k`` best windows by mean heat after non-maximum suppression (paper: K=3)."""
    kept: list[ScoredWindow] = []
    for window in _ranked(sliding_windows(values, size, stride)):
        if all(_iou(window.cells, k_.cells) <= iou_threshold for k_ in kept):
            kept.append(window)
            if len(kept) == k:
                break
    return kept


def adaptive_windows(
    values: NDArray[np.float64],
    coverage: float = 0.6,
    size: int | tuple[int, int] = 32,
    stride: int = 8,
    iou_threshold: float = 0.3,
    max_windows: int = 8,
) -> list[ScoredWindow]:
    """Add windows (best first, after NMS) until their union holds ``coverage`` of the heat.

    A window that would add no heat beyond what the kept ones already cover is skipped.
    """
    if not 0 < coverage <= 1:
        raise ValueError("coverage is a fraction of the heat mass in (0, 1]")
    total = float(values.sum())
    covered = np.zeros(values.shape, dtype=bool)
    kept: list[ScoredWindow] = []
    for window in _ranked(sliding_windows(values, size, stride)):
        if any(_iou(window.cells, k_.cells) > iou_threshold for k_ in kept):
            continue
        c = window.cells
        if (
            kept
            and values[c.row0 : c.row1, c.col0 : c.col1][
                ~covered[c.row0 : c.row1, c.col0 : c.col1]
            ].sum()
            <= 0
        ):
            continue  # adds no heat that earlier windows did not already hold
        kept.append(window)
        covered[c.row0 : c.row1, c.col0 : c.col1] = True
        if total <= 0 or values[covered].sum() >= coverage * total or len(kept) == max_windows:
            break
    return kept


def best_subwindow(
    values: NDArray[np.float64],
    inside: CellBox,
    size: int | tuple[int, int] = 16,
    stride: int = 4,
) -> ScoredWindow:
    """bbox2: the best ``size`` window that lies inside ``inside`` (bbox1)."""
    return _ranked(sliding_windows(values, size, stride, within=inside))[0]
