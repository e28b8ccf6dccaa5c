from __future__ import annotations

import pytest

from geomag_core.nano.matching import DetectionCounts, box_iou, match_boxes


def test_iou() -> None:
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_matching_is_one_to_one_at_the_threshold() -> None:
    truth = [(0, 0, 10, 10), (100, 100, 120, 120), (200, 200, 210, 210)]
    predicted = [
        (0, 0, 10, 10),  # exact
        (1, 0, 11, 10),  # duplicate of the first truth: IoU 0.82 but already taken
        (100, 100, 120, 130),  # IoU 400/600 = 0.67
        (205, 200, 215, 210),  # IoU 50/150 = 0.33: a miss
    ]
    counts = match_boxes(predicted, truth, 0.5)
    assert counts == DetectionCounts(tp=2, predicted=4, truth=3)
    assert counts.recall == pytest.approx(2 / 3)
    assert counts.precision == pytest.approx(0.5)
    assert counts.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    total = counts + DetectionCounts(1, 1, 1)
    assert (total.tp, total.predicted, total.truth) == (3, 5, 4)
