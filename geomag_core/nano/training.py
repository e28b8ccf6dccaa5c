"""Training nano on the Airbus aircraft scenes (frozen backbone, cached features).

Recipe (seeded): ``crop``-px crops from the training scenes (70 % centred near an aircraft with
jitter, 30 % anywhere; random flips and quarter turns), ImageNet backbone run once per crop and
cached. Most crops are native resolution (what PSC windows are segmented at); ``coarse_fraction``
of them are area-averaged from a larger region to one of ``coarse_scales`` (what the heat map's
whole-scene view looks like: a 2560-px scene seen at 1024 px is scale 0.4), so the attention
learns to point at aircraft in the overview too. The head (neck, fusion, [SEG] projection,
decoder) is trained with BCE + Dice against box-derived ellipse masks, plus a cross-entropy that
pulls the last fusion layer's text→image attention towards the target (so the PSC heat map points
at objects).
A quarter of the samples ask for a class absent from airports (empty target); crops without
aircraft asked about aircraft also have empty targets.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from PIL import Image

from geomag_core.decoder.losses import mask_loss
from geomag_core.nano.airbus import AirbusBox, ellipse_mask, load_split, read_annotations
from geomag_core.nano.backbone import build_backbone
from geomag_core.nano.model import NanoHead, NanoOutput, normalise
from geomag_core.nano.prompts import NEGATIVE_PROMPTS, POSITIVE_PROMPTS
from geomag_core.nano.text import TextTokens, text_tokens

__all__ = [
    "FeatureCache",
    "NanoTrainConfig",
    "NanoTrainReport",
    "attention_loss",
    "build_cache",
    "train_nano",
    "train_step",
]


@dataclass(frozen=True)
class NanoTrainConfig:
    """Hyper-parameters of ``geomag train nano``."""

    crops: int = 3000
    crop: int = 256
    steps: int = 3000
    batch_size: int = 8
    lr: float = 1e-3
    negative_fraction: float = 0.25
    attention_weight: float = 1.0
    coarse_fraction: float = 0.6
    coarse_scales: tuple[float, ...] = (0.4, 0.3)
    seed: int = 0


@dataclass
class NanoTrainReport:
    """What a run did."""

    losses: list[float] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    crops: int = 0
    scenes: int = 0


@dataclass
class FeatureCache:
    """Backbone levels of cached crops (float16) and their ``(N, H, W)`` bool targets."""

    levels: list[torch.Tensor]
    targets: torch.Tensor


def _sample_crop(
    rng: random.Random, boxes: list[AirbusBox], size: int, crop: int
) -> tuple[int, int]:
    if boxes and rng.random() < 0.7:
        b = rng.choice(boxes)
        cx = (b.x0 + b.x1) / 2 + rng.uniform(-crop / 3, crop / 3)
        cy = (b.y0 + b.y1) / 2 + rng.uniform(-crop / 3, crop / 3)
        x0, y0 = int(cx - crop / 2), int(cy - crop / 2)
    else:
        x0, y0 = rng.randrange(0, size - crop + 1), rng.randrange(0, size - crop + 1)
    return min(max(0, x0), size - crop), min(max(0, y0), size - crop)


def _scaled_crop(
    rng: random.Random, image: Image.Image, boxes: list[AirbusBox], crop: int, scale: float
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """A ``crop``-px crop of a ``crop / scale``-px scene region (area-averaged) and its target."""
    side = min(image.width, round(crop / scale))
    x0, y0 = _sample_crop(rng, boxes, image.width, side)
    region = image.crop((x0, y0, x0 + side, y0 + side))
    if side != crop:
        region = region.resize((crop, crop), Image.Resampling.BOX)
    s = crop / side
    scaled = [AirbusBox(b.x0 * s, b.y0 * s, b.x1 * s, b.y1 * s, b.truncated) for b in boxes]
    mask = ellipse_mask(scaled, (x0 * s, y0 * s), (crop, crop))
    return np.asarray(region, dtype=np.uint8), mask


def build_cache(
    images_dir: Path,
    annotations: dict[str, list[AirbusBox]],
    image_ids: list[str],
    config: NanoTrainConfig,
    backbone: torch.nn.Module,
    on_progress: Callable[[int, int], None] | None = None,
) -> FeatureCache:
    """Crop, augment and run the frozen backbone once per crop."""
    rng = random.Random(config.seed)
    per_scene = [config.crops // len(image_ids)] * len(image_ids)
    for i in range(config.crops - sum(per_scene)):
        per_scene[i] += 1
    crops: list[NDArray[np.uint8]] = []
    targets: list[NDArray[np.bool_]] = []
    for image_id, n in zip(image_ids, per_scene, strict=True):
        image = Image.open(images_dir / image_id).convert("RGB")
        boxes = annotations.get(image_id, [])
        for _ in range(n):
            scale = 1.0
            if rng.random() < config.coarse_fraction:
                scale = rng.choice(config.coarse_scales)
            pixels, mask = _scaled_crop(rng, image, boxes, config.crop, scale)
            k, flip = rng.randrange(4), rng.random() < 0.5
            pixels, mask = np.rot90(pixels, k), np.rot90(mask, k)
            if flip:
                pixels, mask = pixels[:, ::-1], mask[:, ::-1]
            crops.append(np.ascontiguousarray(pixels))
            targets.append(np.ascontiguousarray(mask))
    levels: list[list[torch.Tensor]] = []
    backbone.eval()
    with torch.no_grad():
        for start in range(0, len(crops), 16):
            batch = torch.from_numpy(np.stack(crops[start : start + 16])).permute(0, 3, 1, 2)
            feats = backbone(normalise(batch.float() / 255.0))
            levels.append([f.to(torch.float16) for f in feats])
            if on_progress:
                on_progress(min(start + 16, len(crops)), len(crops))
    return FeatureCache(
        levels=[torch.cat([lv[i] for lv in levels]) for i in range(len(levels[0]))],
        targets=torch.from_numpy(np.stack(targets)),
    )


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


def train_step(
    head: NanoHead,
    optimiser: torch.optim.Optimizer,
    levels: list[torch.Tensor],
    text: TextTokens,
    targets: torch.Tensor,
    attention_weight: float = 0.5,
) -> float:
    """One optimiser step on a batch; returns the loss before the step."""
    head.train()
    size = (int(targets.shape[-2]), int(targets.shape[-1]))
    out = head([lv.float() for lv in levels], text, size)
    probs = out.decoded.masks[:, 0]
    loss = mask_loss(probs, targets)
    has = (targets.flatten(1).sum(1) > 0).float()
    if attention_weight > 0:
        loss = loss + attention_weight * attention_loss(out, targets, has)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())


def train_nano(
    data_dir: Path,
    config: NanoTrainConfig,
    *,
    on_cache: Callable[[int, int], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[NanoHead, NanoTrainReport]:
    """Train a :class:`NanoHead` on the training split of ``data_dir`` (airbus-aircraft/)."""
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    report = NanoTrainReport()
    t0 = time.perf_counter()
    annotations = read_annotations(data_dir / "annotations.csv")
    train_ids = load_split()["train"]
    backbone = build_backbone(pretrained=True)
    cache = build_cache(data_dir / "train", annotations, train_ids, config, backbone, on_cache)
    report.crops, report.scenes = int(cache.targets.shape[0]), len(train_ids)
    prompts = list(POSITIVE_PROMPTS) + list(NEGATIVE_PROMPTS)
    tokens = text_tokens(prompts)
    n_pos = len(POSITIVE_PROMPTS)
    report.seconds["cache"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    head = NanoHead()
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=config.steps, pct_start=0.05
    )
    n = int(cache.targets.shape[0])
    for step in range(config.steps):
        index = torch.tensor(rng.sample(range(n), min(config.batch_size, n)))
        negative = torch.tensor([rng.random() < config.negative_fraction for _ in index])
        prompt_ids = torch.tensor(
            [
                rng.randrange(n_pos, len(prompts)) if neg else rng.randrange(n_pos)
                for neg in negative.tolist()
            ]
        )
        targets = cache.targets[index] & ~negative[:, None, None]
        loss = train_step(
            head,
            optimiser,
            [lv[index] for lv in cache.levels],
            tokens.select(prompt_ids),
            targets,
            config.attention_weight,
        )
        schedule.step()
        report.losses.append(loss)
        if on_step:
            on_step(step, loss)
    report.seconds["train"] = time.perf_counter() - t1
    return head.eval(), report
