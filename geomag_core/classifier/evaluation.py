"""Classification metrics: accuracy, per-class precision/recall and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from geomag_core.classifier.labels import LABELS
from geomag_core.granularity import Granularity

__all__ = ["ClassMetrics", "ClassifierMetrics", "evaluate"]


@dataclass(frozen=True)
class ClassMetrics:
    """Precision and recall of one granularity."""

    precision: float
    """Of the queries predicted as this class, the share that are (0 when none predicted)."""
    recall: float
    """Of the queries labelled this class, the share predicted as it (0 when none labelled)."""
    support: int
    """Queries labelled this class."""


@dataclass(frozen=True)
class ClassifierMetrics:
    """Metrics of one labelled set."""

    n: int
    """Queries evaluated."""
    accuracy: float
    """Share predicted correctly."""
    per_class: dict[Granularity, ClassMetrics]
    """Precision/recall per granularity, in ``LABELS`` order."""
    confusion: list[list[int]]
    """``confusion[i][j]``: queries labelled ``LABELS[i]`` predicted as ``LABELS[j]``."""
    errors: list[tuple[str, Granularity, Granularity]] = field(default_factory=list)
    """``(text, label, predicted)`` of every miss, when texts were given."""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (labels as strings)."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 6),
            "per_class": {
                g.value: {
                    "precision": round(m.precision, 6),
                    "recall": round(m.recall, 6),
                    "support": m.support,
                }
                for g, m in self.per_class.items()
            },
            "confusion": {
                "labels": [g.value for g in LABELS],
                "rows_true_cols_predicted": self.confusion,
            },
            "errors": [
                {"text": t, "label": y.value, "predicted": p.value} for t, y, p in self.errors
            ],
        }


def evaluate(
    labels: Sequence[Granularity],
    predicted: Sequence[Granularity],
    texts: Sequence[str] | None = None,
) -> ClassifierMetrics:
    """Compare ``predicted`` with ``labels`` (same length, same order)."""
    if len(labels) != len(predicted) or (texts is not None and len(texts) != len(labels)):
        raise ValueError("labels, predictions and texts must have the same length")
    if not labels:
        raise ValueError("nothing to evaluate")
    index = {g: i for i, g in enumerate(LABELS)}
    confusion = [[0] * len(LABELS) for _ in LABELS]
    for y, p in zip(labels, predicted, strict=True):
        confusion[index[y]][index[p]] += 1
    per_class = {}
    for i, g in enumerate(LABELS):
        tp = confusion[i][i]
        predicted_as = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        per_class[g] = ClassMetrics(
            precision=tp / predicted_as if predicted_as else 0.0,
            recall=tp / support if support else 0.0,
            support=support,
        )
    correct = sum(confusion[i][i] for i in range(len(LABELS)))
    errors = (
        [(t, y, p) for t, y, p in zip(texts, labels, predicted, strict=True) if y != p]
        if texts is not None
        else []
    )
    return ClassifierMetrics(
        n=len(labels),
        accuracy=correct / len(labels),
        per_class=per_class,
        confusion=confusion,
        errors=errors,
    )
