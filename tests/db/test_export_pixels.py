"""Exports of scenes without a CRS keep their shapes: pixel outlines in every format."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import wkt
from sqlalchemy import Engine

from db.export import PIXEL_LAYER, ExportFormat, export_results
from db.history import HistoryFilter, ResultRecord, find_all_results
from db.writes import save_question
from tests.data.history import SCENE_A, SEED
from tests.db.test_distinct import PIXEL_SCENE, _ask_three_times


@pytest.fixture
def records(engine: Engine) -> list[ResultRecord]:
    for record in SEED:  # georeferenced scenes, text answers
        save_question(engine, record)
    _ask_three_times(engine, SCENE_A, georeferenced=True)  # UTM, 0.6 m pixels
    _ask_three_times(engine, PIXEL_SCENE, georeferenced=False)  # a scene without a CRS
    return find_all_results(engine, HistoryFilter())


def test_the_geopackage_has_a_pixel_layer_with_every_shape(
    records: list[ResultRecord], tmp_path: Path
) -> None:
    path = export_results(records, tmp_path / "history.gpkg")
    assert {name for name, _ in pyogrio.list_layers(path)} == {"results", PIXEL_LAYER}
    wgs84 = gpd.read_file(path, layer="results").set_index("result_id")
    pixels = gpd.read_file(path, layer=PIXEL_LAYER).set_index("result_id")
    assert pixels.crs is None and len(pixels) == len(records)
    shaped = [r for r in records if r.outline_px is not None]
    no_crs = [r for r in shaped if r.scene_uri == PIXEL_SCENE.uri]
    assert len(no_crs) == 7  # every mask of the scene without a CRS…
    for r in no_crs:  # …has no map geometry but its pixel outline
        assert wgs84.loc[r.result_id].geometry is None or wgs84.loc[r.result_id].geometry.is_empty
        assert pixels.loc[r.result_id].geometry.equals_exact(r.outline_px, 1e-9)
    planes = [r for r in shaped if r.text and r.text.startswith("plane (")]
    assert len(planes) == 14
    for r in planes:  # with or without a CRS, the outline lies on the result's pixels
        assert r.pixel_box is not None
        x0, y0, x1, y1 = r.pixel_box.as_tuple()
        bounds = pixels.loc[r.result_id].geometry.bounds
        assert bounds == pytest.approx((x0, -y1, x1, -y0), abs=1e-6)


@pytest.mark.parametrize("fmt", [ExportFormat.GEOJSON, ExportFormat.CSV], ids=str)
def test_geojson_and_csv_carry_the_pixel_outline(
    records: list[ResultRecord], tmp_path: Path, fmt: ExportFormat
) -> None:
    path = export_results(records, tmp_path / f"history.{fmt}")
    frame = gpd.read_file(path, KEEP_GEOM_COLUMNS="NO") if fmt == "csv" else gpd.read_file(path)
    by_id = {int(row.result_id): row.pixel_wkt for row in frame.itertuples()}
    for r in records:
        if r.outline_px is None:
            assert pd.isna(by_id[r.result_id]) or not by_id[r.result_id]  # None, NaN or ""
        else:
            assert wkt.loads(by_id[r.result_id]).equals_exact(r.outline_px, 1e-6)
