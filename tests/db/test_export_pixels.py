"""Exports keep every shape, and no geometry claims a CRS it does not have.

Results of a scene without a CRS are never in the WGS84 file (they have no place on the map):
they are in the pixel frame (x = column, y = −row) beside it, with an area at the scale the
question read the scene at. A GeoPackage also has each georeferenced result in its scene's CRS.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod
from shapely import wkt
from shapely.geometry import box
from sqlalchemy import Engine

from db.export import PIXEL_LAYER, ExportFormat, export_results, in_pixel_frame, pixels_path
from db.history import HistoryFilter, ResultRecord, find_all_results
from db.writes import save_question
from tests.data.history import SCENE_A, SEED, question, utc
from tests.db.test_distinct import PIXEL_SCENE, _ask_three_times, _in_crs, _plane


@pytest.fixture
def records(engine: Engine) -> list[ResultRecord]:
    for record in SEED:  # georeferenced scenes, text answers
        save_question(engine, record)
    _ask_three_times(engine, SCENE_A, georeferenced=True)  # UTM, 0.6 m pixels
    _ask_three_times(engine, PIXEL_SCENE, georeferenced=False)  # a scene without a CRS
    return find_all_results(engine, HistoryFilter())


def test_the_geopackage_has_wgs84_scene_crs_and_pixel_layers(
    records: list[ResultRecord], tmp_path: Path
) -> None:
    path = export_results(records, tmp_path / "history.gpkg").path
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"results", "results_epsg_32614", PIXEL_LAYER}
    wgs84 = gpd.read_file(path, layer="results").set_index("result_id")
    utm = gpd.read_file(path, layer="results_epsg_32614").set_index("result_id")
    pixels = gpd.read_file(path, layer=PIXEL_LAYER).set_index("result_id")
    shaped = [r for r in records if r.outline_px is not None]
    no_crs = [r for r in shaped if r.scene_uri == PIXEL_SCENE.uri]
    assert len(no_crs) == 7 and all(in_pixel_frame(r) for r in no_crs)
    # the WGS84 layer: every record with a place on the ground, and the text answers
    assert wgs84.crs.to_epsg() == 4326 and len(wgs84) == len(records) - 7
    assert not set(wgs84.index) & {r.result_id for r in no_crs}
    assert all(g is not None and not g.is_empty for g in wgs84.geometry if g is not None)
    # the pixel layer: every shape, without a CRS, on its pixels
    assert pixels.crs is None and len(pixels) == len(shaped)
    for r in no_crs:
        assert pixels.loc[r.result_id].geometry.equals_exact(r.outline_px, 1e-9)
    planes = [r for r in shaped if r.text and r.text.startswith("plane (")]
    assert len(planes) == 14
    for r in planes:  # with or without a CRS, the outline lies on the result's pixels
        assert r.pixel_box is not None
        x0, y0, x1, y1 = r.pixel_box.as_tuple()
        bounds = pixels.loc[r.result_id].geometry.bounds
        assert bounds == pytest.approx((x0, -y1, x1, -y0), abs=1e-6)
    # the scene-CRS layer: the georeferenced planes in UTM metres, where the scene puts them
    assert utm.crs.to_epsg() == 32614
    for r in planes:
        if r.scene_uri == SCENE_A.uri:
            assert r.pixel_box is not None
            expected = _in_crs(r.pixel_box.as_tuple())
            assert utm.loc[r.result_id].geometry.equals_exact(expected, 1e-6)
            # its length on the ground, measured on its WGS84 shape (the fixture's 0.001° box):
            # the north-south side, the geodesic distance of 0.001° of latitude there
            assert r.geometry is not None
            x0, y0, _, y1 = r.geometry.bounds
            north_south = Geod(ellps="WGS84").line_length([x0, x0], [y0, y1])
            assert r.length_m == pytest.approx(north_south, rel=1e-3)
            assert wgs84.loc[r.result_id].length_m == pytest.approx(r.length_m)


@pytest.mark.parametrize("fmt", [ExportFormat.GEOJSON, ExportFormat.CSV], ids=str)
def test_geojson_and_csv_put_results_without_a_crs_in_a_pixel_file_beside(
    records: list[ResultRecord], tmp_path: Path, fmt: ExportFormat
) -> None:
    written = export_results(records, tmp_path / f"history.{fmt}")
    side_name = "history.pixels.gpkg" if fmt == "geojson" else "history.pixels.csv"
    assert written.pixels_path == pixels_path(written.path) == tmp_path / side_name
    assert (written.mapped, written.pixel_frame) == (len(records) - 7, 7)

    def read(path: Path) -> gpd.GeoDataFrame:
        if fmt == "csv":
            return gpd.read_file(path, KEEP_GEOM_COLUMNS="NO", AUTODETECT_TYPE="YES")
        return gpd.read_file(path)

    main = read(written.path)
    side = gpd.read_file(written.pixels_path) if fmt == "geojson" else read(written.pixels_path)
    assert len(main) == written.mapped and len(side) == 7
    assert side.crs is None
    by_id = {int(row.result_id): row.pixel_wkt for row in main.itertuples()}
    for r in records:
        if in_pixel_frame(r):
            assert r.result_id not in by_id
            row = side[side.result_id == r.result_id].iloc[0]
            assert row.geometry.equals_exact(r.outline_px, 1e-6)
        elif r.outline_px is None:
            assert pd.isna(by_id[r.result_id]) or not by_id[r.result_id]  # None, NaN or ""
        else:
            assert wkt.loads(by_id[r.result_id]).equals_exact(r.outline_px, 1e-6)


def test_an_export_of_georeferenced_results_only_writes_no_pixel_file(
    records: list[ResultRecord], tmp_path: Path
) -> None:
    mapped = [r for r in records if not in_pixel_frame(r)]
    written = export_results(mapped, tmp_path / "only.geojson")
    assert written.pixels_path is None and written.files == [tmp_path / "only.geojson"]
    assert not pixels_path(written.path).exists()


def test_a_result_without_a_crs_is_sized_at_the_scale_it_was_read_at(
    engine: Engine, tmp_path: Path
) -> None:
    given = question(
        PIXEL_SCENE, "how many aircraft?", utc(2024, 3, 2), [_plane((0, 0, 40, 20), 0.9, False)]
    )
    given = dataclasses.replace(
        given,
        query=dataclasses.replace(
            given.query, scale_m=0.3, scale_source="given for this scene in the app"
        ),
    )
    save_question(engine, given)
    car = dataclasses.replace(_plane((0, 0, 30, 10), 0.8, False), label="car")
    save_question(engine, question(PIXEL_SCENE, "how many cars?", utc(2024, 3, 3), [car]))
    weird = dataclasses.replace(_plane((0, 0, 10, 10), 0.8, False), label="unicorn")
    save_question(engine, question(PIXEL_SCENE, "unicorns?", utc(2024, 3, 4), [weird]))
    by_label = {r.label: r for r in find_all_results(engine, HistoryFilter())}

    plane, car_r, unknown = by_label["aircraft"], by_label["car"], by_label["unicorn"]
    assert plane.area_m2 == pytest.approx(800 * 0.3 * 0.3)  # 40 × 20 px at the given 0.3 m
    assert (plane.scale_m, plane.scale_source) == (0.3, "given for this scene in the app")
    assert car_r.area_m2 == pytest.approx(300 * 0.13 * 0.13)  # nothing given: cars' 0.13 m
    assert car_r.scale_source == "assumed: car training GSD (no CRS)"
    assert unknown.area_m2 is None and unknown.scale_m is None  # no class, no size made up
    assert plane.length_m == pytest.approx(40 * 0.3)  # the longer side, at the same scale
    assert car_r.length_m == pytest.approx(30 * 0.13)
    assert unknown.length_m is None

    side = gpd.read_file(export_results([plane, car_r], tmp_path / "x.geojson").pixels_path)
    row = side.set_index("result_id").loc[plane.result_id]
    assert row.area_m2 == pytest.approx(72.0) and row.scale_m_per_px == 0.3
    assert row.length_m == pytest.approx(12.0)
    assert row.scale_source == "given for this scene in the app"
    assert box(0, -20, 40, 0).equals(row.geometry)
