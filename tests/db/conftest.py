"""Database fixtures: every test here runs on SpatiaLite and on PostGIS (``dialect``).

PostGIS comes from GEOMAG_TEST_POSTGIS_URL (scripts/test.sh starts scripts/services.sh and sets
it). Each test session creates a database of its own on that server and drops it at the end. In
CI (CI=true) a missing URL fails the PostGIS tests; elsewhere they skip, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.engine import create_db_engine
from db.migrations import current_revision, ensure_current, head_revision
from db.models import METADATA
from tests.conftest import postgis_database

DIALECTS = [
    pytest.param("spatialite", id="spatialite"),
    pytest.param("postgis", id="postgis", marks=pytest.mark.postgis),
]


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A fresh database with the postgis extension on the test server; dropped afterwards."""
    with postgis_database() as url:
        yield url


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """``spatialite`` or ``postgis``."""
    return str(request.param)


def _postgis(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("postgis_url"))


def _drop_schema(engine: Engine) -> None:
    """PostGIS: drop every table of the schema, whatever state an earlier test left."""
    tables = ", ".join(f'"{name}"' for name in [*METADATA.tables, "alembic_version"])
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {tables} CASCADE"))


@pytest.fixture
def database_url(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a database of ``dialect`` with no schema (a new file, or the session's PostGIS)."""
    if dialect == "spatialite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    url = _postgis(request)
    engine = create_db_engine(url)
    _drop_schema(engine)
    engine.dispose()
    return url


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a database migrated to head, with no rows (PostGIS: tables truncated)."""
    if dialect == "spatialite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'history.sqlite'}")
    else:
        engine = create_db_engine(_postgis(request))
        if current_revision(engine) == head_revision():
            tables = ", ".join(f'"{name}"' for name in METADATA.tables)
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            _drop_schema(engine)
    ensure_current(engine)
    yield engine
    engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    with engine.connect() as connection:
        return {
            name: int(connection.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)
            for name in METADATA.tables
        }
