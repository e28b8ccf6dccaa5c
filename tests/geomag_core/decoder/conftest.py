from __future__ import annotations

from typing import Any

import pytest
import torch

from geomag_core.decoder import SAM2ImageEncoder, build_sam2_model


@pytest.fixture(scope="session")
def sam2_tiny() -> Any:
    torch.manual_seed(0)
    return build_sam2_model("tiny", None, "cpu")


@pytest.fixture(scope="session")
def sam2_encoder(sam2_tiny: Any) -> SAM2ImageEncoder:
    return SAM2ImageEncoder.from_sam2(sam2_tiny).eval()
