"""Nano fixtures: a random head and a random-weight backbone (fast), the packaged MiniLM."""

from __future__ import annotations

import pytest
import torch

from geomag_core.nano.backbone import build_backbone
from geomag_core.nano.model import NanoHead
from geomag_core.nano.predictor import NanoModel


@pytest.fixture(scope="session")
def random_model() -> NanoModel:
    torch.manual_seed(0)
    return NanoModel(NanoHead(), backbone=build_backbone(pretrained=False))


@pytest.fixture(scope="session")
def centre_model() -> NanoModel:
    """A random miniature with a centre head (``geomag train nano --centre-weight``)."""
    torch.manual_seed(0)
    return NanoModel(NanoHead(centres=True), backbone=build_backbone(pretrained=False))
