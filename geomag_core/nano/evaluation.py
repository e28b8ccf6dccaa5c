"""``geomag eval nano``: per-class scores on the validation splits, searched as ``geomag ask`` does.

For each class: its data set's validation scenes are searched for it (:func:`search_scene`, the
product's search, with the size rule at the class's training GSD since these scenes have no CRS);
instances match annotated boxes one to one at box IoU ≥ 0.5 and ≥ 0.3. Recall is also split by
the annotated box's longer side. Cross-class false positives are the instances reported when the
scene holds none of the asked class: each class asked on the other data sets' validation scenes
and on the NAIP validation tiles. NAIP tiles have a CRS (5 m): there the product's resolution rule
applies first (no class is looked for that coarse); the model's own count without that rule is
reported beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geomag_core.nano.classes import NANO_CLASSES, ObjectClass, scene_gsd
from geomag_core.nano.datasets import DATASETS, LabelledScene, load_scenes
from geomag_core.nano.matching import Box, DetectionCounts, match_pairs
from geomag_core.nano.search import BlockSearch, search_scene
from geomag_core.scene import Scene

if TYPE_CHECKING:
    from geomag_core.nano.predictor import NanoModel

__all__ = ["SIZE_BINS", "ClassScore", "CrossClass", "evaluate"]

#: Recall by the annotated box's longer side, in pixels: ``(key, low, high)``, low ≤ side < high.
SIZE_BINS: tuple[tuple[str, float, float], ...] = (
    ("<12", 0.0, 12.0),
    ("12-20", 12.0, 20.0),
    ("20-35", 20.0, 35.0),
    ("35-70", 35.0, 70.0),
    (">=70", 70.0, float("inf")),
)
_IOUS = (0.5, 0.3)


def _size_key(box: Box) -> str:
    side = max(box[2] - box[0], box[3] - box[1])
    return next(k for k, lo, hi in SIZE_BINS if lo <= side < hi)


@dataclass
class ClassScore:
    """One class on its data set's validation split."""

    dataset: str
    scenes: int = 0
    counts: dict[float, DetectionCounts] = field(
        default_factory=lambda: {t: DetectionCounts(0, 0, 0) for t in _IOUS}
    )
    by_size: dict[float, dict[str, list[int]]] = field(
        default_factory=lambda: {t: {k: [0, 0] for k, _, _ in SIZE_BINS} for t in _IOUS}
    )
    implausible: int = 0
    seconds: float = 0.0
    searched_fraction: float = 0.0

    def add(
        self,
        predicted: list[Box],
        truth: list[Box],
        implausible: int,
        seconds: float,
        searched: float,
    ) -> None:
        """Score one scene."""
        self.scenes += 1
        self.implausible += implausible
        self.seconds += seconds
        self.searched_fraction += searched
        for t in _IOUS:
            pairs = match_pairs(predicted, truth, t)
            self.counts[t] = self.counts[t] + DetectionCounts(
                len(pairs), len(predicted), len(truth)
            )
            hit = {j for _, j in pairs}
            for j, box in enumerate(truth):
                cell = self.by_size[t][_size_key(box)]
                cell[0] += j in hit
                cell[1] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        n = max(1, self.scenes)
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "split": "val",
            "scenes": self.scenes,
            "implausible_refused": self.implausible,
            "seconds_per_scene": self.seconds / n,
            "searched_fraction": self.searched_fraction / n,
        }
        for t in _IOUS:
            c = self.counts[t]
            key = f"iou{round(t * 100)}"
            out[key] = {
                "recall": c.recall,
                "precision": c.precision,
                "f1": c.f1,
                "tp": c.tp,
                "predicted": c.predicted,
                "truth": c.truth,
            }
            out[f"recall_by_size_{key}"] = {
                k: {"tp": tp, "truth": n_t, "recall": tp / n_t if n_t else None}
                for k, (tp, n_t) in self.by_size[t].items()
            }
        return out


@dataclass
class CrossClass:
    """Instances of one class reported on scenes that hold none of it."""

    per_dataset: dict[str, list[int]] = field(default_factory=dict)
    model_only_naip: list[int] = field(default_factory=list)

    @property
    def scenes(self) -> int:
        """Scenes asked."""
        return sum(len(v) for v in self.per_dataset.values())

    @property
    def reported(self) -> int:
        """Instances reported over all those scenes."""
        return sum(sum(v) for v in self.per_dataset.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "scenes": self.scenes,
            "reported": self.reported,
            "per_scene": self.reported / max(1, self.scenes),
            "per_dataset": {
                k: {"scenes": len(v), "reported": sum(v), "per_scene_counts": v}
                for k, v in self.per_dataset.items()
            },
            "naip_model_only": self.model_only_naip,
        }


def _boxes(found: list[Any]) -> list[Box]:
    return [f.box for f in found]


def evaluate(
    model: NanoModel,
    shared_dir: Path,
    *,
    classes: tuple[ObjectClass, ...] = NANO_CLASSES,
    search: BlockSearch | None = None,
    limit: int | None = None,
    cross: bool = True,
    on_scene: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Per-class scores and cross-class false positives on the validation splits.

    Args:
        model: the nano model.
        shared_dir: the shared data folder.
        classes: classes to score.
        search: the block search (default: the product's).
        limit: at most this many scenes per data set (quick runs).
        cross: also ask each class on scenes without it.
        on_scene: called after each search with a short description.

    """
    scenes: dict[str, list[LabelledScene]] = {
        name: load_scenes(shared_dir, name, "val")[:limit] for name in DATASETS
    }
    per_class: dict[str, ClassScore] = {}
    cross_fp: dict[str, CrossClass] = {}
    for target in classes:
        own = next(n for n, spec in DATASETS.items() if spec.class_name == target.name)
        score = ClassScore(dataset=own)
        for labelled in scenes[own]:
            t = time.perf_counter()
            found = search_scene(
                model, Scene(labelled.path), target, gsd_m=target.gsd_m, search=search
            )
            truth = [b.as_tuple() for b in labelled.boxes]
            score.add(
                _boxes(found.instances),
                truth,
                len(found.implausible),
                time.perf_counter() - t,
                found.searched_fraction,
            )
            if on_scene:
                on_scene(f"{target.name} on {own}")
        per_class[target.name] = score
        if not cross:
            continue
        fp = CrossClass()
        for name, spec in DATASETS.items():
            if spec.class_name == target.name:
                continue
            counts = fp.per_dataset.setdefault(name, [])
            for labelled in scenes[name]:
                scene = Scene(labelled.path)
                gsd = scene_gsd(scene)
                if gsd is not None and gsd > target.max_gsd_m:
                    counts.append(0)  # the product does not look: too coarse for the class
                    raw = search_scene(model, scene, target, gsd_m=gsd, search=search)
                    fp.model_only_naip.append(len(raw.instances))
                else:
                    found = search_scene(
                        model, scene, target, gsd_m=gsd or target.gsd_m, search=search
                    )
                    counts.append(len(found.instances))
                if on_scene:
                    on_scene(f"{target.name} on {name}")
        cross_fp[target.name] = fp
    return {
        "classes": {k: v.as_dict() for k, v in per_class.items()},
        "cross_class": {k: v.as_dict() for k, v in cross_fp.items()},
        "scenes": {k: [s.path.name for s in v] for k, v in scenes.items()},
    }
