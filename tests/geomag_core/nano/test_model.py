from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from PIL import Image

from geomag_core.nano.datasets import ObjectBox
from geomag_core.nano.model import NanoHead
from geomag_core.nano.text import TextTokens
from geomag_core.nano.training import _scaled_crop, train_step


def _levels(batch: int, size: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return [
        torch.randn(batch, c, size // s, size // s, generator=g)
        for c, s in [(24, 4), (40, 8), (112, 16), (320, 32)]
    ]


def _text(batch: int) -> TextTokens:
    g = torch.Generator().manual_seed(2)
    valid = torch.ones(batch, 5, dtype=torch.bool)
    valid[0, 3:] = False
    return TextTokens(torch.randn(batch, 5, 384, generator=g), valid)


def test_forward_shapes() -> None:
    head = NanoHead()
    out = head(_levels(2, 64), _text(2), (60, 64))
    assert out.decoded.masks.shape == (2, 1, 60, 64)
    assert out.decoded.confidence.shape == (2, 1)
    assert out.grid == (4, 4)
    assert len(out.attentions) == 2
    assert out.attentions[0].shape == (2, 4, 6, 16)  # [SEG] + 5 text rows over 4×4 tokens
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(2, 4, 6))


def test_training_steps_reduce_the_loss_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    head = NanoHead()
    optimiser = torch.optim.AdamW(head.parameters(), lr=5e-3)
    levels, text = _levels(2, 64), _text(2)
    targets = torch.zeros(2, 64, 64, dtype=torch.bool)
    targets[0, 10:30, 20:40] = True
    losses = [train_step(head, optimiser, levels, text, targets) for _ in range(10)]
    assert losses[-1] < 0.8 * losses[0]


def test_coarse_training_crops_shrink_the_scene_and_its_targets_together() -> None:
    pixels = np.zeros((1000, 1000, 3), dtype=np.uint8)
    pixels[400:500, 300:400] = 255  # a bright 100-px "aircraft" under its box
    box = ObjectBox(300.0, 400.0, 400.0, 500.0, truncated=False)
    image = Image.fromarray(pixels)
    for scale in (1.0, 0.4):
        # Seed 1 draws a crop centred near the aircraft (70 % of draws), jittered by a third.
        crop, target = _scaled_crop(random.Random(1), image, (box,), 128, scale)
        assert crop.shape == (128, 128, 3) and target.shape == (128, 128)
        # The target sits on the bright pixels and has shrunk with the scene (ellipse ≈ π/4).
        side = 100 * scale
        assert 0 < target.sum() <= 1.15 * np.pi / 4 * side * side
        assert crop[target].mean() > 200


def test_magnified_crops_carry_shrunk_core_targets() -> None:
    pixels = np.zeros((1000, 1000, 3), dtype=np.uint8)
    pixels[400:420, 300:320] = 255  # a 20-px "tank"
    image = Image.fromarray(pixels)
    box = ObjectBox(300.0, 400.0, 320.0, 420.0)
    crop, target = _scaled_crop(random.Random(1), image, (box,), 128, 2.0, 0.7)
    # Seen at ×2 the tank is 40 px; its core target is the inscribed ellipse shrunk by 0.7.
    assert target.sum() == pytest.approx(np.pi / 4 * (40 * 0.7) ** 2, rel=0.05)
    assert crop[target].mean() == 255


def test_whole_classes_keep_whole_outlines_while_others_grow_back_from_cores() -> None:
    from geomag_core.nano.predictor import NanoModel

    model = NanoModel.__new__(NanoModel)  # only the core bookkeeping, no weights needed
    model.target_shrink, model.whole_classes = 0.7, ("car",)
    assert model.shrink_for("car") == 1.0
    assert model.shrink_for("aircraft") == 0.7
