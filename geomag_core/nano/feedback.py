"""An analyst's verdicts as nano training targets: per scene and class, boxes and hard negatives.

``geomag train nano --feedback`` folds the verdicts stored in the history into training. They
reach this package as plain values (the database is read outside ``geomag_core``, by
``agent/cli/feedback_targets.py``):

* :class:`SceneFeedback`: one scene and one nano class; ``targets`` are the boxes of the results
  the analyst accepted or corrected (the corrected outline, not the model's) and of the objects
  they added; ``negatives`` the boxes of the results they rejected. All XYXY in the scene's
  pixels (column, row; rows down; exclusive upper bounds), as :class:`ObjectBox` is everywhere.
* :class:`TrainingFeedback`: every such scene, with what was left out and why, and the summary
  stored in the weights' metadata (:meth:`TrainingFeedback.summary`).

Training (:func:`geomag_core.nano.training.build_cache`) adds each scene to its class's training
scenes with the crops a training scene of that class gets, and adds crops centred on each
rejected box, always asked for the class, whose target is only the accepted objects in the crop.

A scene in a validation split is no longer held out once its verdicts are learned from:
:func:`validation_overlap` names them, and the CLI and the metadata say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomag_core.nano.datasets import DATASETS, ObjectBox, load_split

__all__ = [
    "VERDICT_KINDS",
    "SceneFeedback",
    "TrainingFeedback",
    "dataset_of_class",
    "validation_overlap",
]

#: The kinds of verdict counted: ``add`` is an object the analyst added (the tool missed it).
VERDICT_KINDS = ("accept", "correct", "add", "reject")


@dataclass(frozen=True)
class SceneFeedback:
    """The verdicts on one scene for one nano class, as training targets.

    Attributes:
        path: the scene file.
        class_name: the nano class (``aircraft``, ``oil-storage tank``, ``car``).
        targets: accepted, corrected and added objects, XYXY in scene pixels.
        negatives: rejected results, XYXY in scene pixels.
        verdicts: how many of each kind in :data:`VERDICT_KINDS` (missing kinds: 0).

    """

    path: Path
    class_name: str
    targets: tuple[ObjectBox, ...] = ()
    negatives: tuple[ObjectBox, ...] = ()
    verdicts: Mapping[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        """Verdicts of ``kind`` (one of :data:`VERDICT_KINDS`)."""
        return int(self.verdicts.get(kind, 0))


@dataclass(frozen=True)
class TrainingFeedback:
    """Every scene with verdicts of a nano class, and what was read but not used.

    Attributes:
        scenes: one entry per (scene, class), in a stable order (path, then class).
        source: where the verdicts were read (a database URL with any password hidden).
        ignored_labels: label as stored → judged results left out because the label names no
            nano class.
        unjudged: results with no verdict (left out).
        withdrawn: objects the analyst added and later rejected (left out, not negatives).
        without_shape: judged results of a nano class with no pixel outline or box (left out).

    """

    scenes: tuple[SceneFeedback, ...]
    source: str = ""
    ignored_labels: Mapping[str, int] = field(default_factory=dict)
    unjudged: int = 0
    withdrawn: int = 0
    without_shape: int = 0

    def __bool__(self) -> bool:
        return bool(self.scenes)

    @property
    def ignored(self) -> int:
        """Judged results left out because their label is not a nano class."""
        return sum(self.ignored_labels.values())

    def verdicts(self, class_name: str | None = None) -> dict[str, int]:
        """Verdicts of each kind, of one class or of all."""
        return {
            kind: sum(s.count(kind) for s in self.scenes if class_name in (None, s.class_name))
            for kind in VERDICT_KINDS
        }

    def summary(self) -> dict[str, Any]:
        """JSON-ready: verdicts per kind and class, the scenes, what was left out and why.

        ``not_held_out`` lists the scenes that are in a validation split
        (:func:`validation_overlap`): evaluation on them is no longer held out.
        """
        classes = sorted({s.class_name for s in self.scenes})
        out: dict[str, Any] = {
            "source": self.source,
            "verdicts": self.verdicts(),
            "scenes": len({s.path for s in self.scenes}),
            "by_class": {
                c: self.verdicts(c) | {"scenes": sum(1 for s in self.scenes if s.class_name == c)}
                for c in classes
            },
            "scene_files": [
                {"scene": s.path.name, "class": s.class_name, **dict(s.verdicts)}
                for s in self.scenes
            ],
            "ignored": {
                "not_a_nano_class": dict(self.ignored_labels),
                "unjudged": self.unjudged,
                "added_then_rejected": self.withdrawn,
                "without_shape": self.without_shape,
            },
            "not_held_out": validation_overlap(self),
        }
        return out


def dataset_of_class(class_name: str) -> str:
    """The data set whose boxes are ``class_name`` (``car`` → ``cars``)."""
    for name, spec in DATASETS.items():
        if spec.class_name == class_name:
            return name
    raise KeyError(class_name)


def validation_overlap(feedback: TrainingFeedback) -> list[dict[str, str]]:
    """Feedback scenes whose file is in a data set's validation split (by file name).

    Evaluation on such a scene is no longer held out: the model learned from its verdicts.
    Returns ``{"scene", "class", "split"}`` entries (``split``: the data set, e.g. ``aircraft``).
    """
    val = {name: set(load_split(spec.split_file)["val"]) for name, spec in DATASETS.items()}
    found = []
    for s in feedback.scenes:
        for dataset, names in val.items():
            if s.path.name in names:
                found.append({"scene": s.path.name, "class": s.class_name, "split": dataset})
    return found
