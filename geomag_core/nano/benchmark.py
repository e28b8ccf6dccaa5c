"""The small-object benchmark: how each way of looking at a scene finds its aircraft.

Strategies, all with the same nano model and query, per scene (XYXY boxes in scene pixels):

* ``a-downsampled``: the whole scene decimated to ``overview`` px on its long side, one pass;
* ``a'-equal-pixels``: the whole scene decimated to the pixel count GeoMag (c) spent on it;
* ``b-tiling``: exhaustive native-resolution tiles (``tile`` px), every scene pixel once;
* ``c-geomag-topk``: PSC heat map on the ``overview`` view, top-K windows (NMS), each window
  segmented at native resolution;
* ``d-geomag-adaptive``: the same heat map cut into blocks; the hottest are taken until they
  hold most of the heat or would cost more than a set share of the scene's pixels
  (:class:`~geomag_core.nano.search.BlockSearch`, what ``geomag ask`` does), each segmented at
  native resolution.

In (c) and (d), instances the heat map's view found outside every window (the same forward pass,
no extra pixels) are kept beside the windows' native ones
(:func:`~geomag_core.nano.search.coarse_instances`), as ``geomag ask`` keeps them.

Instances are connected components of the thresholded mask probabilities (stitched on one canvas
per scene, so aircraft cut by tile edges are whole again) of at least ``MIN_INSTANCE_PIXELS`` and
mean probability ``MIN_INSTANCE_SCORE``; they match the annotated boxes one to
one at IoU ≥ 0.5. Pixels count every image the model looked at (the heat map's view included);
tokens are the model's stride-16 image tokens.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import class_named
from geomag_core.nano.heat import NanoHeatMapSource
from geomag_core.nano.matching import Box, DetectionCounts, match_boxes
from geomag_core.nano.predictor import NanoModel, instances_from_probs
from geomag_core.nano.search import (
    MIN_INSTANCE_SCORE,
    BlockSearch,
    coarse_instances,
    min_fragment_pixels,
    search_scene,
)
from geomag_core.psc.windows import top_k_windows
from geomag_core.scene import Scene

__all__ = ["STRATEGIES", "BenchmarkConfig", "StrategyTotals", "run_scene", "tokens_for"]

STRATEGIES = ("a-downsampled", "a'-equal-pixels", "b-tiling", "c-geomag-topk", "d-geomag-adaptive")


@dataclass(frozen=True)
class BenchmarkConfig:
    """Sizes and thresholds (pixels are scene pixels unless said otherwise)."""

    query: str = "segment the aircraft"
    overview: int = 1024
    input_size: int = 640
    tile: int = 512
    window: int = 640
    window_stride: int = 160
    top_k: int = 3
    search: BlockSearch = field(default_factory=BlockSearch)
    min_native_pixels: int = min_fragment_pixels(class_named("aircraft"), 0.5)
    iou: float = 0.5


@dataclass
class StrategyTotals:
    """Sums over scenes for one strategy."""

    counts: DetectionCounts = field(default_factory=lambda: DetectionCounts(0, 0, 0))
    pixels: int = 0
    tokens: int = 0
    seconds: float = 0.0
    scenes: int = 0

    def add(self, counts: DetectionCounts, pixels: int, tokens: int, seconds: float) -> None:
        """Add one scene."""
        self.counts = self.counts + counts
        self.pixels += pixels
        self.tokens += tokens
        self.seconds += seconds
        self.scenes += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, per-scene means for pixels, tokens and time."""
        n = max(1, self.scenes)
        return {
            "recall": self.counts.recall,
            "precision": self.counts.precision,
            "f1": self.counts.f1,
            "tp": self.counts.tp,
            "predicted": self.counts.predicted,
            "truth": self.counts.truth,
            "pixels_per_scene": self.pixels / n,
            "tokens_per_scene": self.tokens / n,
            "seconds_per_scene": self.seconds / n,
        }


