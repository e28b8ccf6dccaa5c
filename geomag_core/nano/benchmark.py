"""The small-object benchmark: how each way of looking at a scene finds one class's objects.

Strategies, all with the same nano model, class and prompt, per scene (XYXY boxes in scene
pixels). Native-resolution reads of a class with a ``zoom`` are magnified by it when the weights
were trained so (tanks), in every strategy alike:

* ``a-downsampled``: the whole scene decimated to ``overview`` px on its long side, one pass;
* ``a'-equal-pixels``: the whole scene decimated to the pixel count GeoMag (c) spent on it;
* ``b-tiling``: exhaustive native-resolution tiles (``tile`` px), every scene pixel once;
* ``c-geomag-topk``: PSC heat map on the ``overview`` view, top-K windows (NMS), each window
  segmented at native resolution;
* ``d-geomag-adaptive``: the same heat map cut into blocks; the hottest are taken until they
  hold most of the heat or would cost more than a set share of the scene's pixels
  (:class:`~geomag_core.nano.search.BlockSearch`), each segmented at native resolution;
* ``e-auto``: what ``geomag ask`` does (:class:`~geomag_core.nano.search.AutoSearch`): the
  overview's own instances where it resolves the objects, native resolution only around the
  doubtful ones and, when the objects are small at the overview's scale, at the hottest blocks;
  on a scene the overview sees more than 4× down, through the iterative zoom's finer looks
  (:class:`~geomag_core.nano.search.ZoomLevels`);
* ``e'-auto-one-level`` (large scenes only, :data:`LARGE_SCENE_STRATEGIES`): ``e-auto``
  without the iterative zoom, planning its native windows on the overview however coarse.

In (c), (d) and (e), instances the heat map's view found outside every window (the same forward
pass, no extra pixels) are kept beside the windows' native ones
(:func:`~geomag_core.nano.search.coarse_instances`), as ``geomag ask`` keeps them.

Instances are connected components of the thresholded mask probabilities (stitched on one canvas
per scene, so objects cut by tile edges are whole again) of at least a fragment's pixels and
mean probability ``MIN_INSTANCE_SCORE``; they match the annotated boxes one to one at IoU ≥ 0.5
and ≥ 0.3, with recall by the object's size. Pixels count every image the model looked at (the
heat map's view included) in scene pixels; tokens are the model's stride-16 image tokens of what
it segmented (magnified reads count their magnified tokens).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from geomag_core.boxes import PixelBox
from geomag_core.nano.classes import ObjectClass, class_named
from geomag_core.nano.evaluation import ClassScore
from geomag_core.nano.heat import NanoHeatMapSource
from geomag_core.nano.instances import PixelMaps
from geomag_core.nano.matching import Box
from geomag_core.nano.search import (
    MIN_INSTANCE_SCORE,
    AutoSearch,
    BlockSearch,
    ZoomLevels,
    coarse_instances,
    magnified_segment,
    min_fragment_pixels,
    search_scene,
)
from geomag_core.psc.windows import top_k_windows
from geomag_core.scene import Scene

if TYPE_CHECKING:
    from geomag_core.nano.predictor import NanoModel

__all__ = [
    "LARGE_SCENE_STRATEGIES",
    "STRATEGIES",
    "BenchmarkConfig",
    "StrategyTotals",
    "run_scene",
    "tokens_for",
]

STRATEGIES = (
    "a-downsampled",
    "a'-equal-pixels",
    "b-tiling",
    "c-geomag-topk",
    "d-geomag-adaptive",
    "e-auto",
)
#: The large-scene benchmark's strategies: the six, and ``e-auto`` without iterative zoom.
LARGE_SCENE_STRATEGIES = (*STRATEGIES, "e'-auto-one-level")


@dataclass(frozen=True)
class BenchmarkConfig:
    """Sizes and thresholds (pixels are scene pixels unless said otherwise).

    ``target`` names the nano class looked for; ``query`` is its prompt unless given.
    """

    target: str = "aircraft"
    query: str = ""
    overview: int = 1024
    input_size: int = 640
    tile: int = 512
    window: int = 640
    window_stride: int = 160
    top_k: int = 3
    search: BlockSearch = field(default_factory=BlockSearch)
    iou: float = 0.5

    @property
    def object_class(self) -> ObjectClass:
        """The class looked for."""
        return class_named(self.target)

    @property
    def prompt(self) -> str:
        """The model's text."""
        return self.query or self.object_class.prompt

    @property
    def min_native_pixels(self) -> int:
        """Fragments: smaller components at native resolution are not instances."""
        target = self.object_class
        return min_fragment_pixels(target, target.gsd_m)


