from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest

from agent.cli.main import main
from db.engine import create_db_engine
from db.migrations import head_revision
from db.writes import save_question
from tests.data.history import LABEL_SEED, SEED


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GEOMAG_DATABASE_URL", database_url)
    return database_url


def test_db_current_and_upgrade(configured: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["db", "current"], capsys)
    assert code == 0 and "empty" in out
    code, out, _ = run(["db", "upgrade"], capsys)
    assert code == 0 and f"(empty) → {head_revision()}" in out
    code, out, _ = run(["db", "current"], capsys)
    assert code == 0 and "up to date" in out


def test_history_creates_a_new_database_then_finds_and_exports(
    configured: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(["history"], capsys)
    assert code == 0 and "no results" in out
    engine = create_db_engine(configured)
    for record in SEED:
        save_question(engine, record)
    engine.dispose()

    code, out, _ = run(["history", "--label", "aircraft", "--limit", "2"], capsys)
    assert code == 0 and "results 1–2; more with --offset 2" in out and "plane" not in out

    out_file = tmp_path / "planes.geojson"
    argv = ["history", "-l", "aircraft", "--bbox", "-100,47,-99,48", "-f", "geojson"]
    code, _, err = run([*argv, "--out", str(out_file)], capsys)
    assert code == 0 and "wrote 2 result(s)" in err
    assert sorted(gpd.read_file(out_file)["confidence"]) == [0.4, 0.9]

    code, out, _ = run(["history", "--near", "-99.16,47.03,1010", "-f", "geojson"], capsys)
    assert code == 0 and [f["properties"]["text"] for f in json.loads(out)["features"]] == [
        "edge-1km"
    ]
    code, out, _ = run(["history", "--text", "river", "--since", "2024-06-01", "-f", "csv"], capsys)
    assert code == 0 and out.startswith("WKT,") and out.count("\n") == 3


def test_history_label_finds_every_spelling(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_db_engine(configured)
    run(["db", "upgrade"], capsys)
    for record in LABEL_SEED:
        save_question(engine, record)
    engine.dispose()
    code, out, _ = run(["history", "--label", "car", "-f", "geojson"], capsys)
    features = json.loads(out)["features"]
    assert code == 0 and {f["properties"]["text"] for f in features} == {"car", "legacy-vehicle"}
    code, out, _ = run(["history", "--label", "cars"], capsys)
    assert code == 0 and "results 1–2" in out and "vehicle" in out and "aircraft" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["history", "--bbox", "1,2,3"], "min_lon,min_lat,max_lon,max_lat"),
        (["history", "--since", "March"], "not a date"),
        (["history", "--intersects", "POLYGON((("], "WKT polygon"),
        (["history", "-f", "gpkg"], "--out"),
    ],
)
def test_bad_history_arguments_are_one_line_errors(
    configured: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err and "Traceback" not in err
