"""Issue 15 case 7: the tiny profile's random-weight models are the same in every process."""

from __future__ import annotations

import torch

from geomag_core.config import Settings
from geomag_core.decoder.predictor import build_mask_predictor


def _fingerprint() -> list[float]:
    predictor = build_mask_predictor(Settings(device="cpu"), hidden_size=64)
    return [float(p.detach().double().sum()) for p in predictor.encoder.parameters()][:20]


def test_the_untrained_mask_predictor_is_seeded_whole() -> None:
    first = _fingerprint()
    torch.rand(1000)  # whatever ran before in the process must not matter
    assert _fingerprint() == first  # before: SAM2's random encoder was built unseeded
