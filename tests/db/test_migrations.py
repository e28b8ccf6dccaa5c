from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from db.migrations import (
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    schema_drift,
    upgrade,
)
from db.models import METADATA
from geomag_core.errors import DatabaseError

TABLES = set(METADATA.tables)


def app_tables(engine: Engine) -> set[str]:
    return TABLES & set(inspect(engine).get_table_names())


def registered_geometry_columns(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT f_table_name, f_geometry_column FROM geometry_columns")
        )
        return {(str(t).lower(), str(c).lower()) for t, c in rows}


def test_upgrade_from_empty_to_head_and_back_down(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    assert app_tables(empty_engine) == set()

    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert app_tables(empty_engine) == TABLES
    assert len(registered_geometry_columns(empty_engine)) == 4

    downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None
    assert app_tables(empty_engine) == set()
    assert registered_geometry_columns(empty_engine) == set()

    upgrade(empty_engine)  # and up again, on the same database
    assert app_tables(empty_engine) == TABLES


def test_autogenerate_finds_no_drift_at_head(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_drift_check_notices_a_missing_index(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_results_label_created_at"))
    try:
        drift = schema_drift(engine)
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("CREATE INDEX ix_results_label_created_at ON results (label, created_at)")
            )
    assert any("ix_results_label_created_at" in str(d) for d in drift)


def test_ensure_current_creates_a_new_database_once(empty_engine: Engine) -> None:
    assert ensure_current(empty_engine) is True
    assert ensure_current(empty_engine) is False
    assert current_revision(empty_engine) == head_revision()


def test_a_database_from_a_newer_version_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff0'"))
    with pytest.raises(DatabaseError, match="upgrade GeoMag"):
        ensure_current(engine)
