"""Detection scores: one-to-one matching of predicted and true boxes at an IoU threshold.

Boxes are XYXY (exclusive upper bounds) in the same frame (scene pixels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DetectionCounts", "box_iou", "match_boxes", "match_pairs"]

Box = tuple[float, float, float, float]


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two XYXY boxes (0 when either is empty)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class DetectionCounts:
    """True positives, predictions and ground truths; recall, precision and F1 from them."""

    tp: int
    predicted: int
    truth: int

    def __add__(self, other: DetectionCounts) -> DetectionCounts:
        return DetectionCounts(
            self.tp + other.tp, self.predicted + other.predicted, self.truth + other.truth
        )

    @property
    def recall(self) -> float:
        """TP / truth (1 when there is nothing to find)."""
        return self.tp / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        """TP / predicted (1 when nothing was predicted)."""
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match_boxes(
    predicted: Sequence[Box], truth: Sequence[Box], iou_threshold: float = 0.5
) -> DetectionCounts:
    """Greedy one-to-one matching, highest IoU first; a pair counts when IoU ≥ the threshold."""
    return DetectionCounts(
        len(match_pairs(predicted, truth, iou_threshold)), len(predicted), len(truth)
    )


def match_pairs(
    predicted: Sequence[Box], truth: Sequence[Box], iou_threshold: float = 0.5
) -> list[tuple[int, int]]:
    """The matched ``(predicted index, truth index)`` pairs of :func:`match_boxes`."""
    pairs = sorted(
        (
            (box_iou(p, t), i, j)
            for i, p in enumerate(predicted)
            for j, t in enumerate(truth)
            if box_iou(p, t) >= iou_threshold
        ),
        reverse=True,
    )
    used_p: set[int] = set()
    used_t: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            out.append((i, j))
    return out
