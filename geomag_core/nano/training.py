"""Training nano on aircraft, oil-storage tanks and cars at once (cached backbone features).

Recipe (seeded): ``crop``-px crops from the training split of every data set
(:data:`~geomag_core.nano.datasets.DATASETS`; per data set a crop count and the scales it is seen
at), 70 % centred near an object with jitter, 30 % anywhere; random flips and quarter turns. The
ImageNet backbone runs once per crop and is cached (with ``tune_backbone`` only its stem is, and
the blocks after it are trained with the head). Scale 1 is native resolution (what PSC windows
are segmented at); smaller scales are area-averaged from a larger region (what the heat map's
whole-scene view looks like: a 2560-px scene seen at 1024 px is scale 0.4), so the attention learns
to point at objects in the overview too.

Each sample pairs a crop with a prompt: the crop's own class (target: its box-derived ellipses),
another nano class or a class nano never learns (target: empty). So each class's scenes are the
other classes' negatives, and the NAIP tiles (no class visible at 5 m) are negatives for all. The
head (neck, fusion, [SEG] projection, decoder) is trained with BCE + Dice, plus a cross-entropy
that pulls the last fusion layer's text→image attention towards the target (so the PSC heat map
points at objects).

Analyst feedback (:mod:`geomag_core.nano.feedback`, ``geomag train nano --feedback``): each scene
with verdicts joins its class's training scenes with the crops a training scene of that class
gets (times ``feedback_weight``), its targets the accepted, corrected and added objects; each
rejected result adds crops centred on it that are always asked for its class, with only the
accepted objects in the crop as target (hard negatives). These crops are drawn after the
recipe's own with a generator of their own, so the recipe's crops are the same with or without
feedback.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from geomag_core.decoder.losses import mask_loss
from geomag_core.errors import DatasetError
from geomag_core.nano.backbone import (
    BACKBONE_STRIDES,
    build_backbone,
    levels_from_stem,
    stem,
    tuned_parameters,
)
from geomag_core.nano.classes import NANO_CLASSES
from geomag_core.nano.datasets import DATASETS, LabelledScene, ObjectBox, ellipse_mask, load_scenes
from geomag_core.nano.feedback import SceneFeedback
from geomag_core.nano.model import NanoHead, NanoOutput, normalise
from geomag_core.nano.prompts import NEGATIVE_PROMPTS, POSITIVE_PROMPTS
from geomag_core.nano.recipe import DEFAULT_MIX, DatasetMix, NanoTrainConfig
from geomag_core.nano.text import TextTokens, text_tokens
from geomag_core.scene import Scene

__all__ = [
    "DEFAULT_MIX",
    "DatasetMix",
    "FeatureCache",
    "NanoTrainConfig",
    "NanoTrainReport",
    "ask_crop",
    "attention_loss",
    "build_cache",
    "centre_loss",
    "centre_targets",
    "class_responses",
    "lost_classes",
    "train_nano",
    "train_step",
]


@dataclass
class NanoTrainReport:
    """What a run did."""

    losses: list[float] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    crops: int = 0
    scenes: dict[str, int] = field(default_factory=dict)
    feedback_crops: int = 0
    """Crops of the scenes with verdicts (their targets and the hard negatives)."""
    hard_negative_crops: int = 0
    """Of them, crops centred on rejected results."""
    backbone: torch.nn.Module | None = None
    """With ``tune_backbone``: the backbone the head was trained with (saved beside it)."""
    responses: dict[str, float] = field(default_factory=dict)
    """Per class, the trained head's highest mask probability on its own training crops
    (:func:`class_responses`): under 0.5 the class cannot yield a single instance."""
    watched: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    """With ``watch``: ``(steps done, responses)`` every ``watch`` steps."""


@dataclass
class FeatureCache:
    """Backbone levels of cached crops (float16), ``(N, H, W)`` bool targets and crop classes.

    With ``tune_backbone`` ``levels`` holds one map, the frozen :func:`stem`'s output, and
    :meth:`batch` runs the tuned blocks on it.

    ``classes[i]`` is the nano class of crop ``i``'s targets (``None`` for negatives-only sets);
    ``asked[i]``, when set, is the one class crop ``i`` is asked for (with an empty target): a
    crop of another class's scene seen at that class's magnification, as the search sees it.
    ``hard[i]``, when set, marks a crop centred on a result an analyst rejected: it is always
    asked for its own class, and its target (the accepted objects in it) is kept.
    """

    levels: list[torch.Tensor]
    targets: torch.Tensor
    classes: list[str | None]
    asked: list[str | None] = field(default_factory=list)
    hard: list[bool] = field(default_factory=list)
    feedback_crops: int = 0
    """The last crops, drawn from scenes with verdicts (hard negatives included)."""
    reads: int = 4
    """How many backbone levels, the coarsest last, the head reads (5 from stride 2)."""

    def batch(self, index: torch.Tensor, backbone: torch.nn.Module | None) -> list[torch.Tensor]:
        """The levels the head reads, of crops ``index`` (``backbone``: tuned; ``None``: cached)."""
        cached = [lv[index].float() for lv in self.levels]
        if backbone is None:
            return cached
        return levels_from_stem(backbone, cached[0])[-self.reads :]


#: Each data set's class → the classes its scenes may hold unlabelled (never asked there).
_UNLABELLED: dict[str | None, tuple[str, ...]] = {
    spec.class_name: spec.unlabelled for spec in DATASETS.values() if spec.class_name
}


def _sample_crop(
    rng: random.Random, boxes: tuple[ObjectBox, ...], size: tuple[int, int], side: int
) -> tuple[int, int]:
    """Top-left of a ``side``-px crop of a ``(width, height)`` image, usually near an object."""
    w, h = size
    if boxes and rng.random() < 0.7:
        b = rng.choice(boxes)
        cx = (b.x0 + b.x1) / 2 + rng.uniform(-side / 3, side / 3)
        cy = (b.y0 + b.y1) / 2 + rng.uniform(-side / 3, side / 3)
        x0, y0 = int(cx - side / 2), int(cy - side / 2)
    else:
        x0, y0 = rng.randrange(0, w - side + 1), rng.randrange(0, h - side + 1)
    return min(max(0, x0), w - side), min(max(0, y0), h - side)


def _scaled_crop(
    rng: random.Random,
    image: Image.Image,
    boxes: tuple[ObjectBox, ...],
    crop: int,
    scale: float,
    shrink: float = 1.0,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """A ``crop``-px crop of a ``crop / scale``-px region (area-averaged) and its target.

    The region is at most the image's shorter side; a smaller image is seen a little larger.
    """
    side = min(image.width, image.height, round(crop / scale))
    x0, y0 = _sample_crop(rng, boxes, image.size, side)
    return _crop_at(image, boxes, crop, side, (x0, y0), shrink)


def _centred_crop(
    rng: random.Random,
    image: Image.Image,
    centre: ObjectBox,
    boxes: tuple[ObjectBox, ...],
    crop: int,
    scale: float,
    shrink: float = 1.0,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Like :func:`_scaled_crop`, but centred on ``centre`` (jittered by up to 1/8 of the side)."""
    side = min(image.width, image.height, round(crop / scale))
    cx = (centre.x0 + centre.x1) / 2 + rng.uniform(-side / 8, side / 8)
    cy = (centre.y0 + centre.y1) / 2 + rng.uniform(-side / 8, side / 8)
    x0 = min(max(0, int(cx - side / 2)), image.width - side)
    y0 = min(max(0, int(cy - side / 2)), image.height - side)
    return _crop_at(image, boxes, crop, side, (x0, y0), shrink)


