"""Water, vegetation and change across dates through the pipeline, on the real NAIP tiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from geomag_core.config import Settings
from tests.agent.test_pipeline_nano import _ask
from tests.data.rasters import land_cover_rgbn, write_geotiff
from tools.workbench import Workbench


def _workbench(tmp: Path, **overrides: Any) -> Workbench:
    settings = Settings(
        data_dir=tmp,
        model_profile=overrides.pop("model_profile", "nano"),
        database_url=f"sqlite:///{tmp / 'h.sqlite'}",
        **overrides,
    )
    return Workbench(settings)


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    return _workbench(tmp_path_factory.mktemp("spectral"))


def _count(wb: Workbench, sql: str, **params: Any) -> int:
    with wb.engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_outline_the_water_returns_the_ponds_as_stored_polygons(
    workbench: Workbench, sample_scene: Path
) -> None:
    final, events = _ask(workbench, sample_scene, "outline the water")
    (route,) = [e for e in events if e["event"] == "route"]
    assert [p[0] for p in route["parts"]] == ["spectral"]
    water = [r for r in final["results"] if r["kind"] == "mask"]
    assert len(water) >= 50 and {r["label"] for r in water} == {"water"}
    assert all(r["area_m2"] >= 100 and r["wkt"].startswith("POLYGON") for r in water)
    assert len(final["result_ids"]) == len(water)
    first = final["answer"].splitlines()[0]
    assert first.startswith(f"Water: {len(water)} region(s), total ")
    with workbench.engine.connect() as conn:
        versions = conn.execute(
            text("SELECT model_versions FROM queries WHERE id = :q"), {"q": final["query_id"]}
        ).scalar_one()
    versions = json.loads(versions) if isinstance(versions, str) else versions
    assert versions["method"] == "ndwi>0.20 (fixed) v1" and versions["route"] == "spectral"


def test_water_change_since_2009_tables_every_bundled_date_and_reuses_measurements(
    workbench: Workbench, sample_scene: Path
) -> None:
    question = "How has the water area changed since 2009?"
    final, _ = _ask(workbench, sample_scene, question)
    table = final["findings"]["spectral"]["table"]
    assert [r["date"][:4] for r in table] == ["2009", "2012", "2016", "2020"]
    assert all(r["subject"] == "water" and r["area_m2"] > 1e6 for r in table)
    (change,) = final["findings"]["spectral"]["change"]
    gained = [r for r in final["results"] if r["label"] == "water gained"]
    lost = [r for r in final["results"] if r["label"] == "water lost"]
    assert len(gained) == change["gained_parts"] and len(lost) == change["lost_parts"]
    net = table[-1]["area_m2"] - table[0]["area_m2"]
    assert change["gained_m2"] - change["lost_m2"] == pytest.approx(net, rel=0.15)
    assert "| 2009-08-18 |" in final["answer"] and "gained" in final["answer"]
    gap = net - (change["gained_m2"] - change["lost_m2"])
    if abs(gap) >= 100:  # the answer says where the difference between the two is
        assert f"the other {gap / 1e4:+,.2f} ha are in the slivers and specks" in final["answer"]
    queries = _count(workbench, "SELECT COUNT(*) FROM queries")
    again, _ = _ask(workbench, sample_scene, "water over time since 2009")
    assert all(r["reused"] for r in again["findings"]["spectral"]["table"])
    assert _count(workbench, "SELECT COUNT(*) FROM queries") == queries + 1  # only the question


def test_what_changed_measures_water_and_vegetation_and_compare_names_years(
    workbench: Workbench, sample_scene: Path
) -> None:
    final, _ = _ask(workbench, sample_scene, "what changed here since 2016?")
    subjects = {(r["date"][:4], r["subject"]) for r in final["findings"]["spectral"]["table"]}
    assert subjects == {(y, s) for y in ("2016", "2020") for s in ("water", "vegetation")}
    final, _ = _ask(workbench, sample_scene, "compare vegetation in 2012 and 2020")
    table = final["findings"]["spectral"]["table"]
    assert [(r["date"][:4], r["subject"]) for r in table] == [
        ("2012", "vegetation"),
        ("2020", "vegetation"),
    ]


def test_the_catalogued_series_gives_all_ten_dates(
    tmp_path: Path, sample_scene: Path, naip_tiles: list[Path]
) -> None:
    wb = _workbench(tmp_path, scenes_dir=naip_tiles[1].parent)
    final, _ = _ask(wb, sample_scene, "how has the water area changed since 2009?")
    dates = [r["date"] for r in final["findings"]["spectral"]["table"]]
    assert len(dates) == 10 and dates == sorted(dates)  # the bundled copies are not repeated


def test_water_on_a_scene_without_nir_says_what_it_needs(workbench: Workbench) -> None:
    data, _ = land_cover_rgbn()
    uploads = workbench.settings.data_dir / "uploads"  # a scene folder the agent may open
    uploads.mkdir(exist_ok=True)
    rgb = write_geotiff(uploads / "rgb.tif", data[:3])
    final, _ = _ask(workbench, rgb, "outline the water")
    first = final["answer"].splitlines()[0]
    assert first.startswith("Cannot answer about water on this scene: rgb.tif has no near-infrared")
    assert final["result_ids"] == []
    assert "nothing found" not in final["answer"].lower()


def test_tiny_profile_routes_water_to_the_indices_and_fields_to_the_vlm(
    tmp_path: Path, sample_scene: Path
) -> None:
    wb = _workbench(tmp_path, model_profile="tiny")
    final, _ = _ask(wb, sample_scene, "outline the water")
    assert [p["capability"] for p in final["route"]["parts"]] == ["spectral"]
    assert not final["answer"].startswith("[tiny profile]")  # no random-weight model answered


def test_the_wording_decides_what_is_listed(workbench: Workbench, sample_scene: Path) -> None:
    final, _ = _ask(workbench, sample_scene, "show me the 3 largest ponds")
    lines = final["answer"].splitlines()
    at = lines.index("Understood: the largest 3.")
    listed = lines[at + 1 : at + 4]
    areas = [float(x.split(": ")[1].split(" m²")[0].replace(",", "")) for x in listed]
    water = [r for r in final["results"] if r["kind"] == "mask"]
    assert areas == sorted((round(r["area_m2"]) for r in water), reverse=True)[:3]
    assert all("lat 47." in x and "lon -99." in x for x in listed)
    assert len(final["result_ids"]) == len(water) > 3  # every region stays stored
    counted, _ = _ask(workbench, sample_scene, "how many ponds are there?")
    assert f"Count: {len(water)} water." in counted["answer"]


def test_the_gap_between_net_change_and_gained_minus_lost_is_explained_when_there() -> None:
    from tools.capabilities.change import _net_gap

    (line,) = _net_gap(2_139_900.0, 2_079_800.0)  # +213.99 ha net, +207.98 ha in the parts
    assert "+213.99 ha" in line and "+207.98 ha" in line and "the other +6.01 ha" in line
    assert _net_gap(1_000_000.0, 999_950.0) == []  # under 0.01 ha: nothing to explain
