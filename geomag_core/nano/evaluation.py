"""``geomag eval nano``: per-class scores on the validation splits, searched as ``geomag ask`` does.

For each class: its data set's validation scenes are searched for it (:func:`search_scene`, the
product's search, with the size rule at the scene's GSD where it has a CRS, else at the class's
training GSD, as for the JPEG sets);
instances match annotated boxes one to one at box IoU ≥ 0.5 and ≥ 0.3. Recall is also split by
the annotated box's longer side. Cross-class false positives are the instances reported when the
scene holds none of the asked class: each class asked on the other data sets' validation scenes
and on the NAIP validation tiles and Sentinel-2 ports. Where a scene is too coarse for the class
(NAIP's 5 m, the ports' ~8 m) the product's resolution rule applies first and nothing is looked
for; the model's own count without that rule is reported beside it.

``coarsen`` asks what the search does on a scene at another scale: each validation scene is read
resampled ``coarsen`` times coarser (its boxes likewise) and searched at ``coarsen`` × the class's
GSD, as a georeferenced scene at that GSD is; ``normalise=False`` reads it without the scale
normalisation (:meth:`ObjectClass.reading_scale`), for the comparison.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geomag_core.nano.classes import NANO_CLASSES, ObjectClass, scene_gsd
from geomag_core.nano.datasets import DATASETS, LabelledScene, load_scenes
from geomag_core.nano.matching import Box, DetectionCounts, match_pairs
from geomag_core.nano.outlines import ELONGATION_PERCENTILE, OutlineScale, elongation
from geomag_core.nano.search import AutoSearch, BlockSearch, search_scene
from geomag_core.scene import Scene

if TYPE_CHECKING:
    from geomag_core.nano.predictor import NanoModel

__all__ = ["SIZE_BINS", "ClassScore", "CrossClass", "calibrate_outlines", "evaluate"]

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
    refused_true: int = 0
    misshapen: int = 0
    misshapen_true: int = 0
    seconds: float = 0.0
    searched_fraction: float = 0.0

    def add(
        self,
        predicted: list[Box],
        truth: list[Box],
        implausible: list[Box],
        seconds: float,
        searched: float,
        *,
        misshapen: list[Box] | None = None,
    ) -> None:
        """Score one scene (the instances refused for their size, and for their shape)."""
        self.scenes += 1
        self.implausible += len(implausible)
        misshapen = misshapen or []
        self.misshapen += len(misshapen)
        # refused yet an annotated object that nothing reported found (IoU ≥ 0.5)
        hit50 = {j for _, j in match_pairs(predicted, truth, 0.5)}
        missed = [b for j, b in enumerate(truth) if j not in hit50]
        self.refused_true += len(match_pairs(implausible, missed, 0.5))
        self.misshapen_true += len(match_pairs(misshapen, missed, 0.5))
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
            "refused_true_objects": self.refused_true,
            "misshapen_refused": self.misshapen,
            "misshapen_true_objects": self.misshapen_true,
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
    model_only_coarse: list[int] = field(default_factory=list)

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
            "too_coarse_model_only": self.model_only_coarse,
        }


def _boxes(found: list[Any]) -> list[Box]:
    return [f.box for f in found]


@contextmanager
def _at_scale(labelled: LabelledScene, coarsen: float) -> Iterator[tuple[Scene, list[Box]]]:
    """The scene and its boxes, resampled ``coarsen`` times coarser (as they are at 1.0)."""
    truth = [b.as_tuple() for b in labelled.boxes]
    if coarsen == 1.0:
        yield Scene(labelled.path), truth
        return
    from PIL import Image

    with Image.open(labelled.path) as image, tempfile.TemporaryDirectory() as tmp:
        w, h = image.size
        size = (max(1, round(w / coarsen)), max(1, round(h / coarsen)))
        kind = Image.Resampling.BOX if coarsen > 1 else Image.Resampling.BILINEAR
        path = Path(tmp) / f"{labelled.path.stem}.png"
        image.convert("RGB").resize(size, kind).save(path)
        sx, sy = size[0] / w, size[1] / h
        yield Scene(path), [(x0 * sx, y0 * sy, x1 * sx, y1 * sy) for x0, y0, x1, y1 in truth]


def evaluate(
    model: NanoModel,
    shared_dir: Path,
    *,
    classes: tuple[ObjectClass, ...] = NANO_CLASSES,
    search: AutoSearch | BlockSearch | None = None,
    limit: int | None = None,
    cross: bool = True,
    on_scene: Callable[[str], None] | None = None,
    coarsen: float = 1.0,
    normalise: bool = True,
) -> dict[str, Any]:
    """Per-class scores and cross-class false positives on the validation splits.

    Args:
        model: the nano model.
        shared_dir: the shared data folder.
        classes: classes to score.
        search: how to search (default: the product's :class:`AutoSearch`); the record says its
            score floor (``min_score``).
        limit: at most this many scenes per data set (quick runs).
        cross: also ask each class on scenes without it.
        on_scene: called after each search with a short description.
        coarsen: read each class's own scenes this many times coarser (see the module).
        normalise: resample to the class's training scale (``False``: read as they are).

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
            # the scene's own GSD where it has a CRS (ports), else the class's training GSD
            own_gsd = (scene_gsd(Scene(labelled.path)) or target.gsd_m) * coarsen
            with _at_scale(labelled, coarsen) as (scene, truth):
                found = search_scene(
                    model,
                    scene,
                    target,
                    gsd_m=own_gsd,
                    search=search,
                    scale=None if normalise else 1.0,
                )
            score.add(
                _boxes(found.instances),
                truth,
                _boxes(found.implausible),
                time.perf_counter() - t,
                found.searched_fraction,
                misshapen=_boxes(found.misshapen),
            )
            if on_scene:
                on_scene(f"{target.name} on {own}")
        per_class[target.name] = score
        if not cross:
            continue
        fp = CrossClass()
        for name, spec in DATASETS.items():
            if spec.class_name == target.name or target.name in spec.unlabelled:
                continue  # its own scenes, or ones that may hold it unlabelled
            counts = fp.per_dataset.setdefault(name, [])
            for labelled in scenes[name]:
                scene = Scene(labelled.path)
                gsd = scene_gsd(scene)
                if gsd is not None and gsd > target.max_gsd_m:
                    counts.append(0)  # the product does not look: too coarse for the class
                    raw = search_scene(model, scene, target, gsd_m=gsd, search=search)
                    fp.model_only_coarse.append(len(raw.instances))
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
        "coarsen": coarsen,
        "normalised": normalise,
        "min_score": (search or AutoSearch()).min_score,
    }