def _crop_at(
    image: Image.Image,
    boxes: tuple[ObjectBox, ...],
    crop: int,
    side: int,
    corner: tuple[int, int],
    shrink: float,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The ``side``-px region at scene pixel ``corner`` seen at ``crop`` px, and its target."""
    x0, y0 = corner
    region = image.crop((x0, y0, x0 + side, y0 + side))
    if side != crop:
        # Area-average when shrinking; bilinear when magnifying (as the search magnifies).
        resample = Image.Resampling.BOX if side > crop else Image.Resampling.BILINEAR
        region = region.resize((crop, crop), resample)
    s = crop / side
    scaled = [b.scaled(s) for b in boxes]
    mask = ellipse_mask(scaled, (x0 * s, y0 * s), (crop, crop), shrink)
    return np.asarray(region, dtype=np.uint8), mask


def _open_rgb(path: Path) -> Image.Image:
    """The scene as 8-bit RGB (GeoTIFFs through :class:`Scene`, so band order and stretch match)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        return Image.fromarray(Scene(path).read())
    return Image.open(path).convert("RGB")


@dataclass
class _Crops:
    """Crops drawn so far, before the backbone sees them (one entry per crop in each list)."""

    pixels: list[NDArray[np.uint8]] = field(default_factory=list)
    targets: list[NDArray[np.bool_]] = field(default_factory=list)
    classes: list[str | None] = field(default_factory=list)
    asked: list[str | None] = field(default_factory=list)
    hard: list[bool] = field(default_factory=list)
    feedback_crops: int = 0
    """The last crops, drawn from scenes with verdicts (hard negatives included)."""

    def add(
        self,
        rng: random.Random,
        drawn: tuple[NDArray[np.uint8], NDArray[np.bool_]],
        name: str | None,
        asked: str | None = None,
        hard: bool = False,
    ) -> None:
        """Turn and flip one crop and its target at random (seeded), and keep them."""
        pixels, mask = drawn
        k, flip = rng.randrange(4), rng.random() < 0.5
        pixels, mask = np.rot90(pixels, k), np.rot90(mask, k)
        if flip:
            pixels, mask = pixels[:, ::-1], mask[:, ::-1]
        self.pixels.append(np.ascontiguousarray(pixels))
        self.targets.append(np.ascontiguousarray(mask))
        self.classes.append(name)
        self.asked.append(asked)
        self.hard.append(hard)


def _seen(
    config: NanoTrainConfig, mix: DatasetMix, name: str | None
) -> tuple[list[float], list[float], float]:
    """``(scales, weights, shrink)``: how a set's crops are seen, and its targets' core factor.

    Native crops are seen as the search will look at them: magnified by the class's zoom.
    """
    zoom = config.zoom_of(name)
    scales = [zoom if s == 1.0 else s for s, _ in mix.scales]
    weights = [w for _, w in mix.scales]
    shrink = 1.0 if name in config.whole_classes else config.target_shrink
    return scales, weights, shrink


def _plans(
    config: NanoTrainConfig, name: str | None, count: int, scales: list[float], weights: list[float]
) -> list[tuple[int, list[float], list[float], str | None]]:
    """``(crops, scales, weights, asked)``: a set's own crops, then its zoom negatives.

    Each magnified class is also asked on this set's crops at its own magnification (empty
    targets): the search looks for tanks on an airport at ×2 too. Not a class the set may hold
    unlabelled (ships in a refinery's port).
    """
    zoomed = [c for c in NANO_CLASSES if config.zoom_of(c.name) != 1.0]
    return [(count, scales, weights, None)] + [
        (round(count * config.zoom_negatives), [config.zoom_of(c.name)], [1.0], c.name)
        for c in zoomed
        if c.name != name and c.name not in _UNLABELLED.get(name, ()) and config.zoom_negatives > 0
    ]


def build_cache(
    scenes: dict[str, list[LabelledScene]],
    config: NanoTrainConfig,
    backbone: torch.nn.Module,
    class_of: dict[str, str | None],
    on_progress: Callable[[int, int], None] | None = None,
    *,
    feedback: Sequence[SceneFeedback] = (),
) -> FeatureCache:
    """Crop, augment and run the frozen backbone (its stem with ``tune_backbone``) once per crop.

    Args:
        scenes: training scenes per data set.
        config: crop counts, scales and seed.
        backbone: the image backbone (frozen while the cache is built).
        class_of: data set → the nano class its boxes are (``None``: negatives only).
        on_progress: called with ``(done, total)`` crops.
        feedback: scenes with an analyst's verdicts: each adds the crops a training scene of
            its class's data set gets (× ``config.feedback_weight``) with its accepted objects
            as targets, and ``config.feedback_negative_crops`` hard-negative crops per rejected
            result. Drawn after the recipe's crops, with a generator of their own.

    """
    rng = random.Random(config.seed)
    reads = len(BACKBONE_STRIDES) - BACKBONE_STRIDES.index(config.finest_stride)
    drawn = _Crops()
    for mix in config.mix:
        ids = scenes[mix.dataset]
        name = class_of[mix.dataset]
        scales, weights, shrink = _seen(config, mix, name)
        for count, plan_scales, plan_weights, only in _plans(
            config, name, mix.crops, scales, weights
        ):
            per_scene = [count // len(ids)] * len(ids)
            for i in range(count - sum(per_scene)):
                per_scene[i] += 1
            for scene, n in zip(ids, per_scene, strict=True):
                if n == 0:
                    continue
                image = _open_rgb(scene.path)
                for _ in range(n):
                    scale = rng.choices(plan_scales, plan_weights)[0]
                    crop = _scaled_crop(rng, image, scene.boxes, config.crop, scale, shrink)
                    drawn.add(rng, crop, name, only)
    recipe = len(drawn.pixels)
    for mix in config.mix:  # after every recipe crop: the recipe's crops stay as they were
        name = class_of[mix.dataset]
        mine = [f for f in feedback if f.class_name == name]
        if mine:
            scales, weights, shrink = _seen(config, mix, name)
            share = max(1, round(mix.crops / len(scenes[mix.dataset]) * config.feedback_weight))
            _feedback_crops(drawn, mine, config, name, share, scales, weights, shrink)
    levels: list[list[torch.Tensor]] = []
    backbone.eval()
    crops = drawn.pixels
    with torch.no_grad():
        for start in range(0, len(crops), 16):
            batch = torch.from_numpy(np.stack(crops[start : start + 16])).permute(0, 3, 1, 2)
            ready = normalise(batch.float() / 255.0)
            feats = [stem(backbone, ready)] if config.tune_backbone else backbone(ready)[-reads:]
            levels.append([f.to(torch.float16) for f in feats])
            if on_progress:
                on_progress(min(start + 16, len(crops)), len(crops))
    return FeatureCache(
        levels=[torch.cat([lv[i] for lv in levels]) for i in range(len(levels[0]))],
        targets=torch.from_numpy(np.stack(drawn.targets)),
        classes=drawn.classes,
        asked=drawn.asked,
        hard=drawn.hard if any(drawn.hard) else [],
        feedback_crops=len(drawn.pixels) - recipe,
        reads=reads,
    )


def _feedback_crops(
    drawn: _Crops,
    feedback: list[SceneFeedback],
    config: NanoTrainConfig,
    name: str | None,
    share: int,
    scales: list[float],
    weights: list[float],
    shrink: float,
) -> None:
    """Crops of the scenes with verdicts of class ``name``: as a training scene's, then hard ones.

    Each scene gets ``share`` crops (what a training scene of its data set gets on average,
    times ``config.feedback_weight``), with the same scales and zoom negatives; each rejected
    box ``config.feedback_negative_crops`` crops centred on it, asked for ``name``.
    """
    # A generator of its own (seeded), so the recipe's crops do not move when feedback is added.
    rng = random.Random(f"nano-feedback-{config.seed}-{name}")
    for scene in feedback:
        image = _open_rgb(scene.path)
        for count, plan_scales, plan_weights, only in _plans(config, name, share, scales, weights):
            for _ in range(count):
                scale = rng.choices(plan_scales, plan_weights)[0]
                crop = _scaled_crop(rng, image, scene.targets, config.crop, scale, shrink)
                drawn.add(rng, crop, name, only)
        for negative in scene.negatives:
            for _ in range(config.feedback_negative_crops):
                scale = rng.choices(scales, weights)[0]
                crop = _centred_crop(
                    rng, image, negative, scene.targets, config.crop, scale, shrink
                )
                drawn.add(rng, crop, name, hard=True)


def attention_loss(out: NanoOutput, targets: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between the target's share per image token and the last layer's attention.

    Args:
        out: the forward pass (last layer attention ``(B, heads, Q, N)``).
        targets: ``(B, H, W)`` {0, 1} crop targets.
        weight: ``(B,)`` 1 for samples whose attention should point at the target, else 0.

    """
    rows, cols = out.grid
    share = F.adaptive_avg_pool2d(targets[:, None].float(), (rows, cols)).flatten(1)
    share = share / share.sum(1, keepdim=True).clamp(min=1e-6)
    attn = out.attentions[-1].mean(1)  # (B, Q, N)
    valid = out.query_valid.to(attn.dtype)
    mean_attn = (attn * valid[:, :, None]).sum(1) / valid.sum(1, keepdim=True)
    ce = -(share * torch.log(mean_attn.clamp(min=1e-8))).sum(1)
    return (ce * weight).sum() / weight.sum().clamp(min=1.0)


def scale_loss(out: NanoOutput, targets: torch.Tensor) -> torch.Tensor:
    """Mean BCE of each pyramid level's logits against the target's share of its cells.

    Computed on logits, its gradient (``p - y``) never vanishes: a class whose masks saturated
    at 0 (small tanks and cars, outnumbered by empty targets) still learns. Without it, such a
    class could collapse to empty masks for good (two of three classes did, in one run).
    """
    terms = []
    for logits in out.decoded.scale_logits:
        # Training crops are multiples of 32 px: each level's grid tiles the crop exactly.
        grid = (int(logits.shape[-2]), int(logits.shape[-1]))
        share = F.adaptive_avg_pool2d(targets[:, None].float(), grid)
        terms.append(F.binary_cross_entropy_with_logits(logits, share))
    return torch.stack(terms).mean() if terms else targets.new_zeros((), dtype=torch.float32)


#: Target objects with less area than this (crop pixels) weigh more with ``--small-weight``:
#: a 20-px tank's core seen at the search's ×2 (a disc 20 × 2 × 0.7 = 28 px across).
SMALL_OBJECT_AREA = 616.0


def small_object_weights(targets: torch.Tensor, max_weight: float) -> torch.Tensor | None:
    """Per-pixel BCE weights: each target object's pixels weigh ``sqrt(SMALL_OBJECT_AREA / area)``.

    Bounded to ``[1, max_weight]``; background pixels weigh 1. Without it, a crop's loss is
    mostly its large objects' pixels: a 10-px tank's core is ~150 crop pixels, a 40-px tank's
    ~2,500. Objects are the target's connected components (cores of neighbours are apart by
    training). ``None`` when ``max_weight`` is 1 (every pixel once, the shipped recipe).
    """
    if max_weight <= 1.0:
        return None
    masks = targets.detach().cpu().numpy().astype(bool)
    weights = np.ones(masks.shape, dtype=np.float32)
    eight = np.ones((3, 3), dtype=bool)
    for k, mask in enumerate(masks):
        labels, count = ndimage.label(mask, structure=eight)
        if count == 0:
            continue
        areas = np.bincount(labels.ravel())[1:].astype(np.float32)
        per_object = np.clip(np.sqrt(SMALL_OBJECT_AREA / areas), 1.0, max_weight)
        weights[k][mask] = per_object[labels[mask] - 1]
    return torch.from_numpy(weights).to(targets.device)


def centre_targets(targets: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """``(B, 1, h, w)`` centre heat of ``(B, H, W)`` bool targets on a ``grid`` of cells.

    Each target object (a connected component) gets its distance to the background divided
    by its own largest distance: 1 at its centre, falling to 0 at its edge, whatever its size.
    Two touching cars merged into one blob keep a dip between their centres. Each cell holds
    the largest value in it, so every object has a cell of exactly 1 (its centre).
    """
    masks = targets.detach().cpu().numpy().astype(bool)
    heat = np.zeros(masks.shape, dtype=np.float32)
    eight = np.ones((3, 3), dtype=bool)
    for k, mask in enumerate(masks):
        if not mask.any():
            continue
        labels, count = ndimage.label(mask, structure=eight)
        distance = ndimage.distance_transform_edt(mask)
        peak = ndimage.maximum(distance, labels, index=np.arange(1, count + 1))
        # float64 throughout: each peak divided by itself is exactly 1
        heat[k][mask] = distance[mask] / np.asarray(peak, dtype=np.float64)[labels[mask] - 1]
    pooled = F.adaptive_max_pool2d(torch.from_numpy(heat)[:, None], grid)
    return pooled.to(targets.device)


def centre_loss(logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """CenterNet's focal loss of ``(B, 1, h, w)`` centre logits against :func:`centre_targets`.

    Centre cells (heat 1) pull ``p`` up, weighted ``(1 - p)²``; every other cell pushes it
    down, weighted ``p²`` (confident mistakes count most) and ``(1 - heat)⁴`` (an object's
    own cells near its centre hardly count). Summed, over the number of centres in the batch.
    """
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    centre = (heat >= 1.0).to(p.dtype)
    positive = centre * (1 - p) ** 2 * torch.log(p)
    negative = (1 - centre) * (1 - heat) ** 4 * p**2 * torch.log(1 - p)
    return -(positive.sum() + negative.sum()) / centre.sum().clamp(min=1.0)


def train_step(
    head: NanoHead,
    optimiser: torch.optim.Optimizer,
    levels: list[torch.Tensor],
    text: TextTokens,
    targets: torch.Tensor,
    attention_weight: float = 0.5,
    grad_clip: float | None = None,
    small_weight: float = 1.0,
    centre_weight: float = 0.0,
) -> float:
    """One optimiser step on a batch; returns the loss before the step.

    ``grad_clip``: the gradient's norm is clipped to it (``None``: not clipped, the shipped
    recipe). A four-class run without it diverged mid-training (see the README).
    ``small_weight``: small target objects' pixels weigh up to this much more in the BCE
    (:func:`small_object_weights`; 1: not).
    ``centre_weight``: weight of :func:`centre_loss` (a head built with ``centres``).
    """
    head.train()  # a tuned backbone stays in eval mode: its batch norms keep ImageNet's statistics
    size = (int(targets.shape[-2]), int(targets.shape[-1]))
    out = head([lv.float() for lv in levels], text, size)
    probs = out.decoded.masks[:, 0]
    weights = small_object_weights(targets, small_weight)
    loss = mask_loss(probs, targets, pixel_weight=weights) + scale_loss(out, targets)
    has = (targets.flatten(1).sum(1) > 0).float()
    if attention_weight > 0:
        loss = loss + attention_weight * attention_loss(out, targets, has)
    if out.centre_logits is not None and centre_weight > 0:
        heat = centre_targets(targets, (out.centre_logits.shape[-2], out.centre_logits.shape[-1]))
        loss = loss + centre_weight * centre_loss(out.centre_logits, heat)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    if grad_clip is not None:
        trained = [p for group in optimiser.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(trained, grad_clip)
    optimiser.step()
    return float(loss.detach())


def train_nano(
    shared_dir: Path,
    config: NanoTrainConfig,
    *,
    on_cache: Callable[[int, int], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
    feedback: Sequence[SceneFeedback] = (),
    watch: int = 0,
    on_watch: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[NanoHead, NanoTrainReport]:
    """Train a :class:`NanoHead` on the training splits of the data sets under ``shared_dir``.

    ``feedback``: scenes with an analyst's verdicts, added to their class's training scenes
    (see :func:`build_cache`).

    ``watch``: every ``watch`` steps, each class's :func:`class_responses` is measured, kept in
    the report and given to ``on_watch`` with the steps done. A class lost mid-run is then seen
    within minutes, not at the end of a run of an hour. Watching draws no random numbers, so a
    watched run trains the same head as an unwatched one.

    Raises:
        DatasetError: a feedback scene's file is missing, or its class has no data set in
            ``config.mix``.

    """
    _check_feedback(feedback, config)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    report = NanoTrainReport()
    t0 = time.perf_counter()
    scenes = {m.dataset: load_scenes(shared_dir, m.dataset, "train") for m in config.mix}
    class_of = {m.dataset: DATASETS[m.dataset].class_name for m in config.mix}
    backbone = build_backbone(pretrained=True)
    cache = build_cache(scenes, config, backbone, class_of, on_cache, feedback=feedback)
    report.crops = int(cache.targets.shape[0])
    report.scenes = {k: len(v) for k, v in scenes.items()}
    report.hard_negative_crops = sum(cache.hard)
    report.feedback_crops = cache.feedback_crops
    names = list(POSITIVE_PROMPTS)
    prompts = [p for n in names for p in POSITIVE_PROMPTS[n]] + list(NEGATIVE_PROMPTS)
    tokens = text_tokens(prompts)
    ranges: dict[str | None, range] = {}
    start = 0
    for name in names:
        ranges[name] = range(start, start + len(POSITIVE_PROMPTS[name]))
        start += len(POSITIVE_PROMPTS[name])
    absent = range(start, len(prompts))
    report.seconds["cache"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    head = NanoHead(finest_stride=config.finest_stride, centres=config.centre_weight > 0)
    groups: list[dict[str, Any]] = [{"params": list(head.parameters()), "lr": config.lr}]
    tuned = backbone if config.tune_backbone else None
    for p in backbone.parameters():
        p.requires_grad_(False)
    if tuned is not None:
        blocks = tuned_parameters(tuned)
        for p in blocks:
            p.requires_grad_(True)
        groups.append({"params": blocks, "lr": config.lr * config.backbone_lr})
    optimiser = torch.optim.AdamW(groups, lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser,
        max_lr=[float(g["lr"]) for g in groups],
        total_steps=config.steps,
        pct_start=0.05,
    )
    n = int(cache.targets.shape[0])
    frozen_steps = round(config.steps * config.head_first) if tuned is not None else config.steps
    for step in range(config.steps):
        index = rng.sample(range(n), min(config.batch_size, n))
        asked = [ask_crop(rng, cache, i, ranges, absent, config) for i in index]
        prompt_ids, keep = [p for p, _ in asked], [k for _, k in asked]
        idx = torch.tensor(index)
        targets = cache.targets[idx] & torch.tensor(keep)[:, None, None]
        with torch.set_grad_enabled(step >= frozen_steps):  # the blocks join after the head
            levels = cache.batch(idx, tuned)
        loss = train_step(
            head,
            optimiser,
            levels,
            tokens.select(torch.tensor(prompt_ids)),
            targets,
            config.attention_weight,
            config.grad_clip,
            config.small_weight,
            config.centre_weight,
        )
        schedule.step()
        report.losses.append(loss)
        if on_step:
            on_step(step, loss)
        if watch > 0 and (step + 1) % watch == 0:
            seen = class_responses(head, cache, tokens, ranges, backbone=tuned)
            report.watched.append((step + 1, seen))
            if on_watch:
                on_watch(step + 1, seen)
    report.seconds["train"] = time.perf_counter() - t1
    if tuned is not None:
        report.backbone = tuned.requires_grad_(False).eval()
    report.responses = class_responses(head, cache, tokens, ranges, backbone=tuned)
    return head.eval(), report


def lost_classes(watched: Sequence[tuple[int, dict[str, float]]]) -> dict[str, tuple[int, float]]:
    """Classes whose response fell under 0.5 after it had reached 0.5: ``name → (step, peak)``.

    ``watched``: ``(steps done, responses)`` in order (:attr:`NanoTrainReport.watched`). A
    class is reported at the first watch where it is under 0.5 again; ``peak`` is its highest
    response before that.
    """
    peaks: dict[str, float] = {}
    lost: dict[str, tuple[int, float]] = {}
    for step, responses in watched:
        for name, p in responses.items():
            peak = peaks.get(name, 0.0)
            if p < 0.5 <= peak and name not in lost:
                lost[name] = (step, peak)
            peaks[name] = max(peak, p)
    return lost


def class_responses(
    head: NanoHead,
    cache: FeatureCache,
    tokens: TextTokens,
    ranges: dict[str | None, range],
    per_class: int = 16,
    backbone: torch.nn.Module | None = None,
) -> dict[str, float]:
    """Per class, the highest mask probability on up to ``per_class`` of its own training crops.

    Each crop holding objects of the class is asked with the class's second prompt ("segment
    the …"). A run can lose a class without the loss showing it: a four-class run diverged at
    step ~1,600 and one class's masks never came back (0.000 on its own training crops), which
    only evaluation revealed. Under 0.5 no pixel of the class passes the search's threshold.

    Args:
        head: the trained head.
        cache: the run's cached crops.
        tokens: the run's prompts' token states.
        ranges: each class's prompt ids in ``tokens``.
        per_class: crops asked per class.
        backbone: the tuned backbone, when the run trained one (the cache then holds stems).

    """
    head.eval()
    size = (int(cache.targets.shape[-2]), int(cache.targets.shape[-1]))
    out: dict[str, float] = {}
    for name, ids in ranges.items():
        if name is None:
            continue
        own = [
            i
            for i, c in enumerate(cache.classes)
            if c == name and not (cache.asked and cache.asked[i]) and bool(cache.targets[i].any())
        ][:per_class]
        if not own:
            continue
        index = torch.tensor(own)
        prompt = torch.full((len(own),), ids[min(1, len(ids) - 1)], dtype=torch.long)
        with torch.no_grad():
            result = head(cache.batch(index, backbone), tokens.select(prompt), size)
        out[name] = float(result.decoded.masks.amax())
    return out


def ask_crop(
    rng: random.Random,
    cache: FeatureCache,
    i: int,
    ranges: dict[str | None, range],
    absent: range,
    config: NanoTrainConfig,
) -> tuple[int, bool]:
    """The prompt crop ``i`` is asked with this step, and whether its target is kept.

    ``ranges``: each nano class's prompt ids; ``absent``: prompts of classes nano never learns.
    A crop centred on a rejected result is always asked for its class (target kept); a zoom
    negative for its one class (target dropped); any other crop for its own class, another nano
    class or an absent one, by the recipe's shares. Never for a class its data set may hold
    unlabelled (:attr:`~geomag_core.nano.datasets.DatasetSpec.unlabelled`): an empty target
    there could be a lie.
    """
    own = cache.classes[i]
    u = rng.random()
    only = cache.asked[i] if cache.asked else None
    if cache.hard and cache.hard[i]:  # centred on a rejected result: asked for its class
        return rng.choice(ranges[own]), True
    if only is not None:  # another class's scene, magnified as that class is searched
        return rng.choice(ranges[only]), False
    if u < config.absent_fraction:
        return rng.choice(absent), False
    if own is None or u < config.absent_fraction + config.other_class_fraction:
        unlabelled = _UNLABELLED.get(own, ())
        other = rng.choice([c for c in ranges if c is not None and c not in (own, *unlabelled)])
        return rng.choice(ranges[other]), False
    return rng.choice(ranges[own]), True


def _check_feedback(feedback: Sequence[SceneFeedback], config: NanoTrainConfig) -> None:
    """Every feedback scene exists and its class is learned from a data set of the mix."""
    missing = sorted({str(f.path) for f in feedback if not f.path.is_file()})
    if missing:
        raise DatasetError(
            f"{len(missing)} scene(s) with verdicts are not readable here: "
            + ", ".join(missing[:5])
            + ("" if len(missing) <= 5 else ", …")
            + ": restore them at the path the history stored, or leave out --feedback"
        )
    mixed = {DATASETS[m.dataset].class_name for m in config.mix}
    stray = sorted({f.class_name for f in feedback} - mixed)
    if stray:
        raise DatasetError(
            f"verdicts on {', '.join(stray)}, but no data set of that class is in the recipe's "
            "mix: train with the default mix, or leave out --feedback"
        )
