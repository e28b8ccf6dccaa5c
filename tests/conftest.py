"""Shared fixtures: the bundled sample scene, the shared NAIP tiles, synthetic rasters."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from db.engine import create_db_engine
from geomag_core.config import REPO_ROOT, Settings

SAMPLE_SCENE = REPO_ROOT / "samples" / "m_4709963_se_14_1_20200831.tif"


@pytest.fixture(scope="session")
def sample_scene() -> Path:
    """The NAIP tile bundled in the repo (public domain)."""
    assert SAMPLE_SCENE.exists(), "samples/ is part of the repo; is the checkout complete?"
    return SAMPLE_SCENE


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data dir (GEOMAG_SHARED_DATA_DIR), or skip when this machine has none."""
    path = Settings().shared_data_dir
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set GEOMAG_SHARED_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def naip_tiles(shared_data: Path, sample_scene: Path) -> list[Path]:
    """Every NAIP acquisition in the shared data plus the bundled sample."""
    tiles = sorted((shared_data / "naip-time-series").glob("*.tif"))
    assert tiles, f"{shared_data / 'naip-time-series'} holds no .tif"
    return [sample_scene, *tiles]


POSTGIS_ENV = "GEOMAG_TEST_POSTGIS_URL"


@contextmanager
def postgis_database() -> Iterator[str]:
    """A new database with the postgis extension on the test server, dropped afterwards.

    The server comes from GEOMAG_TEST_POSTGIS_URL (scripts/test.sh starts scripts/services.sh
    and sets it). Without it the test fails in CI and is skipped, with the reason, elsewhere.
    """
    server = os.environ.get(POSTGIS_ENV)
    if not server:
        reason = (
            f"{POSTGIS_ENV} is not set: start a PostGIS server with scripts/services.sh and "
            f"export {POSTGIS_ENV}=<the URL it prints> (scripts/test.sh does both)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostGIS tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"geomag_test_{uuid.uuid4().hex[:10]}"
    admin = create_db_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        fresh = create_db_engine(url)
        with fresh.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        fresh.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