def calibrate_outlines(
    model: NanoModel,
    shared_dir: Path,
    *,
    classes: tuple[ObjectClass, ...] = NANO_CLASSES,
    scenes_per_class: int = 20,
    seed: int = 0,
    on_scene: Callable[[str], None] | None = None,
) -> dict[str, OutlineScale]:
    """How each class's outlines relate to its objects, on a seeded sample of *training* scenes.

    Each scene is searched as ``geomag ask`` searches, with the recipe's growth (``1 / shrink``);
    instances (reported or refused for size) match annotated boxes one to one at IoU ≥ 0.5 (a
    blob of two merged objects rarely does, so merges do not widen the spread), and each pair
    gives object length / outline length (longer box sides, before growth). The median becomes
    the growth, the 5th and 95th percentiles the spread the size rule allows, and, for a
    round class, the ``ELONGATION_PERCENTILE``-th percentile of the matched outlines'
    elongation the shape rule.
    """
    import numpy as np

    measured = dict(model.outlines)
    model.outlines = {}  # measure against the recipe's growth, not a previous calibration
    try:
        out: dict[str, OutlineScale] = {}
        for target in classes:
            own = next(n for n, spec in DATASETS.items() if spec.class_name == target.name)
            scenes = load_scenes(shared_dir, own, "train")
            random.Random(seed).shuffle(scenes)
            grow = model.outline_scale(target.name).grow
            ratios: list[float] = []
            shapes: list[float] = []
            for labelled in scenes[:scenes_per_class]:
                found = search_scene(model, Scene(labelled.path), target, gsd_m=target.gsd_m)
                every = found.instances + found.implausible + found.misshapen
                boxes = _boxes(every)
                truth = [b.as_tuple() for b in labelled.boxes]
                for i, j in match_pairs(boxes, truth, 0.5):
                    core = _longer(boxes[i]) / grow
                    if core > 0:
                        ratios.append(_longer(truth[j]) / core)
                        shapes.append(elongation(every[i].mask.mask))
                if on_scene:
                    on_scene(f"{target.name}: {len(ratios)} pairs")
            if ratios:
                low, mid, high = (float(v) for v in np.percentile(ratios, [5, 50, 95]))
                shape = (
                    float(np.percentile(shapes, ELONGATION_PERCENTILE)) if target.round else None
                )
                out[target.name] = OutlineScale(mid, low, high, len(ratios), shape)
        return out
    finally:
        model.outlines = measured


def _longer(box: Box) -> float:
    return max(box[2] - box[0], box[3] - box[1])
