"""Alembic environment: the history schema on SpatiaLite or PostGIS.

Run from code (``db.migrations``, which passes its engine) or from the command line at the
repository root (``alembic upgrade head``), where the URL is ``-x url=…``, else
``sqlalchemy.url`` in alembic.ini, else GEOMAG_DATABASE_URL or the SpatiaLite default.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine

from db.engine import create_db_engine, database_url
from db.migrations import include_object
from db.models import METADATA

config = context.config


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if given is not None:
        assert isinstance(given, Engine)
        return given
    url = context.get_x_argument(as_dictionary=True).get("url")
    return create_db_engine(url or config.get_main_option("sqlalchemy.url") or database_url())


def run_migrations_offline() -> None:
    """Emit SQL for the URL without connecting (``alembic upgrade head --sql``)."""
    context.configure(
        url=_engine().url,
        target_metadata=METADATA,
        literal_binds=True,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection of the engine."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=METADATA,
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
