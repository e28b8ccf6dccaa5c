from __future__ import annotations

import numpy as np
import pytest

from geomag_core.psc.heatmap import CellBox
from geomag_core.psc.windows import (
    adaptive_windows,
    best_subwindow,
    block_windows,
    sliding_windows,
    top_k_windows,
)


def blobs(shape: tuple[int, int], *centres: tuple[int, int], radius: int = 2) -> np.ndarray:
    heat = np.zeros(shape)
    for row, col in centres:
        heat[row - radius : row + radius + 1, col - radius : col + radius + 1] = 1.0
    return heat


def test_sliding_windows_cover_the_edges_and_score_the_mean() -> None:
    heat = np.arange(20 * 30, dtype=float).reshape(20, 30)
    windows = sliding_windows(heat, size=8, stride=5)
    rows = sorted({w.cells.row0 for w in windows})
    cols = sorted({w.cells.col0 for w in windows})
    assert rows == [0, 5, 10, 12] and cols == [0, 5, 10, 15, 20, 22]
    for w in windows:
        c = w.cells
        assert w.score == pytest.approx(heat[c.row0 : c.row1, c.col0 : c.col1].mean())
        assert w.coverage == pytest.approx(
            heat[c.row0 : c.row1, c.col0 : c.col1].sum() / heat.sum()
        )


def test_a_window_larger_than_the_grid_is_clipped() -> None:
    (only,) = sliding_windows(np.ones((5, 7)), size=32, stride=8)
    assert only.cells == CellBox(0, 0, 7, 5) and only.coverage == pytest.approx(1.0)


def test_top1_finds_a_known_hot_spot() -> None:
    heat = blobs((64, 64), (40, 50))
    (best,) = top_k_windows(heat, k=1, size=16, stride=4)
    c = best.cells
    assert c.row0 <= 38 and c.row1 > 42 and c.col0 <= 48 and c.col1 > 52
    assert best.coverage == pytest.approx(1.0)


def test_nms_keeps_separate_objects_and_drops_overlaps() -> None:
    heat = blobs((64, 64), (10, 10), (50, 50))
    heat[50, 50] += 1  # the second blob is a little hotter
    windows = top_k_windows(heat, k=3, size=16, stride=4, iou_threshold=0.1)
    assert len(windows) == 3
    first, second, third = (w.cells for w in windows)
    assert first.row0 <= 50 < first.row1 and first.col0 <= 50 < first.col1
    assert second.row0 <= 10 < second.row1 and second.col0 <= 10 < second.col1
    for a, b in ((first, second), (first, third), (second, third)):
        inter = max(0, min(a.col1, b.col1) - max(a.col0, b.col0)) * max(
            0, min(a.row1, b.row1) - max(a.row0, b.row0)
        )
        assert inter / (2 * 256 - inter) <= 0.1


def test_ties_break_deterministically_top_left() -> None:
    (best,) = top_k_windows(np.ones((20, 20)), k=1, size=8, stride=4)
    assert best.cells == CellBox(0, 0, 8, 8)


def test_adaptive_mode_adds_windows_until_the_heat_is_covered() -> None:
    heat = blobs((64, 64), (10, 10), (50, 50), (10, 50))
    assert len(adaptive_windows(heat, coverage=0.3, size=12, stride=2)) == 1
    assert len(adaptive_windows(heat, coverage=0.6, size=12, stride=2)) == 2
    three = adaptive_windows(heat, coverage=0.99, size=12, stride=2)
    assert len(three) == 3 and sum(w.coverage for w in three) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="fraction"):
        adaptive_windows(heat, coverage=0)


def test_bbox2_lies_inside_bbox1_and_is_its_hottest_part() -> None:
    heat = blobs((64, 64), (20, 20), (50, 50))
    heat[50, 50] = 10  # hotter, but outside bbox1
    bbox1 = CellBox(0, 0, 32, 32)
    inner = best_subwindow(heat, bbox1, size=8, stride=2)
    c = inner.cells
    assert bbox1.col0 <= c.col0 and c.col1 <= bbox1.col1 and c.row1 <= bbox1.row1
    assert c.row0 <= 20 < c.row1 and c.col0 <= 20 < c.col1


def test_blocks_follow_heat_spread_over_far_apart_places() -> None:
    # Three small hot spots in three corners: fixed windows would need the whole map; blocks
    # take the three squares that hold them and nothing else.
    heat = blobs((64, 64), (4, 4), (59, 59), (4, 59), radius=1)
    kept = block_windows(heat, block=8, coverage=0.99, max_fraction=0.5)
    assert {(w.cells.row0, w.cells.col0) for w in kept} == {(0, 0), (56, 56), (0, 56)}
    assert sum(w.coverage for w in kept) == pytest.approx(1.0)


def test_blocks_stop_at_the_coverage_or_the_pixel_cap_and_merge_neighbours() -> None:
    heat = blobs((32, 32), (4, 4), (4, 12), (28, 28), radius=1)
    heat[28, 28] = 5.0  # the hottest square
    first = block_windows(heat, block=8, coverage=0.3, max_fraction=1.0)
    assert [(w.cells.row0, w.cells.col0) for w in first] == [(24, 24)]
    capped = block_windows(heat, block=8, coverage=1.0, max_fraction=2 / 16)
    assert sum((w.cells.col1 - w.cells.col0) * (w.cells.row1 - w.cells.row0) for w in capped) == 128
    every = block_windows(heat, block=8, coverage=1.0, max_fraction=1.0)
    # The two squares side by side in the top row become one 16x8 window.
    assert sorted((w.cells.col0, w.cells.row0, w.cells.col1, w.cells.row1) for w in every) == [
        (0, 0, 16, 8),
        (24, 24, 32, 32),
    ]
    assert block_windows(np.zeros((16, 16)), block=8) == []
    with pytest.raises(ValueError, match="fraction"):
        block_windows(heat, max_fraction=0)
