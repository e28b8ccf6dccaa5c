from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.engine import create_db_engine
from db.migrations import current_revision
from db.models import QueryRow
from db.writes import save_question
from geomag_core.errors import DatabaseError
from tests.data.history import SCENE_A, question, utc


def test_every_geometry_column_declares_wgs84(engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT f_table_name, f_geometry_column, srid FROM geometry_columns")
        ).all()
    found = {(str(t).lower(), str(c).lower()): int(srid) for t, c, srid in rows}
    assert found == {
        ("scenes", "footprint"): 4326,
        ("zoom_steps", "footprint"): 4326,
        ("results", "geom"): 4326,
        ("feedback", "geom"): 4326,
    }


def test_every_geometry_column_has_a_spatial_index(engine: Engine, dialect: str) -> None:
    with engine.connect() as connection:
        if dialect == "spatialite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'idx_%'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'"
        names = {str(n) for (n,) in connection.execute(text(sql))}
    expected = {
        "idx_scenes_footprint",
        "idx_zoom_steps_footprint",
        "idx_results_geom",
        "idx_feedback_geom",
    }
    assert expected <= names


def test_timestamps_round_trip_as_aware_utc(engine: Engine) -> None:
    when = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    save_question(engine, question(SCENE_A, "When?", when, []))
    with engine.connect() as connection:
        stored = connection.execute(QueryRow.__table__.select()).one().created_at
    assert stored == utc(2024, 3, 1, 10, 30) and stored.tzinfo is not None


def test_spatialite_file_uses_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sub' / 'h.sqlite'}")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
        srids = connection.exec_driver_sql("SELECT count(*) FROM spatial_ref_sys").scalar()
    engine.dispose()
    assert pragma == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1}
    assert srids is not None and srids < 1000  # init_mode="WGS84", not all of EPSG
    assert (tmp_path / "sub" / "h.sqlite").stat().st_size < 2_000_000


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory"),
        ("mysql://u@h/db", "unsupported database"),
        ("not a url", "cannot parse"),
    ],
)
def test_bad_urls_say_what_to_write(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=message):
        create_db_engine(url)


def test_unreachable_postgis_says_to_start_the_server() -> None:
    engine = create_db_engine("postgresql://nobody:secret@127.0.0.1:9/nothing")
    with pytest.raises(DatabaseError, match=r"services\.sh") as info:
        current_revision(engine)
    assert "secret" not in str(info.value)
