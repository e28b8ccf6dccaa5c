"""``geomag feedback`` and what ``geomag history`` then shows: verdicts, added objects, exports."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pytest

from agent.cli.main import main
from db.engine import create_db_engine
from db.history import find_all_results
from db.writes import save_question
from tests.data.history import SCENE_A, SEED, located, question, utc

JPEG = dataclasses.replace(
    SCENE_A, uri="/data/ef92f434-5a1e.jpg", content_hash="f" * 64, crs=None, transform=None,
    footprint=None,
)  # fmt: skip


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ids(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str | None, int]:
    monkeypatch.setenv("GEOMAG_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["db", "upgrade"]) == 0
    engine = create_db_engine(database_url)
    for record in SEED:
        save_question(engine, record)
    jpeg_plane = located("jpeg-plane", "aircraft", 0.6, None)  # type: ignore[arg-type]
    save_question(engine, question(JPEG, "how many aircraft?", utc(2024, 5, 1), [jpeg_plane]))
    found = {r.text: r.result_id for r in find_all_results(engine)}
    engine.dispose()
    return found


def test_a_rejected_result_leaves_the_table_and_the_export_and_the_table_says_so(
    ids: dict[str | None, int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(["feedback", "reject", str(ids["plane-1"]), "--note", "a shadow"], capsys)
    assert code == 0 and "stored reject" in out
    code, out, _ = run(["history", "-l", "aircraft"], capsys)
    assert code == 0 and "1 rejected not shown (--include-rejected)" in out
    assert f"\n {ids['plane-1']} " not in out and "verdict" in out
    code, out, _ = run(["history", "-l", "aircraft", "--include-rejected"], capsys)
    assert code == 0 and "reject" in out and "not shown" not in out

    path = tmp_path / "planes.csv"
    assert run(["history", "-l", "aircraft", "-f", "csv", "--out", str(path)], capsys)[0] == 0
    frame = gpd.read_file(path)
    assert str(ids["plane-1"]) not in set(frame["result_id"].astype(str))
    path = tmp_path / "all.geojson"
    argv = ["history", "-l", "aircraft", "--include-rejected", "-f", "geojson", "--out", str(path)]
    assert run(argv, capsys)[0] == 0
    verdicts = dict(
        zip(gpd.read_file(path)["result_id"], gpd.read_file(path)["verdict"], strict=True)
    )
    assert verdicts[ids["plane-1"]] == "reject"


def test_an_added_object_is_listed_as_added_and_exported_with_its_origin(
    ids: dict[str | None, int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["feedback", "add", "ef92f434", "--label", "aircraft", "--box", "300,300,360,350"]
    code, out, _ = run([*argv, "--note", "under the wing"], capsys)
    assert code == 0 and "added result" in out
    rid = int(out.split("added result ")[1].split(":")[0])
    code, out, _ = run(["history", "--scene", "ef92f434"], capsys)
    assert code == 0 and "added" in out and "added by the analyst: aircraft" in out
    path = tmp_path / "jpeg.gpkg"
    assert run(["history", "--scene", "ef92f434", "-f", "gpkg", "--out", str(path)], capsys)[0] == 0
    pixels = gpd.read_file(path, layer="results_pixels").set_index("result_id")
    assert pixels.loc[rid, "origin"] == "analyst" and pixels.loc[rid, "verdict"] == "accept"
    assert pixels.loc[rid].geometry.bounds == pytest.approx((300, -350, 360, -300))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["feedback", "correct", "{rid}", "--box", "10,10,5,20"], "x0 < x1"),
        (["feedback", "correct", "{rid}", "--box", "10,10"], "x0,y0,x1,y1"),
        (["feedback", "correct", "{rid}"], "give the outline once"),
        (["feedback", "correct", "{rid}", "--wkt", "POLYGON((0 0,1 0,1 1,0 0))"], "no CRS"),
        (["feedback", "correct", "{rid}", "--box", "900,900,1200,1100"], "does not lie on"),
        (["feedback", "correct", "{rid}", "--pixels-wkt", "LINESTRING(0 0,1 1)"], "polygon"),
        (["feedback", "accept", "99999"], "no result 99999"),
        (["feedback", "add", "nowhere.jpg", "-l", "car", "--box", "0,0,5,5"], "no stored scene"),
    ],
)
def test_feedback_says_what_is_wrong_and_stores_nothing(
    ids: dict[str | None, int], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    args = [a.format(rid=ids["jpeg-plane"]) for a in argv]
    code, out, err = run(args, capsys)
    assert code != 0 and message in " ".join((out + err).split()), out + err
    code, out, _ = run(["history", "--scene", "ef92f434"], capsys)
    assert "correct" not in out and "added" not in out


def test_a_correction_in_pixels_replaces_the_outline_in_the_export(
    ids: dict[str | None, int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rid = ids["jpeg-plane"]
    argv = [
        "feedback",
        "correct",
        str(rid),
        "--pixels-wkt",
        "POLYGON((100 200,150 200,150 260,100 200))",
    ]
    assert run(argv, capsys)[0] == 0
    path = tmp_path / "fixed.csv"
    code, _, err = run(["history", "--scene", "ef92f434", "-f", "csv", "--out", str(path)], capsys)
    assert code == 0 and "of scenes without a CRS, in their pixel frame" in err
    assert str(rid) not in set(gpd.read_file(path)["result_id"])  # no place on the map…
    row = gpd.read_file(tmp_path / "fixed.pixels.csv").set_index("result_id").loc[str(rid)]
    assert row["verdict"] == "correct" and row["pixel_wkt"].startswith("POLYGON ((100 -200")
    # …and a size: the corrected triangle's 1,500 px² at the aircraft's assumed 0.5 m
    assert float(row["area_m2"]) == pytest.approx(1500 * 0.25)
    assert row["scale_source"] == "assumed: aircraft training GSD (no CRS)"
