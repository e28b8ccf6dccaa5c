"""Alembic, driven from code: upgrade, downgrade, current revision and drift, on both dialects.

The migration scripts live in ``alembic/`` at the repository root (``alembic.ini`` there serves
the ``alembic`` command line too). :func:`ensure_current` is what the app and the CLI call on
start: a new database is created at head, an older one is upgraded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from db.engine import create_db_engine, redacted
from db.models import METADATA
from geomag_core.config import REPO_ROOT
from geomag_core.errors import DatabaseError

__all__ = [
    "ALEMBIC_DIR",
    "alembic_config",
    "current_revision",
    "downgrade",
    "ensure_current",
    "head_revision",
    "include_object",
    "open_database",
    "schema_drift",
    "upgrade",
]

ALEMBIC_DIR = REPO_ROOT / "alembic"
_GEO_INCLUDE_OBJECT = cast(Callable[..., bool], alembic_helpers.include_object)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for ``alembic/``; with ``engine``, migrations run on it."""
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migration scripts in {ALEMBIC_DIR}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision ``engine``'s database is at (``None``: an empty or unmigrated database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise _unreachable(engine, exc) from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate ``engine``'s database up to ``revision``."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate ``engine``'s database down to ``revision`` (``base``: drop every table)."""
    _run(engine, command.downgrade, revision)


def ensure_current(engine: Engine) -> bool:
    """Upgrade ``engine``'s database to head if it is behind; returns whether it migrated."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return False
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseError(
            f"database {redacted(engine.url)!r} is at revision {current!r}, which this version "
            "of GeoMag does not know (a newer version created it): upgrade GeoMag, or point "
            "GEOMAG_DATABASE_URL at another database"
        )
    upgrade(engine)
    return True


def open_database(url: str | URL | None = None) -> Engine:
    """An engine on ``url`` (default: the configured database), migrated to head if behind."""
    engine = create_db_engine(url)
    ensure_current(engine)
    return engine


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: geoalchemy2's rules, and no reflected table the models do not declare.

    SpatiaLite keeps its own tables (``geometry_columns``, ``spatial_ref_sys``, the R*Tree
    ``idx_*`` tables, …) in the same file; without this, autogenerate would try to drop them.
    """
    if type_ == "table" and reflected and compare_to is None:
        return False
    return _GEO_INCLUDE_OBJECT(obj, name, type_, reflected, compare_to)


def schema_drift(engine: Engine) -> list[Any]:
    """Differences autogenerate finds between the models and ``engine``'s database (``[]``)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": include_object, "target_metadata": METADATA},
        )
        return list(compare_metadata(context, METADATA))


def _run(engine: Engine, action: Any, revision: str) -> None:
    try:
        action(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"migrating database {redacted(engine.url)!r} to {revision!r} failed: {exc}. "
            "Check that the server runs and the role may create tables (and, on PostgreSQL, "
            "the postgis extension)"
        ) from exc


def _unreachable(engine: Engine, exc: SQLAlchemyError) -> DatabaseError:
    return DatabaseError(
        f"cannot open database {redacted(engine.url)!r}: {exc.__class__.__name__}: "
        f"{str(exc).splitlines()[0]}. Start the server (scripts/services.sh for the local "
        "PostGIS) or fix GEOMAG_DATABASE_URL"
    )
