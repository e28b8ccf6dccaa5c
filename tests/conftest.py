"""Shared fixtures: the bundled sample scene, the shared NAIP tiles, synthetic rasters."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomag_core.config import REPO_ROOT, Settings

SAMPLE_SCENE = REPO_ROOT / "samples" / "m_4709963_se_14_1_20200831.tif"


@pytest.fixture(scope="session")
def sample_scene() -> Path:
    """The NAIP tile bundled in the repo (public domain)."""
    assert SAMPLE_SCENE.exists(), "samples/ is part of the repo; is the checkout complete?"
    return SAMPLE_SCENE


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip when this checkout has none beside it."""
    path = Settings().shared_data_dir
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set GEOMAG_SHARED_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def naip_tiles(shared_data: Path, sample_scene: Path) -> list[Path]:
    """Every NAIP acquisition in the shared data plus the bundled sample."""
    tiles = sorted((shared_data / "naip-time-series").glob("*.tif"))
    assert tiles, "../shared/data/naip-time-series holds no .tif"
    return [sample_scene, *tiles]
