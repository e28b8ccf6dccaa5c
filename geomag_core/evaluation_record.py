"""A model's measured quality, read from the evaluation record stored beside its weights.

``geomag eval nano --json > geomag_core/nano/weights/nano.eval.json`` writes the record the app's
banner quotes: claims about a model's quality come from this file, never from hand-written text.
Only what a claim needs is read: per class, recall and precision at box IoU ≥ 0.5, the split
they were measured on and whether it was held out, and the analyst feedback the weights learned
from (``geomag train nano --feedback``), if any.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geomag_core.errors import CheckpointError

__all__ = ["ClassQuality", "EvaluationRecord", "evaluation_path", "read_evaluation"]


@dataclass(frozen=True)
class ClassQuality:
    """One class's measured recall and precision (box IoU ≥ 0.5).

    Attributes:
        name: the class (``aircraft``).
        split: the data split measured (``val``).
        recall: share of the annotated objects found, in ``[0, 1]``; ``None`` when not measured.
        precision: share of the reported objects that are annotated ones; ``None`` likewise.
        held_out: ``False`` when the weights learned from analyst verdicts on some of the
            scenes scored (their evaluation is then not held out); records written before
            feedback existed are held out.

    """

    name: str
    split: str
    recall: float | None
    precision: float | None
    held_out: bool = True


@dataclass(frozen=True)
class EvaluationRecord:
    """The classes an evaluation record scores, in its order, and the file it came from.

    ``feedback``: the analyst feedback the weights learned from, as ``geomag train nano
    --feedback`` summarised it (verdicts per kind and class, scenes); ``None`` without.
    """

    classes: tuple[ClassQuality, ...]
    path: Path
    feedback: dict[str, Any] | None = None

    @property
    def splits(self) -> list[str]:
        """The splits measured, each once, in class order."""
        return list(dict.fromkeys(c.split for c in self.classes))


def evaluation_path(weights: Path) -> Path:
    """Where the evaluation record of ``weights`` lives: ``<stem>.eval.json`` beside it."""
    return weights.with_name(f"{weights.stem}.eval.json")


def read_evaluation(weights: Path) -> EvaluationRecord | None:
    """The evaluation record beside ``weights``; ``None`` when there is none.

    Raises:
        CheckpointError: the file exists but is not a ``geomag eval nano --json`` record (the
            message says how to write it again).

    """
    path = evaluation_path(weights)
    if not path.is_file():
        return None
    redo = f"write it again with `geomag eval nano --json > {path}`"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        classes = tuple(
            _class_quality(name, scores) for name, scores in dict(record["classes"]).items()
        )
        feedback = record.get("feedback")
        if feedback is not None and not isinstance(feedback, dict):
            raise TypeError(f"'feedback' is a {type(feedback).__name__}, not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"evaluation record {str(path)!r} is unreadable ({type(exc).__name__}: {exc}); {redo}"
        ) from exc
    if not classes:
        raise CheckpointError(f"evaluation record {str(path)!r} scores no class; {redo}")
    return EvaluationRecord(classes=classes, path=path, feedback=feedback)


def _class_quality(name: str, scores: dict[str, Any]) -> ClassQuality:
    at_50 = scores["iou50"]
    return ClassQuality(
        name=str(name),
        split=str(scores["split"]),
        recall=_share(at_50["recall"]),
        precision=_share(at_50["precision"]),
        held_out=bool(scores.get("held_out", True)),
    )


def _share(value: Any) -> float | None:
    """A recall or precision in ``[0, 1]``, ``None`` for a missing one; anything else is refused."""
    if value is None:
        return None
    share = float(value)
    if math.isnan(share):
        return None
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{share} is not a share in [0, 1]")
    return share
