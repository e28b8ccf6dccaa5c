"""The history's verdicts as nano training targets (``geomag train nano --feedback``).

Reads every judged result (:func:`db.history.find_all_results`, rejected ones included) and
turns it into the plain values nano's training takes (:mod:`geomag_core.nano.feedback`), per
scene and nano class:

* accepted and corrected results, and objects the analyst added → targets: the box around the
  result's pixel outline (for a correction, the analyst's outline, not the model's);
* rejected results → hard negatives (the box around the model's outline);
* results without a verdict, answers without a shape, objects the analyst added and then
  rejected, and labels that name no nano class (counted per label) → left out.

Labels are read through the label registry (:func:`geomag_core.labels.canonical_label`), so
legacy spellings count as their class: ``vehicle`` as ``car``, ``storage tank`` as
``oil-storage tank``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from geomag_core.labels import canonical_label
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.nano.datasets import ObjectBox
from geomag_core.nano.feedback import SceneFeedback, TrainingFeedback

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry
    from sqlalchemy import Engine

    from db.history import ResultRecord

__all__ = ["box_in_pixels", "read_training_feedback", "training_feedback"]

_CLASSES = {c.name for c in NANO_CLASSES}


def box_in_pixels(outline_px: BaseGeometry) -> ObjectBox:
    """The box around an outline in the history's pixel frame (x = column, y = −row).

    Returns XYXY in scene pixels, rows down (the frame nano's boxes use).
    """
    x0, y0, x1, y1 = outline_px.bounds
    return ObjectBox(float(x0), float(-y1), float(x1), float(-y0))


def training_feedback(records: list[ResultRecord], source: str = "") -> TrainingFeedback:
    """Targets and hard negatives per (scene, nano class) from stored results and verdicts."""
    from db.enums import ResultKind, Verdict

    targets: dict[tuple[str, str], list[ObjectBox]] = defaultdict(list)
    negatives: dict[tuple[str, str], list[ObjectBox]] = defaultdict(list)
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    ignored: Counter[str] = Counter()
    unjudged = withdrawn = without_shape = 0
    for r in records:
        if r.kind == ResultKind.ANSWER:
            continue
        if r.verdict is None:
            unjudged += 1
            continue
        name = canonical_label(r.label or "")
        if name not in _CLASSES:
            ignored[(r.label or "").strip() or "(no label)"] += 1
            continue
        assert name is not None
        if r.added and r.verdict == Verdict.REJECT:
            withdrawn += 1  # the analyst took back an object they added: not a model error
            continue
        if r.outline_px is not None and not r.outline_px.is_empty:
            box = box_in_pixels(r.outline_px)
        elif r.pixel_box is not None:
            px = r.pixel_box
            box = ObjectBox(float(px.x0), float(px.y0), float(px.x1), float(px.y1))
        else:
            without_shape += 1
            continue
        key = (r.scene_uri, name)
        if r.verdict == Verdict.REJECT:
            negatives[key].append(box)
            counts[key]["reject"] += 1
        else:
            targets[key].append(box)
            counts[key]["add" if r.added else str(r.verdict)] += 1
    scenes = tuple(
        SceneFeedback(
            path=Path(uri),
            class_name=name,
            targets=tuple(targets[(uri, name)]),
            negatives=tuple(negatives[(uri, name)]),
            verdicts=dict(counts[(uri, name)]),
        )
        for uri, name in sorted(counts)
    )
    return TrainingFeedback(
        scenes=scenes,
        source=source,
        ignored_labels=dict(ignored),
        unjudged=unjudged,
        withdrawn=withdrawn,
        without_shape=without_shape,
    )


def read_training_feedback(engine: Engine) -> TrainingFeedback:
    """Every verdict stored in ``engine``'s history, as nano training targets."""
    from db.engine import redacted
    from db.history import HistoryFilter, find_all_results

    records = find_all_results(engine, HistoryFilter(include_rejected=True))
    return training_feedback(records, source=redacted(engine.url))
