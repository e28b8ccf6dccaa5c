from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geomag_core.vlm.tiny import build_tiny_vlm
from geomag_core.vlm.transformers_backend import TransformersVLM


@pytest.fixture(scope="session")
def tiny_vlm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def tiny_vlm(tiny_vlm_path: Path) -> TransformersVLM:
    return TransformersVLM(tiny_vlm_path, device="cpu")


@pytest.fixture()
def two_images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (
        rng.integers(0, 255, (224, 336, 3), dtype=np.uint8),
        rng.integers(0, 255, (112, 112, 3), dtype=np.uint8),
    )