@dataclass
class StrategyTotals:
    """Sums over scenes for one strategy: matches at both IoUs and by size, pixels, time."""

    score: ClassScore = field(default_factory=lambda: ClassScore(dataset=""))
    pixels: int = 0
    tokens: int = 0
    seconds: float = 0.0
    scenes: int = 0

    def add(
        self, predicted: list[Box], truth: list[Box], pixels: int, tokens: int, seconds: float
    ) -> None:
        """Add one scene."""
        self.score.add(predicted, truth, [], seconds, 0.0)
        self.pixels += pixels
        self.tokens += tokens
        self.seconds += seconds
        self.scenes += 1

    def as_dict(self, iou: float = 0.5) -> dict[str, Any]:
        """JSON-ready: scores at ``iou`` on top, both IoUs and sizes below; per-scene means."""
        n = max(1, self.scenes)
        scored = self.score.as_dict()
        main = scored[f"iou{round(iou * 100)}"]
        return {
            **{k: main[k] for k in ("recall", "precision", "f1", "tp", "predicted", "truth")},
            "iou50": scored["iou50"],
            "iou30": scored["iou30"],
            "recall_by_size": scored[f"recall_by_size_iou{round(iou * 100)}"],
            "recall_by_size_iou50": scored["recall_by_size_iou50"],
            "recall_by_size_iou30": scored["recall_by_size_iou30"],
            "pixels_per_scene": self.pixels / n,
            "tokens_per_scene": self.tokens / n,
            "seconds_per_scene": self.seconds / n,
        }


