"""Fine-tuning the pixel decoder (and optionally the ``[SEG]`` projection) with BCE + Dice.

The image encoder and the VLM are frozen here: their outputs for each sample (feature pyramid and
``[SEG]`` hidden states) are computed once by :func:`prepare_samples` and kept on the CPU, so a
training step runs only the projection and the decoder. The VLM's own text loss is the VLM's
business, not this module's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from geomag_core.decoder.dataset import DecoderSample
from geomag_core.decoder.features import ImageFeatureEncoder
from geomag_core.decoder.losses import mask_loss
from geomag_core.decoder.pixel_decoder import PixelDecoder
from geomag_core.decoder.projection import SegProjection
from geomag_core.decoder.recipe import DecoderTrainConfig
from geomag_core.errors import DatasetError

__all__ = [
    "DecoderTrainConfig",
    "PreparedSample",
    "image_tensor",
    "prepare_samples",
    "train_decoder",
    "train_step",
]

#: ``(sample) → (N, hidden)`` ``[SEG]`` hidden states, e.g. from ``TransformersVLM``.
SegStates = Callable[[DecoderSample], torch.Tensor]


@dataclass(frozen=True)
class PreparedSample:
    """Frozen inputs of one sample.

    Attributes:
        features: the encoder's pyramid, each ``(1, C, h_l, w_l)`` on the CPU.
        seg_hidden: ``(N, hidden)`` ``[SEG]`` hidden states of the VLM answer.
        target: ``(H, W)`` float {0, 1} mask in crop pixels.

    """

    features: tuple[torch.Tensor, ...]
    seg_hidden: torch.Tensor
    target: torch.Tensor

    def group_key(self) -> tuple[object, ...]:
        """Samples with the same key stack into one batch."""
        shapes = tuple(tuple(f.shape) for f in self.features)
        return (shapes, tuple(self.target.shape), int(self.seg_hidden.shape[0]))


def image_tensor(images: Sequence[np.ndarray]) -> torch.Tensor:
    """Stack same-size ``(H, W, 3)`` uint8 crops into ``(B, 3, H, W)`` float in ``[0, 1]``."""
    array = np.stack([np.asarray(i) for i in images]).astype(np.float32) / 255.0
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def prepare_samples(
    samples: Iterable[DecoderSample],
    encoder: ImageFeatureEncoder,
    seg_states: SegStates,
    device: torch.device,
) -> list[PreparedSample]:
    """Run the frozen encoder and VLM once per sample (features kept on the CPU)."""
    prepared = []
    for i, sample in enumerate(samples):
        hidden = seg_states(sample).detach().float().cpu()
        if hidden.ndim != 2 or hidden.shape[0] == 0:
            raise DatasetError(
                f"sample #{i + 1}: the VLM answer {sample.answer!r} gave no [SEG] hidden state; "
                "is [SEG] in the model's vocabulary?"
            )
        features = encoder.encode(image_tensor([sample.image]).to(device))
        prepared.append(
            PreparedSample(
                features=tuple(f.detach().float().cpu() for f in features),
                seg_hidden=hidden,
                target=torch.from_numpy(sample.mask.astype(np.float32)),
            )
        )
    return prepared


def train_step(
    decoder: PixelDecoder,
    projection: SegProjection,
    batch: Sequence[PreparedSample],
    optimizer: torch.optim.Optimizer,
    config: DecoderTrainConfig,
    device: torch.device,
) -> float:
    """One optimiser step on ``batch``; returns the mean loss (before the step).

    Samples are stacked per size; each group's loss is weighted by its share of the batch. The
    loss compares each crop's fused mask (one target per sample) with its target.
    """
    groups: dict[tuple[object, ...], list[PreparedSample]] = {}
    for sample in batch:
        groups.setdefault(sample.group_key(), []).append(sample)
    optimizer.zero_grad(set_to_none=True)
    total = torch.zeros((), device=device)
    for members in groups.values():
        features = [
            torch.cat([m.features[level] for m in members]).to(device)
            for level in range(len(members[0].features))
        ]
        hidden = torch.stack([m.seg_hidden for m in members]).to(device)
        target = torch.stack([m.target for m in members]).to(device)
        out = decoder(features, projection(hidden), tuple(target.shape[-2:]))
        loss = mask_loss(
            out.fused, target, bce_weight=config.bce_weight, dice_weight=config.dice_weight
        )
        total = total + loss * (len(members) / len(batch))
    total.backward()  # type: ignore[no-untyped-call]
    optimizer.step()
    return float(total.detach())


def train_decoder(
    prepared: Sequence[PreparedSample],
    decoder: PixelDecoder,
    projection: SegProjection,
    config: DecoderTrainConfig,
    device: torch.device,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train for ``config.steps`` steps on seeded random batches; returns the loss per step.

    The projection is trained only if ``config.train_projection``; otherwise it is frozen.
    """
    if not prepared:
        raise DatasetError("no samples to train the decoder on")
    torch.manual_seed(config.seed)
    order = random.Random(config.seed)
    decoder.to(device).train()
    projection.to(device).train(config.train_projection)
    for p in projection.parameters():
        p.requires_grad_(config.train_projection)
    params: list[nn.Parameter] = list(decoder.parameters())
    if config.train_projection:
        params += list(projection.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    losses = []
    for step in range(config.steps):
        batch = order.sample(list(prepared), min(config.batch_size, len(prepared)))
        loss = train_step(decoder, projection, batch, optimizer, config, device)
        losses.append(loss)
        if on_step is not None:
            on_step(step, loss)
    decoder.eval()
    projection.eval()
    return losses
