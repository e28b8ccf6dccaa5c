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

__all__ = [
    "ScoredWindow",
    "adaptive_windows",
    "best_subwindow",
    "block_windows",
    "sliding_windows",
    "top_k_windows",
]


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


def block_windows(
    values: NDArray[np.float64],
    block: int = 8,
    coverage: float = 0.9,
    max_fraction: float = 0.25,
    margin: float = 0.0,
) -> list[ScoredWindow]:
    """Adaptive coverage by blocks: the hottest ``block``-cell squares until they hold the heat.

    The grid is cut into ``block`` × ``block`` squares (edge squares clipped). Squares are taken
    hottest first (by heat mass) until they hold ``coverage`` of the heat or the next one would
    push the cost past ``max_fraction`` of the grid; squares without heat are never taken.
    Kept squares side by side in a row are merged into one window, so objects on their shared
    edge are seen whole. The cost counts each window grown by ``margin`` cells on every side
    (clipped to the grid), the context a caller reads around it. Unlike fixed-size windows this
    follows heat spread over several far-apart places (aircraft on several aprons).

    Returns:
        Row-merged windows (without the margin), hottest first; ``score`` is mean heat,
        ``coverage`` the share of the map's heat inside.

    """
    if not 0 < coverage <= 1 or not 0 < max_fraction <= 1 or block < 1 or margin < 0:
        raise ValueError(
            "coverage and max_fraction are fractions in (0, 1]; block ≥ 1 cell; margin ≥ 0"
        )
    rows, cols = int(values.shape[0]), int(values.shape[1])
    integral = _integral(values)
    total = _sum(integral, CellBox(0, 0, cols, rows))
    if total <= 0:
        return []
    squares = [
        CellBox(c, r, min(c + block, cols), min(r + block, rows))
        for r in range(0, rows, block)
        for c in range(0, cols, block)
    ]
    mass = {s: _sum(integral, s) for s in squares}

    def cost(windows: list[CellBox]) -> float:
        return sum(
            (min(cols, w.col1 + margin) - max(0, w.col0 - margin))
            * (min(rows, w.row1 + margin) - max(0, w.row0 - margin))
            for w in windows
        )

    kept: list[CellBox] = []
    by_row: dict[int, list[CellBox]] = {}  # merging only joins squares of one row: cost per row
    row_cost: dict[int, float] = {}
    held, spent = 0.0, 0.0
    for square in sorted(squares, key=lambda s: (-mass[s], s.row0, s.col0)):
        if mass[square] <= 0:
            break
        row = [*by_row.get(square.row0, []), square]
        new_cost = cost(_merge_rows(row))
        if kept and spent - row_cost.get(square.row0, 0.0) + new_cost > max_fraction * rows * cols:
            break
        spent += new_cost - row_cost.get(square.row0, 0.0)
        by_row[square.row0], row_cost[square.row0] = row, new_cost
        kept.append(square)
        held += mass[square]
        if held >= coverage * total:
            break
    out = []
    for c in _merge_rows(kept):
        m = _sum(integral, c)
        out.append(ScoredWindow(c, m / ((c.col1 - c.col0) * (c.row1 - c.row0)), m / total))
    return sorted(out, key=lambda w: (-w.coverage, w.cells.row0, w.cells.col0))


def _merge_rows(squares: list[CellBox]) -> list[CellBox]:
    """Squares of one block row that touch side by side, merged into one box."""
    merged: list[CellBox] = []
    for square in sorted(squares, key=lambda s: (s.row0, s.col0)):
        last = merged[-1] if merged else None
        if last and last.row0 == square.row0 and last.col1 == square.col0:
            merged[-1] = CellBox(last.col0, last.row0, square.col1, last.row1)
        else:
            merged.append(square)
    return merged


def best_subwindow(
    values: NDArray[np.float64],
    inside: CellBox,
    size: int | tuple[int, int] = 16,
    stride: int = 4,
) -> ScoredWindow:
    """bbox2: the best ``size`` window that lies inside ``inside`` (bbox1)."""
    return _ranked(sliding_windows(values, size, stride, within=inside))[0]
