"""``geomag batch --engine local``: stored once, reruns skip, a corrupt scene fails alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from geomag_core.config import Settings
from tests.batch.conftest import QUESTION, request_counts, stored


def _batch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["batch", QUESTION, *args, "--engine", "local", "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_local_batch_stores_each_scene_once_skips_on_rerun_and_redoes_on_demand(
    data_dir: Path,
    naip_series: list[Path],
    corrupt_scene: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenes = [str(p) for p in naip_series[:3]]
    code, first = _batch(capsys, scenes[0], str(corrupt_scene), *scenes[1:])
    assert code == 2  # a scene failed; the others were answered
    assert first["counts"] == {"answered": 3, "skipped": 0, "failed": 1}
    (failed,) = [s for s in first["scenes"] if s["status"] == "failed"]
    assert failed["path"] == str(corrupt_scene)
    assert "truncated.tif" in failed["error"]
    assert "Traceback" not in failed["error"]
    answered = [s for s in first["scenes"] if s["status"] == "answered"]
    assert all(s["labels"].get("water", 0) > 10 for s in answered)  # real NDWI regions
    settings = Settings()
    counts = request_counts(settings)
    assert sorted(counts) == sorted(s["request_id"] for s in answered)
    assert set(counts.values()) == {1}
    report = Path(first["report"]).read_text().splitlines()
    assert len(report) == 4

    code, again = _batch(capsys, *scenes, str(corrupt_scene))
    assert code == 2
    assert again["counts"] == {"answered": 0, "skipped": 3, "failed": 1}
    skipped = {s["request_id"]: s["query_id"] for s in again["scenes"] if s["status"] == "skipped"}
    assert skipped == {s["request_id"]: s["query_id"] for s in answered}
    assert request_counts(settings) == counts

    # Not on a terminal (a log): a whole line per scene with what it found, no cut bar.
    code = main(["batch", QUESTION, *scenes, str(corrupt_scene), "--engine", "local"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert code == 2 and len(lines) == 4, err
    n_water = {Path(s["path"]).name: s["labels"]["water"] for s in answered}
    for line in lines[:3]:
        name = line.split("] ")[1].split(":")[0]
        assert f": skipped (answered before) — {n_water[name]} water · " in line
    assert lines[3].startswith("[4/4] truncated.tif: failed — ") and "1 failed" in lines[3]
    assert "━" not in err  # no progress bar off a terminal

    code, redone = _batch(capsys, scenes[0], "--redo")
    assert code == 0
    assert redone["counts"] == {"answered": 1, "skipped": 0, "failed": 0}
    rows = stored(settings)
    assert len(rows) == 4
    first_rows = [r for r in rows if r["sha256"] == answered[0]["sha256"]]
    assert len(first_rows) == 2
    assert first_rows[0]["results"] == first_rows[1]["results"]  # same scene, same answer


def test_no_scenes_is_one_line_and_status_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", QUESTION, "--engine", "local"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no scenes given")
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_engine_is_refused(
    data_dir: Path, sample_scene: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", QUESTION, str(sample_scene), "--engine", "dask"]) == 2
    assert "use local or ray" in capsys.readouterr().err