def tokens_for(height: int, width: int) -> int:
    """Nano's image tokens for an image: stride-16 cells of the 32-padded image."""
    return (-(-height // 32) * 2) * (-(-width // 32) * 2)


class _Canvas:
    """Scene-level probability canvas at ``scale`` processed pixels per scene pixel.

    ``grow``: the model outlines cores (``1 / shrink``); instances grow back about their
    centre, as :func:`~geomag_core.nano.search.search_scene` grows them. ``centres``: the
    model has a centre head, whose map is painted too (instances are scored with it).
    """

    def __init__(
        self, scene: Scene, scale: float, grow: float = 1.0, centres: bool = False
    ) -> None:
        self.scale = scale
        self.grow = grow
        self.shape = (max(1, round(scene.height * scale)), max(1, round(scene.width * scale)))
        self.maps = PixelMaps.empty(self.shape, centres)
        self.pixels = 0
        self.tokens = 0
        self.extra: list[Box] = []  # instances found elsewhere (the heat map view's own)
        self.min_score = MIN_INSTANCE_SCORE

    def paint(
        self,
        model: NanoModel,
        image: NDArray[np.uint8],
        x0: int,
        y0: int,
        q: str,
        zoom: float = 1.0,
    ) -> None:
        """Segment ``image`` (canvas pixels, top-left at ``(x0, y0)``) and keep the max."""
        maps = magnified_segment(model, image, q, zoom)
        h, w = maps.probs.shape
        self.maps.merge(slice(y0, y0 + h), slice(x0, x0 + w), maps)
        self.pixels += h * w
        self.tokens += tokens_for(round(h * zoom), round(w * zoom))

    def boxes(self, min_native_pixels: int) -> list[Box]:
        """Instance boxes in scene pixels."""
        # Fragments are judged on the cores, before they grow back (as the search judges them).
        min_px = max(3, round(min_native_pixels * (self.scale / self.grow) ** 2))
        s = self.scale
        return [
            _grown((i.box[0] / s, i.box[1] / s, i.box[2] / s, i.box[3] / s), self.grow)
            for i in self.maps.instances(min_pixels=min_px)
            if i.score >= self.min_score
        ] + self.extra


def _grown(box: Box, factor: float) -> Box:
    """``box`` scaled by ``factor`` about its centre."""
    if factor == 1.0:
        return box
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * factor / 2, (box[3] - box[1]) * factor / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def _grow_of(model: NanoModel, cfg: BenchmarkConfig) -> float:
    """How much the model's instances grow back (its measured outline scale, or ``1 / shrink``)."""
    return model.outline_scale(cfg.target).grow


def _whole(model: NanoModel, scene: Scene, scale: float, cfg: BenchmarkConfig) -> _Canvas:
    canvas = _Canvas(scene, scale, _grow_of(model, cfg), model.has_centres)
    image = scene.read(out_shape=canvas.shape)
    canvas.paint(model, image, 0, 0, cfg.prompt)
    return canvas


def _zoom(model: NanoModel, cfg: BenchmarkConfig) -> float:
    """Magnification of native reads: the class's, when the weights learned it."""
    return model.zoom_for(cfg.object_class)


def _tiled(model: NanoModel, scene: Scene, cfg: BenchmarkConfig) -> _Canvas:
    canvas = _Canvas(scene, 1.0, _grow_of(model, cfg), model.has_centres)
    for y0 in range(0, scene.height, cfg.tile):
        for x0 in range(0, scene.width, cfg.tile):
            box = PixelBox(
                x0, y0, min(x0 + cfg.tile, scene.width), min(y0 + cfg.tile, scene.height)
            )
            canvas.paint(model, scene.read(box), x0, y0, cfg.prompt, _zoom(model, cfg))
    return canvas


def _windows(model: NanoModel, scene: Scene, cfg: BenchmarkConfig) -> _Canvas:
    heat, coarse = NanoHeatMapSource(model, input_size=cfg.overview).look(
        scene, PixelBox(0, 0, scene.width, scene.height), cfg.prompt
    )
    cell = abs(heat.to_scene.a)  # scene pixels per heat cell
    size = max(1, round(cfg.window / cell))
    stride = max(1, round(cfg.window_stride / cell))
    chosen = top_k_windows(heat.values, k=cfg.top_k, size=size, stride=stride)
    boxes = [heat.scene_box(w.cells) for w in chosen]
    canvas = _Canvas(scene, 1.0, _grow_of(model, cfg), model.has_centres)
    canvas.pixels += heat.view_pixels
    canvas.tokens += tokens_for(*heat.view_shape)
    for box in boxes:
        canvas.paint(model, scene.read(box), box.x0, box.y0, cfg.prompt, _zoom(model, cfg))
    min_core = max(3, round(cfg.min_native_pixels / canvas.grow**2))
    for probs, to_scene, _ in coarse_instances(coarse, boxes, min_core):
        x0, y0 = to_scene @ (0, 0)
        x1, y1 = to_scene @ (probs.shape[1], probs.shape[0])
        canvas.extra.append(_grown((x0, y0, x1, y1), canvas.grow))
    return canvas


def _searched(
    model: NanoModel,
    scene: Scene,
    cfg: BenchmarkConfig,
    search: AutoSearch | BlockSearch,
    levels: ZoomLevels | None = None,
) -> _Canvas:
    """(d) and (e): :func:`search_scene` with block coverage or, as ``geomag ask``, auto."""
    target = cfg.object_class
    found = search_scene(
        model,
        scene,
        target,
        gsd_m=target.gsd_m,
        search=search,
        input_size=cfg.input_size,
        overview=cfg.overview,
        levels=levels,
    )
    canvas = _Canvas(scene, 1.0)
    canvas.pixels = found.view_pixels + found.native_pixels
    zoom = _zoom(model, cfg)
    canvas.tokens = (tokens_for(*found.heat.view_shape) if found.heat else 0) + sum(
        tokens_for(round(b.height * zoom), round(b.width * zoom)) for _, b in found.windows
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
    only: Collection[str] = STRATEGIES,
) -> None:
    """Run the strategies ``only`` names on ``scene``; add their scores to ``totals`` (by name).

    ``a'-equal-pixels`` needs ``c-geomag-topk``'s pixel count: it runs (uncounted) if not asked.
    """
    long_side = max(scene.width, scene.height)
    geomag_pixels = 0

    def record(name: str, make: Callable[[], _Canvas]) -> _Canvas | None:
        if name not in only:
            return make() if name == "c-geomag-topk" and "a'-equal-pixels" in only else None
        t = time.perf_counter()
        canvas = make()
        boxes = canvas.boxes(cfg.min_native_pixels)
        seconds = time.perf_counter() - t
        totals.setdefault(name, StrategyTotals()).add(
            boxes, truth, canvas.pixels, canvas.tokens, seconds
        )
        if on_strategy:
            on_strategy(name)
        return canvas

    record("a-downsampled", lambda: _whole(model, scene, min(1.0, cfg.overview / long_side), cfg))
    record("b-tiling", lambda: _tiled(model, scene, cfg))
    topk = record("c-geomag-topk", lambda: _windows(model, scene, cfg))
    geomag_pixels = topk.pixels if topk is not None else 0
    record("d-geomag-adaptive", lambda: _searched(model, scene, cfg, cfg.search))
    auto = AutoSearch(blocks=cfg.search)
    record("e-auto", lambda: _searched(model, scene, cfg, auto))
    flat = ZoomLevels(max_scale=math.inf)
    record("e'-auto-one-level", lambda: _searched(model, scene, cfg, auto, flat))
    equal = min(1.0, math.sqrt(geomag_pixels / (scene.width * scene.height)))
    record("a'-equal-pixels", lambda: _whole(model, scene, equal, cfg))