def tokens_for(height: int, width: int) -> int:
    """Nano's image tokens for an image: stride-16 cells of the 32-padded image."""
    return (-(-height // 32) * 2) * (-(-width // 32) * 2)


class _Canvas:
    """Scene-level probability canvas at ``scale`` processed pixels per scene pixel."""

    def __init__(self, scene: Scene, scale: float) -> None:
        self.scale = scale
        self.shape = (max(1, round(scene.height * scale)), max(1, round(scene.width * scale)))
        self.probs = np.zeros(self.shape, dtype=np.float32)
        self.pixels = 0
        self.tokens = 0
        self.extra: list[Box] = []  # instances found elsewhere (the heat map view's own)
        self.min_score = MIN_INSTANCE_SCORE

    def paint(self, model: NanoModel, image: NDArray[np.uint8], x0: int, y0: int, q: str) -> None:
        """Segment ``image`` (canvas pixels, top-left at ``(x0, y0)``) and keep the max."""
        probs, _ = model.segment(image, q)
        h, w = probs.shape
        region = self.probs[y0 : y0 + h, x0 : x0 + w]
        np.maximum(region, probs[: region.shape[0], : region.shape[1]], out=region)
        self.pixels += h * w
        self.tokens += tokens_for(h, w)

    def boxes(self, min_native_pixels: int) -> list[Box]:
        """Instance boxes in scene pixels."""
        min_px = max(3, round(min_native_pixels * self.scale**2))
        s = self.scale
        return [
            (i.box[0] / s, i.box[1] / s, i.box[2] / s, i.box[3] / s)
            for i in instances_from_probs(self.probs, min_pixels=min_px)
            if i.score >= self.min_score
        ] + self.extra


def _whole(model: NanoModel, scene: Scene, scale: float, cfg: BenchmarkConfig) -> _Canvas:
    canvas = _Canvas(scene, scale)
    image = scene.read(out_shape=canvas.shape)
    canvas.paint(model, image, 0, 0, cfg.query)
    return canvas


def _tiled(model: NanoModel, scene: Scene, cfg: BenchmarkConfig) -> _Canvas:
    canvas = _Canvas(scene, 1.0)
    for y0 in range(0, scene.height, cfg.tile):
        for x0 in range(0, scene.width, cfg.tile):
            box = PixelBox(
                x0, y0, min(x0 + cfg.tile, scene.width), min(y0 + cfg.tile, scene.height)
            )
            canvas.paint(model, scene.read(box), x0, y0, cfg.query)
    return canvas


def _windows(model: NanoModel, scene: Scene, cfg: BenchmarkConfig) -> _Canvas:
    heat, coarse = NanoHeatMapSource(model, input_size=cfg.overview).look(
        scene, PixelBox(0, 0, scene.width, scene.height), cfg.query
    )
    cell = abs(heat.to_scene.a)  # scene pixels per heat cell
    size = max(1, round(cfg.window / cell))
    stride = max(1, round(cfg.window_stride / cell))
    chosen = top_k_windows(heat.values, k=cfg.top_k, size=size, stride=stride)
    boxes = [heat.scene_box(w.cells) for w in chosen]
    canvas = _Canvas(scene, 1.0)
    canvas.pixels += heat.view_pixels
    canvas.tokens += tokens_for(*heat.view_shape)
    for box in boxes:
        canvas.paint(model, scene.read(box), box.x0, box.y0, cfg.query)
    for probs, to_scene, _ in coarse_instances(coarse, boxes, cfg.min_native_pixels):
        x0, y0 = to_scene @ (0, 0)
        x1, y1 = to_scene @ (probs.shape[1], probs.shape[0])
        canvas.extra.append((x0, y0, x1, y1))
    return canvas


def _product_search(model: NanoModel, scene: Scene, cfg: BenchmarkConfig) -> _Canvas:
    """(d): exactly what ``geomag ask`` does for aircraft (:func:`search_scene`)."""
    aircraft = class_named("aircraft")
    found = search_scene(
        model,
        scene,
        aircraft,
        gsd_m=aircraft.gsd_m,
        search=cfg.search,
        input_size=cfg.input_size,
        overview=cfg.overview,
    )
    canvas = _Canvas(scene, 1.0)
    canvas.pixels = found.view_pixels + found.native_pixels
    canvas.tokens = (tokens_for(*found.heat.view_shape) if found.heat else 0) + sum(
        tokens_for(b.height, b.width) for _, b in found.windows
    )
    canvas.extra = [f.box for f in found.instances]
    canvas.min_score = 2.0  # the instances are final: nothing more from the canvas
    return canvas


def run_scene(
    model: NanoModel,
    scene: Scene,
    truth: list[Box],
    cfg: BenchmarkConfig,
    totals: dict[str, StrategyTotals],
    on_strategy: Callable[[str], None] | None = None,
) -> None:
    """Run every strategy on ``scene`` and add its scores to ``totals`` (keyed by strategy)."""
    long_side = max(scene.width, scene.height)
    geomag_pixels = 0

    def record(name: str, make: Callable[[], _Canvas]) -> _Canvas:
        t = time.perf_counter()
        canvas = make()
        boxes = canvas.boxes(cfg.min_native_pixels)
        seconds = time.perf_counter() - t
        counts = match_boxes(boxes, truth, cfg.iou)
        totals.setdefault(name, StrategyTotals()).add(counts, canvas.pixels, canvas.tokens, seconds)
        if on_strategy:
            on_strategy(name)
        return canvas

    record("a-downsampled", lambda: _whole(model, scene, min(1.0, cfg.overview / long_side), cfg))
    record("b-tiling", lambda: _tiled(model, scene, cfg))
    geomag_pixels = record("c-geomag-topk", lambda: _windows(model, scene, cfg)).pixels
    record("d-geomag-adaptive", lambda: _product_search(model, scene, cfg))
    equal = min(1.0, math.sqrt(geomag_pixels / (scene.width * scene.height)))
    record("a'-equal-pixels", lambda: _whole(model, scene, equal, cfg))
