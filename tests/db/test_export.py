from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import Engine

from db.export import COLUMNS, ExportFormat, export_results
from db.history import HistoryFilter, ResultRecord, find_all_results
from db.writes import save_question
from geomag_core.errors import DatabaseError, ExportError
from tests.data.history import SEED


@pytest.fixture
def records(engine: Engine) -> list[ResultRecord]:
    for record in SEED:
        save_question(engine, record)
    return find_all_results(engine)


def read_back(path: Path, fmt: ExportFormat) -> gpd.GeoDataFrame:
    if fmt == ExportFormat.CSV:  # CSV has no types or CRS: let GDAL detect the types
        frame = gpd.read_file(path, AUTODETECT_TYPE="YES", KEEP_GEOM_COLUMNS="NO")
        return frame.set_crs("EPSG:4326")
    return gpd.read_file(path)


@pytest.mark.parametrize("fmt", list(ExportFormat), ids=str)
def test_exports_read_back_with_the_same_geometries_and_attributes(
    records: list[ResultRecord], tmp_path: Path, fmt: ExportFormat
) -> None:
    path = export_results(records, tmp_path / f"history.{fmt}", fmt).path
    frame = read_back(path, fmt).sort_values("result_id").reset_index(drop=True)
    expected = sorted(records, key=lambda r: r.result_id)

    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [*COLUMNS, "geometry"]
    assert len(frame) == len(expected) == 8
    for row, record in zip(frame.itertuples(), expected, strict=True):
        assert row.result_id == record.result_id
        assert row.kind == record.kind and row.query == record.query_text
        assert (None if pd.isna(row.label) else row.label or None) == record.label  # CSV: ""
        assert row.scene == record.scene_uri and row.scene_sha256 == record.scene_hash
        if record.confidence is None:
            assert pd.isna(row.confidence)
        else:
            assert row.confidence == pytest.approx(record.confidence)
        if record.area_m2 is None:
            assert pd.isna(row.area_m2)
        else:
            assert row.area_m2 == pytest.approx(record.area_m2, rel=1e-9)
        assert abs((row.created_at - pd.Timestamp(record.created_at)).total_seconds()) < 1e-3
        if record.geometry is None:
            assert row.geometry is None or row.geometry.is_empty
        else:
            assert row.geometry.equals_exact(record.geometry, 1e-9)
        if record.pixel_box is not None:
            assert (row.px_x0, row.px_y0, row.px_x1, row.px_y1) == record.pixel_box.as_tuple()


def test_exporting_nothing_writes_an_empty_readable_file(engine: Engine, tmp_path: Path) -> None:
    none = find_all_results(engine, HistoryFilter(labels=["unicorn"]))
    for fmt in (ExportFormat.GEOJSON, ExportFormat.GPKG):
        frame = gpd.read_file(export_results(none, tmp_path / f"empty.{fmt}").path)
        assert len(frame) == 0


def test_export_replaces_an_existing_file(records: list[ResultRecord], tmp_path: Path) -> None:
    path = tmp_path / "twice.gpkg"
    export_results(records, path)
    with pytest.raises(ExportError, match="--overwrite"):
        export_results(records[:2], path)
    export_results(records[:2], path, overwrite=True)
    assert len(gpd.read_file(path, layer="results")) == 2


def test_unknown_suffix_says_which_to_use(records: list[ResultRecord], tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=r"\.geojson, \.gpkg or \.csv"):
        export_results(records, tmp_path / "history.shp")
